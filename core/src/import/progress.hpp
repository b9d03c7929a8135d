// The progress bar of a long import (stderr, terminals only), and counts
// with thousands separators.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "import/source.hpp"

namespace tally::import {

using Clock = std::chrono::steady_clock;

std::string format_count(int64_t n);

class Progress {
 public:
  Progress(bool enabled, std::string name)
      : enabled_(enabled), name_(std::move(name)), start_(Clock::now()) {}
  ~Progress() {
    if (drawn_) std::fprintf(stderr, "\r\033[K");
  }
  void tick(int64_t rows, RecordSource& source) {
    if (!enabled_ || (rows & 4095) != 0) return;
    auto now = Clock::now();
    double elapsed = std::chrono::duration<double>(now - start_).count();
    // Small files finish before a bar would help.
    if (elapsed < 0.5 || now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    uint64_t done = 0, total = 0;
    source.progress(done, total);
    const double rate = rows / elapsed;
    char line[256];
    if (total > 0 && done > 0) {
      const double share = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
      const int filled = static_cast<int>(share * 24);
      const double eta = elapsed * (1 - share) / share;
      std::snprintf(line, sizeof line, "\r%.30s [%-24s] %3d%%  %s rows  %s rows/s  ETA %ds\033[K",
                    name_.c_str(), std::string(filled, '#').c_str(), static_cast<int>(share * 100),
                    format_count(rows).c_str(), format_count(static_cast<int64_t>(rate)).c_str(),
                    static_cast<int>(eta + 0.5));
    } else {
      std::snprintf(line, sizeof line, "\r%.30s  %s rows  %s rows/s\033[K", name_.c_str(),
                    format_count(rows).c_str(), format_count(static_cast<int64_t>(rate)).c_str());
    }
    std::fputs(line, stderr);
    std::fflush(stderr);
    drawn_ = true;
  }

 private:
  bool enabled_;
  std::string name_;
  Clock::time_point start_;
  Clock::time_point last_{};
  bool drawn_ = false;
};

}  // namespace tally::import
