// Issue 14: every headline KPI and every table row of every shipped metric
// plugin answers "which records make this number?". On the demo database, one
// config runs every metric plugin (each grouped by region where it can be, so
// the by_<group_by> tables are there too); `tally run --format json` gives
// each KPI's value and each table's rows, and one `tally explain --metric M
// --all --format json` per metric lists the records of every KPI and row:
//  - counted records (no "aggregate"): a count's value is the number of
//    records; a ratio's (a "denominator" listed) is records / denominator;
//  - "aggregate" sum, mean, median or p90: that of the records' `value`
//    column (numerator over denominator for a ratio); "gap": the stated
//    constant target less their sum, at least 0; "constant": the stated value;
//    a stated round_up rounds the whole up (deals needed).
// A headline KPI must be made by its records. A table row must list records
// (keyed by one of its text cells, as the dashboard opens it), and where the
// row has numbers, what its records make must be one of them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/command.hpp"
#include "support/fixture.hpp"

using namespace tally::testing;
using nlohmann::json;

namespace {

// Every shipped metric plugin, grouped by region where it takes a group_by.
const std::vector<std::pair<std::string, std::string>> kPlugins = {{"account_health", "group_by: region"},
                                                                   {"activity", "group_by: region"},
                                                                   {"arr", "group_by: region"},
                                                                   {"avg_deal_size", "group_by: region"},
                                                                   {"churn", "group_by: region"},
                                                                   {"collateral_usage", "group_by: region"},
                                                                   {"forecast", "group_by: region"},
                                                                   {"lead_funnel", "group_by: region"},
                                                                   {"lead_response", "group_by: region"},
                                                                   {"leaderboard", ""},
                                                                   {"new_opportunities", "group_by: region"},
                                                                   {"pipeline", "group_by: region"},
                                                                   {"quota_attainment", "group_by: region"},
                                                                   {"revenue", "group_by: region"},
                                                                   {"sales_cycle", "group_by: region"},
                                                                   {"sales_velocity", "group_by: region"},
                                                                   {"stage_conversion", "group_by: region"},
                                                                   {"territory_balance", ""},
                                                                   {"time_allocation", "group_by: region"},
                                                                   {"win_loss", "group_by: region"},
                                                                   {"win_rate", "group_by: region"}};

double quantile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const double at = p * static_cast<double>(v.size() - 1);
  const auto below = static_cast<size_t>(std::floor(at));
  const size_t above = std::min(below + 1, v.size() - 1);
  return v[below] + (v[above] - v[below]) * (at - static_cast<double>(below));
}

double constant(const json& list, const char* name) {
  const json& c = list["constants"];
  if (!c.is_object() || !c.contains(name) || !c[name].is_number()) {
    ADD_FAILURE() << "no constant " << name << " stated: " << c.dump();
    return 0;
  }
  return c[name].get<double>();
}

// What one list of records makes: its count, or the aggregate of its `value`.
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
  double total = 0;
  for (double v : values) total += v;
  if (aggregate == "sum") return total;
  if (aggregate == "gap") return std::max(0.0, constant(list, "target") - total);
  if (aggregate == "constant") return constant(list, "value");
  if (values.empty()) return std::nullopt;
  if (aggregate == "mean") return total / static_cast<double>(values.size());
  if (aggregate == "median") return quantile(values, 0.5);
  if (aggregate == "p90") return quantile(values, 0.9);
  ADD_FAILURE() << "unknown aggregate " << aggregate;
  return std::nullopt;
}

// What an explanation's records make: one list, or numerator over denominator.
std::optional<double> made_by_doc(const json& doc, std::string& how) {
  std::optional<double> made = made_by(doc, how);
  if (!doc["denominator"].is_null()) {
    std::string below;
    auto bottom = made_by(doc["denominator"], below);
    how += " / " + below;
    made = made && bottom && *bottom != 0 ? std::optional<double>(*made / *bottom) : std::nullopt;
  }
  if (made && doc["constants"].is_object() && doc["constants"].contains("round_up")) {
    how += ", rounded up";
    made = std::ceil(*made - 1e-9);
  }
  return made;
}

bool near(double a, double b, bool money) {
  return std::fabs(a - b) <= (money ? 0.006 : 0.0) + 1e-9 * std::max(1.0, std::fabs(b));
}

}  // namespace

TEST(DrilldownInvariant, EveryHeadlineKpiAndTableRowIsMadeByItsRecords) {
  TempDir dir;
  std::string metrics;
  for (const auto& [plugin, params] : kPlugins)
    metrics += "  - use: " + plugin + "\n" + (params.empty() ? "" : "    params: {" + params + "}\n");
  const std::string config = dir.write("all.yaml", "title: Every metric\ndata: " + demo_database() +
                                                       "\nas_of: 2026-01-01\nperiod: {last: quarter}\n"
                                                       "metrics:\n" +
                                                       metrics + "reports:\n  - use: json\n");
  auto run = run_tally("run '" + config + "' --format json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json report = json::parse(run.out);

  size_t kpis = 0, rows = 0, rows_with_numbers = 0;
  for (const auto& m : report["metrics"]) {
    const std::string metric = m["name"];
    ASSERT_EQ(m["status"], "ok") << metric << ": " << m.dump();
    auto all = run_tally("explain '" + config + "' --metric " + metric + " --all --format json");
    ASSERT_EQ(all.exit_code, 0) << metric << ": " << all.err;
    std::map<std::pair<std::string, std::string>, json> explained;
    for (auto& doc : json::parse(all.out))
      explained[{doc["kpi"].get<std::string>(), doc["row"].is_null() ? "" : doc["row"].get<std::string>()}] =
          doc;

    for (const auto& k : m["kpis"]) {
      const std::string key = metric + "." + k["name"].get<std::string>();
      if (k["value"].is_null()) continue;  // n/a: nothing to make
      auto found = explained.find({k["name"], ""});
      if (found == explained.end()) {
        ADD_FAILURE() << key << " offers no drill-down";
        continue;
      }
      const json& doc = found->second;
      const double value = k["value"].get<double>();
      EXPECT_NEAR(doc["value"].get<double>(), value, 1e-9 * std::max(1.0, std::fabs(value))) << key;
      std::string how;
      auto made = made_by_doc(doc, how);
      ASSERT_TRUE(made.has_value()) << key << ": " << how;
      EXPECT_TRUE(near(*made, value, k.value("unit", std::string()) == "money"))
          << key << ": the records' " << how << " (" << doc["dataset"] << ") make " << *made << ", not "
          << value;
      ++kpis;
    }

    for (const auto& t : m["tables"]) {
      const std::string table = t["name"];
      for (const auto& row : t["rows"]) {
        // The row's key: the first of its text cells that names a row with records.
        const json* doc = nullptr;
        std::string key;
        for (const auto& cell : row)
          if (cell.is_string())
            if (auto it = explained.find({table, cell.get<std::string>()}); it != explained.end()) {
              doc = &it->second;
              key = cell.get<std::string>();
              break;
            }
        if (!doc) {
          ADD_FAILURE() << metric << " table " << table << ": row " << row.dump() << " lists no records";
          continue;
        }
        ++rows;
        std::vector<double> numbers;
        for (const auto& cell : row)
          if (cell.is_number()) numbers.push_back(cell.get<double>());
        if (numbers.empty()) continue;
        std::string how;
        auto made = made_by_doc(*doc, how);
        const bool matches = made && std::any_of(numbers.begin(), numbers.end(),
                                                 [&](double n) { return near(*made, n, true); });
        EXPECT_TRUE(matches) << metric << " table " << table << " row " << key << ": the records' " << how
                             << " make " << (made ? std::to_string(*made) : "n/a")
                             << ", none of the row's numbers " << row.dump();
        ++rows_with_numbers;
      }
    }
  }
  EXPECT_GT(kpis, 70u);
  EXPECT_GT(rows, 100u);
  EXPECT_GT(rows_with_numbers, 100u);
}
