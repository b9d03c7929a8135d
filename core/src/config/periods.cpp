// Period arithmetic: relative periods (`last: quarter`) and comparison periods.
#include "config/detail.hpp"

namespace tally::config {

static int whole_months_between(Date from, Date to) {
  return (to.year * 12 + to.month) - (from.year * 12 + from.month);
}

Period compare_period_for(const Period& period, CompareMode mode) {
  switch (mode) {
    case CompareMode::None:
      return period;
    case CompareMode::PreviousPeriod: {
      // Whole months stay whole months: Q3 -> Q2 although they differ in days.
      if (period.from.day == 1 && period.to.day == 1) {
        const int months = whole_months_between(period.from, period.to);
        return Period{period.from.add_months(-months), period.from};
      }
      const int64_t days = period.to.days_since_epoch() - period.from.days_since_epoch();
      return Period{period.from.add_days(-days), period.from};
    }
    case CompareMode::PreviousYear: {
      // add_months clamps Feb 29 to Feb 28.
      Period previous{period.from.add_months(-12), period.to.add_months(-12)};
      // [Feb 28, Feb 29) of a leap year would collapse to nothing otherwise.
      if (previous.to <= previous.from) previous.to = previous.from.add_days(1);
      return previous;
    }
  }
  return period;
}

}  // namespace tally::config

namespace tally::detail {

const std::vector<std::string>& period_units() {
  static const std::vector<std::string> units = {"day", "week", "month", "quarter", "year"};
  return units;
}

std::optional<config::Period> relative_period(std::string_view unit, bool last, Date as_of,
                                              int fiscal_start) {
  Date start;
  Date next;
  if (unit == "day") {
    start = as_of;
    next = as_of.add_days(1);
  } else if (unit == "week") {
    start = week_start(as_of);
    next = start.add_days(7);
  } else if (unit == "month") {
    start = month_start(as_of);
    next = start.add_months(1);
  } else if (unit == "quarter") {
    start = quarter_start(as_of, fiscal_start);
    next = start.add_months(3);
  } else if (unit == "year") {
    start = year_start(as_of, fiscal_start);
    next = start.add_months(12);
  } else {
    return std::nullopt;
  }
  if (!last) return config::Period{start, next};
  // The one before the period holding as_of: the last complete one.
  const int64_t length_days = next.days_since_epoch() - start.days_since_epoch();
  if (unit == "day" || unit == "week") return config::Period{start.add_days(-length_days), start};
  const int months = unit == "month" ? 1 : unit == "quarter" ? 3 : 12;
  return config::Period{start.add_months(-months), start};
}

}  // namespace tally::detail
