// How a plugin runs: in the tally process (the default) or in a child
// process of its own (`isolation: process`), with a timeout and a memory
// limit. Set on a config's metric or report entry, or as the default of a
// `plugin_paths:` folder; the entry's settings win (docs/plugin-guide.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace tally::plugins {

struct IsolationSpec {
  std::optional<bool> process;            // `isolation:` process (true) or in_process (false)
  std::optional<double> timeout_seconds;  // `timeout:`
  std::optional<uint64_t> memory_bytes;   // `memory:`, RLIMIT_AS of the child

  bool any() const { return process || timeout_seconds || memory_bytes; }
  // These settings, each unset one taken from `fallback`.
  IsolationSpec over(const IsolationSpec& fallback) const {
    IsolationSpec out = *this;
    if (!out.process) out.process = fallback.process;
    if (!out.timeout_seconds) out.timeout_seconds = fallback.timeout_seconds;
    if (!out.memory_bytes) out.memory_bytes = fallback.memory_bytes;
    return out;
  }
};

// The settings a plugin actually runs with.
struct Isolation {
  bool process = false;
  double timeout_seconds = 60;
  uint64_t memory_bytes = 0;  // 0 = no limit

  static Isolation from(const IsolationSpec& spec) {
    Isolation out;
    out.process = spec.process.value_or(false);
    out.timeout_seconds = spec.timeout_seconds.value_or(60);
    out.memory_bytes = spec.memory_bytes.value_or(0);
    return out;
  }
};

// The smallest memory limit accepted: the child, its C++ runtime and the
// plugin library must fit in it.
constexpr uint64_t kMinMemoryBytes = uint64_t{32} << 20;

// "2 s", "0.5 s", "64 MiB", "1.5 GiB": as messages and docs write them.
std::string seconds_text(double seconds);
std::string bytes_text(uint64_t bytes);

// Parses `timeout:` ("60", "2s", "500ms", "5m") and `memory:` ("512MiB",
// "2GiB", "100MB", a plain number of bytes). nullopt with `error` set (the
// valid forms named) when the text is not one of them.
std::optional<double> parse_timeout(const std::string& text, std::string& error);
std::optional<uint64_t> parse_memory(const std::string& text, std::string& error);

}  // namespace tally::plugins
