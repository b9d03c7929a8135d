#include "plugins/isolation.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace tally::plugins {

namespace {

// Splits "12.5MiB" into 12.5 and "MiB" (spaces between allowed).
bool split_number(const std::string& text, double& number, std::string& unit) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  if (i == 0) return false;
  const std::string digits = text.substr(0, i);
  if (digits.front() == '.' || digits.back() == '.' || digits.find('.') != digits.rfind('.')) return false;
  number = std::strtod(digits.c_str(), nullptr);
  while (i < text.size() && text[i] == ' ') ++i;
  unit = text.substr(i);
  return std::isfinite(number);
}

std::string trimmed(const std::string& number) {
  std::string out = number;
  if (out.find('.') != std::string::npos) {
    while (!out.empty() && out.back() == '0') out.pop_back();
    if (!out.empty() && out.back() == '.') out.pop_back();
  }
  return out;
}

}  // namespace

std::string seconds_text(double seconds) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.3f", seconds);
  return trimmed(buffer) + " s";
}

std::string bytes_text(uint64_t bytes) {
  static const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (unit < 4 && value >= 1024 && std::fmod(value, 1024) == 0) {
    value /= 1024;
    ++unit;
  }
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.0f", value);
  return std::string(buffer) + " " + units[unit];
}

std::optional<double> parse_timeout(const std::string& text, std::string& error) {
  double number = 0;
  std::string unit;
  const std::string forms = "write seconds like 60, 2s or 2.5s, or 500ms or 5m";
  if (!split_number(text, number, unit)) {
    error = "timeout '" + text + "' is not a duration; " + forms;
    return std::nullopt;
  }
  double factor = 0;
  if (unit.empty() || unit == "s") factor = 1;
  if (unit == "ms") factor = 0.001;
  if (unit == "m" || unit == "min") factor = 60;
  if (factor == 0) {
    error = "timeout '" + text + "' has an unknown unit '" + unit + "'; " + forms;
    return std::nullopt;
  }
  const double seconds = number * factor;
  if (seconds <= 0) {
    error = "timeout must be more than 0; got '" + text + "'";
    return std::nullopt;
  }
  if (seconds > 7 * 24 * 3600) {
    error = "timeout '" + text + "' is longer than a week; " + forms;
    return std::nullopt;
  }
  return seconds;
}

std::optional<uint64_t> parse_memory(const std::string& text, std::string& error) {
  double number = 0;
  std::string unit;
  const std::string forms = "write a size like 512MiB, 2GiB or 100MB, or a number of bytes";
  if (!split_number(text, number, unit)) {
    error = "memory '" + text + "' is not a size; " + forms;
    return std::nullopt;
  }
  double factor = 0;
  if (unit.empty() || unit == "B") factor = 1;
  if (unit == "KiB") factor = 1024.0;
  if (unit == "MiB") factor = 1024.0 * 1024;
  if (unit == "GiB") factor = 1024.0 * 1024 * 1024;
  if (unit == "kB" || unit == "KB") factor = 1e3;
  if (unit == "MB") factor = 1e6;
  if (unit == "GB") factor = 1e9;
  if (factor == 0) {
    error = "memory '" + text + "' has an unknown unit '" + unit + "'; " + forms;
    return std::nullopt;
  }
  const double bytes = number * factor;
  if (bytes < static_cast<double>(kMinMemoryBytes)) {
    error = "memory '" + text + "' is below the smallest limit, " + bytes_text(kMinMemoryBytes) +
            " (the plugin host and the plugin library must fit in it)";
    return std::nullopt;
  }
  if (bytes > 1e15) {
    error = "memory '" + text + "' is larger than any machine; " + forms;
    return std::nullopt;
  }
  return static_cast<uint64_t>(bytes);
}

}  // namespace tally::plugins
