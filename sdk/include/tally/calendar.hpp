// Civil (proleptic Gregorian) dates for plugins and the host alike: periods
// arrive as 'YYYY-MM-DD' text, and metrics often need calendar arithmetic on
// them (months back, working days, week starts). Header-only, no time zones.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tally::sdk {

inline bool is_leap_year(int year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

inline int days_in_month(int year, int month) {
  static constexpr int lengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap_year(year) ? 29 : lengths[month - 1];
}

struct Date {
  int year = 1970;
  int month = 1;  // 1-12
  int day = 1;    // 1-31

  // Spelled out rather than `<=> = default`: the SDK's standard is C++17.
  friend bool operator==(const Date& a, const Date& b) {
    return a.year == b.year && a.month == b.month && a.day == b.day;
  }
  friend bool operator!=(const Date& a, const Date& b) { return !(a == b); }
  friend bool operator<(const Date& a, const Date& b) {
    if (a.year != b.year) return a.year < b.year;
    if (a.month != b.month) return a.month < b.month;
    return a.day < b.day;
  }
  friend bool operator>(const Date& a, const Date& b) { return b < a; }
  friend bool operator<=(const Date& a, const Date& b) { return !(b < a); }
  friend bool operator>=(const Date& a, const Date& b) { return !(a < b); }

  // Days since 1970-01-01 (negative before); Howard Hinnant's algorithm.
  int64_t days_since_epoch() const {
    const int y = year - (month <= 2 ? 1 : 0);
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const auto mp = static_cast<unsigned>(month + (month > 2 ? -3 : 9));
    const unsigned doy = (153 * mp + 2) / 5 + static_cast<unsigned>(day) - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
  }

  static Date from_days(int64_t z) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t y = static_cast<int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return Date{static_cast<int>(y + (m <= 2 ? 1 : 0)), static_cast<int>(m), static_cast<int>(d)};
  }

  Date add_days(int64_t n) const { return from_days(days_since_epoch() + n); }

  // Adds calendar months, clamping the day to the target month's length
  // (Jan 31 + 1 month = Feb 28 or 29).
  Date add_months(int months) const {
    int total = year * 12 + (month - 1) + months;
    int y = total / 12;
    int m = total % 12;
    if (m < 0) {
      m += 12;
      --y;
    }
    return Date{y, m + 1, std::min(day, days_in_month(y, m + 1))};
  }

  // 0 = Monday .. 6 = Sunday (ISO).
  int weekday() const {
    const int64_t w = (days_since_epoch() + 3) % 7;  // 1970-01-01 was a Thursday
    return static_cast<int>(w < 0 ? w + 7 : w);
  }
  bool is_weekend() const { return weekday() >= 5; }

  // 'YYYY-MM-DD'
  std::string iso() const {
    char buf[48];  // roomy for any int, so -Wformat-truncation has nothing to say
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
    return buf;
  }

  // Accepts 'YYYY-MM-DD', optionally followed by ' ' or 'T' and a time
  // (ignored). nullopt when it is not a valid calendar date.
  static std::optional<Date> parse(std::string_view t) {
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
    if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > days_in_month(d.year, d.month))
      return std::nullopt;
    return d;
  }
};

// Parses 'YYYY-MM-DD' (a period bound, a date column) or throws
// std::invalid_argument naming the text; in a plugin that becomes the
// metric's error message.
inline Date parse_date(std::string_view text) {
  if (auto d = Date::parse(text)) return *d;
  throw std::invalid_argument("not a date (YYYY-MM-DD): '" + std::string(text) + "'");
}

inline Date month_start(Date d) {
  return Date{d.year, d.month, 1};
}
inline Date week_start(Date d) {
  return d.add_days(-d.weekday());
}  // Monday
// The first day of the quarter (year) holding `d`, for a fiscal year that
// starts in month `fiscal_start` (1 = calendar quarters).
inline Date quarter_start(Date d, int fiscal_start = 1) {
  const int offset = ((d.month - fiscal_start) % 3 + 3) % 3;
  return month_start(d).add_months(-offset);
}
inline Date year_start(Date d, int fiscal_start = 1) {
  const int offset = ((d.month - fiscal_start) % 12 + 12) % 12;
  return month_start(d).add_months(-offset);
}

// Monday-to-Friday days in [from, to).
inline int64_t working_days(Date from, Date to) {
  int64_t count = 0;
  for (int64_t day = from.days_since_epoch(), end = to.days_since_epoch(); day < end; ++day)
    if (Date::from_days(day).weekday() < 5) ++count;
  return count;
}

}  // namespace tally::sdk
