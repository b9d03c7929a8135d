// Like-for-like comparisons for metric plugins (header-only, no ABI change).
//
// - as_of(ctx): the run's "today" (config `as_of:`), read through the query
//   language's `as_of` name.
// - snapshot_dates(ctx): the instants point-in-time KPIs (open pipeline,
//   forecast categories) are taken at: the current period's end, or as_of
//   while the period is still running; the comparison period at its end once
//   the current period is over, else the same number of days after its start.
// - cohort_cutoffs(ctx): cohort KPIs (leads created in the period, followed to
//   wherever they got) measure the comparison cohort at the same age as the
//   current one: as many days after its period's end as the current cohort has
//   had (as_of - period end). A current period that has not ended yet has a
//   cohort still forming: not comparable.
#pragma once

#include <tally/calendar.hpp>
#include <tally/metric.hpp>

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <string>

namespace tally::sdk {

// 'YYYY-MM-DD'; empty on a host whose query language has no `as_of`, or when the
// store has none of the rows it is read through: the pipeline stages (a reference
// dataset, which a report's filters never narrow), else the leads or the
// opportunities (a store of leads alone has no stages, and its funnel must still
// be measured as of the config's `as_of:`).
inline std::string as_of(const Context& ctx) {
  for (const char* dataset : {"stages", "leads", "opportunities"}) {
    try {
      auto rows = ctx.query(dataset).select("as_of", "max(as_of)").run();
      if (rows.next() && !rows.is_null(0)) return rows.text(0);
    } catch (const Error&) {  // a host without `as_of`, or a filter this dataset cannot take
    }
  }
  return {};
}

struct SnapshotDates {
  std::string current;                 // 'YYYY-MM-DD': the state at the start of this day
  std::optional<std::string> compare;  // when the run compares
};

// Without an as_of (an older host) the periods' ends are used.
inline SnapshotDates snapshot_dates(const Context& ctx) {
  SnapshotDates d;
  const Period now = ctx.period(Which::Current);
  const std::string today = as_of(ctx);
  d.current = today.empty() ? now.to : std::min(now.to, std::max(now.from, today));
  if (ctx.has_compare()) {
    const Period before = ctx.period(Which::Compare);
    if (d.current == now.to) {
      d.compare = before.to;  // a finished period against its comparison period's end
    } else {
      const int64_t elapsed =
          parse_date(d.current).days_since_epoch() - parse_date(now.from).days_since_epoch();
      d.compare = std::min(before.to, parse_date(before.from).add_days(elapsed).iso());
    }
  }
  return d;
}

struct CohortCutoffs {
  bool comparable = true;              // false: the current period has not ended; its cohort is still forming
  int64_t age_days = 0;                // days from the current period's end to as_of
  std::string current;                 // count only events before this instant ('YYYY-MM-DD')
  std::optional<std::string> compare;  // the same age after the comparison period's end
  std::string note() const {
    return comparable ? "both cohorts " + std::to_string(age_days) + " days after their period's end"
                      : std::string("cohort still maturing");
  }
};

inline CohortCutoffs cohort_cutoffs(const Context& ctx) {
  CohortCutoffs c;
  const Period now = ctx.period(Which::Current);
  std::string today = as_of(ctx);
  if (today.empty()) today = now.to;
  c.current = today;
  if (today < now.to) {
    c.comparable = false;
    return c;
  }
  c.age_days = parse_date(today).days_since_epoch() - parse_date(now.to).days_since_epoch();
  if (ctx.has_compare()) c.compare = parse_date(ctx.period(Which::Compare).to).add_days(c.age_days).iso();
  return c;
}

}  // namespace tally::sdk
