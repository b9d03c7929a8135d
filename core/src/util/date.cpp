#include "util/date.hpp"

#include <chrono>
#include <algorithm>
#include <cstdio>

namespace tally {

Date today_utc() {
  auto now = std::chrono::system_clock::now();
  auto days = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() / 86400;
  return Date::from_days(days);
}

std::string format_timestamp(int64_t s) {
  int64_t days = s >= 0 ? s / 86400 : (s - 86399) / 86400;
  int64_t rem = s - days * 86400;
  Date d = Date::from_days(days);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", d.year, d.month, d.day,
                static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
  return buf;
}

std::optional<int64_t> parse_timestamp(std::string_view t) {
  auto d = Date::parse(t);
  if (!d) return std::nullopt;
  int64_t secs = d->days_since_epoch() * 86400;
  if (t.size() == 10) return secs;
  if (t.size() < 19 || t[13] != ':' || t[16] != ':') return std::nullopt;
  int parts[3];
  for (int i = 0; i < 3; ++i) {
    char a = t[11 + i * 3], b = t[12 + i * 3];
    if (a < '0' || a > '9' || b < '0' || b > '9') return std::nullopt;
    parts[i] = (a - '0') * 10 + (b - '0');
  }
  if (parts[0] > 23 || parts[1] > 59 || parts[2] > 60) return std::nullopt;
  return secs + parts[0] * 3600 + parts[1] * 60 + parts[2];
}

}  // namespace tally
