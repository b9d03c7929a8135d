// What the host checks in a plugin library's bytes before the dynamic loader
// ever sees them: the plugin note (<tally/note.h>) against the host and the
// manifest, and the content hash against both the note and the manifest.
// Nothing here runs any of the library's code.
#pragma once

#include <string>
#include <vector>

#include "plugins/manifest.hpp"

namespace tally::plugins {

// The hash stripping keeps: see <tally/note.h>. Empty when `bytes` is not a
// library whose hash Tally can compute; `why` then says why.
std::string content_sha256(const std::string& bytes, std::string* why = nullptr);

// The note's facts as read from a library file (for `tally plugin` and
// messages).
struct NoteFacts {
  std::string name;
  std::string kind;  // "metric", "report", "source" or "kind N"
  int sdk_major = 0;
  int sdk_minor = 0;
  std::string note_sha256;     // as sealed into the note
  std::string content_sha256;  // as computed from the bytes
};

// Checks `bytes` (the library file as read once) for plugin `name` against
// `manifest` and this host; throws PluginError with one clear message. On
// success returns what the note says.
NoteFacts check_library_bytes(const std::string& name, const Manifest& manifest, const std::string& bytes);

// The libraries `bytes` (an ELF library) names as DT_NEEDED; empty when it
// names none or cannot be read.
std::vector<std::string> needed_libraries(const std::string& bytes);

// Whether the library links a C++ runtime other than the host's libstdc++
// (LLVM's libc++ / libc++abi): such a library is loaded with RTLD_DEEPBIND so
// its operator new, exception machinery and std::__1 symbols resolve in its
// own runtime, never in the host's (docs/decisions.md).
bool uses_another_cxx_runtime(const std::string& bytes);

}  // namespace tally::plugins
