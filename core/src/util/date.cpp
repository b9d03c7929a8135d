#include "util/date.hpp"

#include <chrono>
#include <algorithm>
#include <cstdio>

namespace tally {

bool is_leap_year(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static constexpr int lengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap_year(y) ? 29 : lengths[m - 1];
}

// Howard Hinnant's days_from_civil / civil_from_days algorithms.
int64_t Date::days_since_epoch() const {
  int y = year - (month <= 2 ? 1 : 0);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned mp = static_cast<unsigned>(month + (month > 2 ? -3 : 9));
  const unsigned doy = (153 * mp + 2) / 5 + static_cast<unsigned>(day) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

Date Date::from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return Date{static_cast<int>(y + (m <= 2 ? 1 : 0)), static_cast<int>(m), static_cast<int>(d)};
}

Date Date::add_months(int months) const {
  int total = year * 12 + (month - 1) + months;
  int y = total / 12;
  int m = total % 12;
  if (m < 0) {
    m += 12;
    --y;
  }
  Date out{y, m + 1, day};
  out.day = std::min(day, days_in_month(out.year, out.month));
  return out;
}

int Date::weekday() const {
  int64_t z = days_since_epoch();  // 1970-01-01 was a Thursday (3)
  int64_t w = (z + 3) % 7;
  return static_cast<int>(w < 0 ? w + 7 : w);
}

std::string Date::iso() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  return buf;
}

std::optional<Date> Date::parse(std::string_view t) {
  if (t.size() < 10 || t[4] != '-' || t[7] != '-') return std::nullopt;
  auto digits = [&](size_t pos, size_t n, int& out) {
    out = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (t[i] < '0' || t[i] > '9') return false;
      out = out * 10 + (t[i] - '0');
    }
    return true;
  };
  Date d;
  if (!digits(0, 4, d.year) || !digits(5, 2, d.month) || !digits(8, 2, d.day)) return std::nullopt;
  if (t.size() > 10 && t[10] != ' ' && t[10] != 'T') return std::nullopt;
  if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > days_in_month(d.year, d.month)) return std::nullopt;
  return d;
}

Date month_start(Date d) { return Date{d.year, d.month, 1}; }

Date quarter_start(Date d, int fiscal_start) {
  int offset = ((d.month - fiscal_start) % 3 + 3) % 3;
  return month_start(d).add_months(-offset);
}

Date year_start(Date d, int fiscal_start) {
  int offset = ((d.month - fiscal_start) % 12 + 12) % 12;
  return month_start(d).add_months(-offset);
}

Date week_start(Date d) { return d.add_days(-d.weekday()); }

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
