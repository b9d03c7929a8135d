// Civil (proleptic Gregorian) dates without time zones: the calendar maths
// behind periods, fiscal quarters, buckets and the demo generator.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tally {

struct Date {
  int year = 1970;
  int month = 1;  // 1-12
  int day = 1;    // 1-31

  auto operator<=>(const Date&) const = default;

  // Days since 1970-01-01 (negative before).
  int64_t days_since_epoch() const;
  static Date from_days(int64_t days);

  Date add_days(int64_t n) const { return from_days(days_since_epoch() + n); }
  // Adds calendar months, clamping the day to the target month's length.
  Date add_months(int months) const;
  int weekday() const;  // 0 = Monday .. 6 = Sunday (ISO)

  // 'YYYY-MM-DD'
  std::string iso() const;
  // Accepts 'YYYY-MM-DD' (and ignores a trailing time). nullopt if invalid.
  static std::optional<Date> parse(std::string_view text);
};

bool is_leap_year(int year);
int days_in_month(int year, int month);

// The first day of the quarter holding `d`, for a fiscal year starting in
// month `fiscal_start` (1 = calendar quarters).
Date quarter_start(Date d, int fiscal_start = 1);
Date year_start(Date d, int fiscal_start = 1);
Date month_start(Date d);
Date week_start(Date d);  // Monday

// Today's date in UTC.
Date today_utc();

// Seconds since epoch <-> 'YYYY-MM-DD HH:MM:SS' (UTC).
std::string format_timestamp(int64_t epoch_seconds);
std::optional<int64_t> parse_timestamp(std::string_view text);

}  // namespace tally
