// Shared by the fuzz targets: a private temporary directory, removed at exit,
// so no target writes anywhere else.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

namespace tally_fuzz {

// The directory, created on first use (mkdtemp under $TMPDIR or /tmp). The
// string lives to the end (never destroyed), as the exit handler needs it.
inline const std::string& temp_dir() {
  static const std::string* const dir = [] {
    const char* base = std::getenv("TMPDIR");
    auto* path = new std::string(std::string(base && *base ? base : "/tmp") + "/tally-fuzz-XXXXXX");
    if (!::mkdtemp(path->data())) {
      std::perror("tally fuzz: mkdtemp");
      std::abort();
    }
    return path;
  }();
  static const bool cleanup = [] {
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(*dir, ec);
    });
    return true;
  }();
  (void)cleanup;
  return *dir;
}

// Writes `bytes` to `path`, replacing it.
inline void write_file(const std::string& path, std::string_view bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || std::fclose(f) != 0) {
    std::perror(("tally fuzz: cannot write " + path).c_str());
    std::abort();
  }
}

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace tally_fuzz
