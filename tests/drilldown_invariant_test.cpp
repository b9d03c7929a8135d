// Issue 14: every headline KPI of every shipped metric plugin answers "which
// records make this number?". On the demo database, one config runs every
// metric plugin; `tally run --format json` gives each KPI's value, and
// `tally explain --format json` for each KPI must list records that make it:
//  - counted records (no "aggregate"): a count KPI's value is the number of
//    records; a ratio's (a "denominator" listed) is records / denominator;
//  - "aggregate" sum, mean, median or p90: that of the records' `value`
//    column (numerator over denominator for a ratio).
// The KPIs whose records cannot make the number are in kNoRecordList with
// the reason (docs/dashboard.md lists the same); an entry that no longer
// names a KPI of the run fails the test, so the list stays short and true.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "support/command.hpp"
#include "support/fixture.hpp"

using namespace tally::testing;
using nlohmann::json;

namespace {

// metric.kpi -> why no list of records makes the number.
const std::map<std::string, std::string> kNoRecordList = {
    {"pipeline.weighted_pipeline", "each open deal weighted by the stage it was in at the period end"},
    {"pipeline.deals_needed", "a projection: (target - won) / average deal"},
    {"forecast.weighted_pipeline", "each deal weighted by the stage it was in on the snapshot date"},
    {"forecast.forecast_target", "a target, not records"},
    {"forecast.gap_to_target", "a target less won revenue"},
    {"forecast.deals_needed", "a projection: gap / average deal"},
    {"forecast.leads_needed", "a projection: gap / (conversion x average deal)"},
    {"sales_velocity.sales_velocity", "open deals x win rate x deal size / cycle: records of two lists"},
    {"activity.activities_per_rep_per_day", "activities over (reps on the roster x working days)"},
    {"account_health.active_users", "distinct users of the usage rows"},
    {"account_health.tickets_per_user", "tickets over distinct users"},
    {"account_health.conversations_per_customer_month", "conversations over customers, per month"},
    {"territory_balance.regions", "dimension values, not records"},
    {"territory_balance.median_pipeline_per_rep", "a median across regions of pipeline per rep"},
    {"territory_balance.regions_flagged", "dimension values, not records"},
};

// Every shipped metric plugin with its default parameters.
const std::vector<std::string> kPlugins = {"account_health",
                                           "activity",
                                           "arr",
                                           "avg_deal_size",
                                           "churn",
                                           "collateral_usage",
                                           "forecast",
                                           "lead_funnel",
                                           "lead_response",
                                           "leaderboard",
                                           "new_opportunities",
                                           "pipeline",
                                           "quota_attainment",
                                           "revenue",
                                           "sales_cycle",
                                           "sales_velocity",
                                           "stage_conversion",
                                           "territory_balance",
                                           "time_allocation",
                                           "win_loss",
                                           "win_rate"};

double quantile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const double at = p * static_cast<double>(v.size() - 1);
  const auto below = static_cast<size_t>(std::floor(at));
  const size_t above = std::min(below + 1, v.size() - 1);
  return v[below] + (v[above] - v[below]) * (at - static_cast<double>(below));
}

// What a list of records makes: its count, or the aggregate of its `value`.
std::optional<double> made_by(const json& list, std::string& how) {
  if (list["aggregate"].is_null()) {
    how = "count " + std::to_string(list["record_count"].get<size_t>());
    return list["record_count"].get<double>();
  }
  const std::string aggregate = list["aggregate"];
  std::vector<double> values;
  for (const auto& r : list["records"])
    if (r.contains("value") && r["value"].is_number()) values.push_back(r["value"].get<double>());
  how = aggregate + " of " + std::to_string(values.size()) + " values";
  if (aggregate == "sum") {
    double total = 0;
    for (double v : values) total += v;
    return total;
  }
  if (values.empty()) return std::nullopt;
  if (aggregate == "mean") {
    double total = 0;
    for (double v : values) total += v;
    return total / static_cast<double>(values.size());
  }
  if (aggregate == "median") return quantile(values, 0.5);
  if (aggregate == "p90") return quantile(values, 0.9);
  ADD_FAILURE() << "unknown aggregate " << aggregate;
  return std::nullopt;
}

}  // namespace

TEST(DrilldownInvariant, EveryHeadlineKpiOfEveryMetricPluginIsMadeByItsRecords) {
  TempDir dir;
  std::string metrics;
  for (const auto& p : kPlugins) metrics += "  - use: " + p + "\n";
  const std::string config = dir.write("all.yaml", "title: Every metric\ndata: " + demo_database() +
                                                       "\nas_of: 2026-01-01\nperiod: {last: quarter}\n"
                                                       "metrics:\n" +
                                                       metrics + "reports:\n  - use: json\n");
  auto run = run_tally("run '" + config + "' --format json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json report = json::parse(run.out);

  std::set<std::string> seen;
  size_t checked = 0;
  for (const auto& m : report["metrics"]) {
    const std::string metric = m["name"];
    ASSERT_EQ(m["status"], "ok") << metric << ": " << m.dump();
    for (const auto& k : m["kpis"]) {
      const std::string kpi = k["name"];
      const std::string key = metric + "." + kpi;
      seen.insert(key);
      if (kNoRecordList.count(key)) continue;
      if (k["value"].is_null()) continue;  // n/a: nothing to make
      auto e = run_tally("explain '" + config + "' --metric " + metric + " --kpi " + kpi + " --format json");
      ASSERT_EQ(e.exit_code, 0) << key << " offers no drill-down: " << e.err;
      const json doc = json::parse(e.out);
      const double value = k["value"].get<double>();
      EXPECT_NEAR(doc["value"].get<double>(), value, 1e-9 * std::max(1.0, std::fabs(value))) << key;
      std::string how, how_below;
      auto top = made_by(doc, how);
      std::optional<double> made = top;
      if (!doc["denominator"].is_null()) {
        auto bottom = made_by(doc["denominator"], how_below);
        how += " / " + how_below;
        made = top && bottom && *bottom != 0 ? std::optional<double>(*top / *bottom) : std::nullopt;
      }
      ASSERT_TRUE(made.has_value()) << key << ": " << how;
      // Money is given in cents.
      const double tolerance =
          (k.value("unit", std::string()) == "money" ? 0.006 : 0.0) + 1e-9 * std::max(1.0, std::fabs(value));
      EXPECT_NEAR(*made, value, tolerance)
          << key << ": the records' " << how << " (" << doc["dataset"] << ") do not make the KPI";
      ++checked;
    }
  }
  for (const auto& [key, why] : kNoRecordList)
    EXPECT_TRUE(seen.count(key)) << key << " (" << why << ") is no KPI of the run: drop it from the list";
  EXPECT_GT(checked, 60u);
}
