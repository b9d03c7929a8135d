// One revenue target per report: every plugin that shows a revenue KPI
// "against target" (revenue, forecast, pipeline's deals needed) resolves the
// period's target with this one rule, and says where it came from, so two
// plugins of one report never show the same won amount against two targets.
//
//   1. the plugin's own param (`target`), when the config gives it:
//        "config param target"
//   2. the `targets` table, rows of kpi 'revenue' without a rep inside the
//      period: company rows (team_id null) when there are any, else team rows:
//        "targets table (revenue), 2025-10-01 to 2025-12-31, company"
//   3. the `quotas` table inside the period: rep quotas when any rep has one,
//      else team quotas (never both, so a split is not counted twice):
//        "quotas table, 2025-10-01 to 2025-12-31, sum of 12 reps"
//
// A row is inside the period when period_start >= the period's start and its
// (exclusive) period_end <= the period's end. A report filter that a table
// cannot take (e.g. segment on quotas) skips that table.
#pragma once

#include <tally/calendar.hpp>
#include <tally/drilldown.hpp>
#include <tally/metric.hpp>

#include <optional>
#include <string>

namespace tally::sdk {

struct Target {
  std::optional<double> value;
  std::string source;  // empty when there is no target
  // Which rows make it: "param", "company" or "team" (targets table), "rep quotas" or "team quotas".
  std::string rows;
};

// 'YYYY-MM-DD to YYYY-MM-DD', both dates inclusive.
inline std::string period_text(const Period& p) {
  return p.from + " to " + parse_date(p.to).add_days(-1).iso();
}

inline Target revenue_target(const Context& ctx, Which which, std::optional<double> param) {
  Target t;
  if (param) {
    t.value = param;
    t.source = "config param target";
    t.rows = "param";
    return t;
  }
  const std::string when = period_text(ctx.period(which));
  const char* inside = "period_start >= period_from and date(period_end) <= period_to";
  try {
    auto rows = ctx.query("targets")
                    .use_period(which)
                    .group_by("level", "if(team_id is null, 'company', 'team')")
                    .select("n", "count(*)")
                    .select("value", "sum(value)")
                    .where("kpi = 'revenue' and rep_id is null")
                    .where(inside)
                    .run();
    std::optional<double> company, team;
    while (rows.next()) (rows.text(0) == "company" ? company : team) = rows.number(2);
    if (company || team) {
      t.value = company ? company : team;
      t.source = "targets table (revenue), " + when + (company ? ", company" : ", sum of team rows");
      t.rows = company ? "company" : "team";
      return t;
    }
  } catch (const Error& e) {
    ctx.warn(std::string("targets table unavailable for the revenue target: ") + e.what());
  }
  try {
    auto rows = ctx.query("quotas")
                    .use_period(which)
                    .group_by("level", "if(rep_id is null, 'team', 'rep')")
                    .select("holders", "count_distinct(coalesce(rep_id, team_id))")
                    .select("amount", "sum(amount)")
                    .where(inside)
                    .run();
    std::optional<double> rep, team;
    int64_t reps = 0, teams = 0;
    while (rows.next()) {
      if (rows.text(0) == "rep") {
        rep = rows.number(2);
        reps = rows.integer(1);
      } else {
        team = rows.number(2);
        teams = rows.integer(1);
      }
    }
    if (rep) {
      t.value = rep;
      t.rows = "rep quotas";
      t.source =
          "quotas table, " + when + ", sum of " + std::to_string(reps) + (reps == 1 ? " rep" : " reps");
    } else if (team) {
      t.value = team;
      t.rows = "team quotas";
      t.source =
          "quotas table, " + when + ", sum of " + std::to_string(teams) + (teams == 1 ? " team" : " teams");
    }
  } catch (const Error& e) {
    ctx.warn(std::string("quotas unavailable for the revenue target: ") + e.what());
  }
  return t;
}

// The records a target is made of, their value summed (the targets or quota
// rows of the period), or the config's value stated as a constant.
inline Query target_records(const Context& ctx, const Target& t) {
  if (t.rows == "param" || !t.value) return constant_value(ctx, "targets", t.value.value_or(0));
  const bool targets = t.rows == "company" || t.rows == "team";
  Query records = ctx.query(targets ? "targets" : "quotas");
  records.where("period_start >= period_from and date(period_end) <= period_to");
  if (t.rows == "company") records.where("kpi = 'revenue' and rep_id is null and team_id is null");
  if (t.rows == "team") records.where("kpi = 'revenue' and rep_id is null and team_id is not null");
  if (t.rows == "rep quotas") records.where("rep_id is not null");
  if (t.rows == "team quotas") records.where("rep_id is null");
  summing(records, targets ? "value" : "amount");
  return records;
}

}  // namespace tally::sdk
