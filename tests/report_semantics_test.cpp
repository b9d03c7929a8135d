// Issue 12, the numbers: what a report's figures mean across plugins.
//   - every shipped config on the demo: one label, one number; one revenue
//     target with its source; distinct headings;
//   - an empty comparison period is "no data", never "was 0" (host side);
//   - headings from `title:` / `as:`.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "config/config.hpp"
#include "plugins/registry.hpp"
#include "run/runner.hpp"
#include "store/backend.hpp"
#include "support/command.hpp"
#include "support/fixture.hpp"
#include "util/diagnostic.hpp"
#include "util/text.hpp"

using namespace tally;
using namespace tally::testing;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> shipped_configs() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(std::string(TALLY_SOURCE_DIR) + "/configs"))
    if (e.path().extension() == ".yaml" && e.path().filename() != "maven-crm.yaml")
      out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

// Runs a config file through the host on `data`, as `tally run` does.
run::RunResult run_file(const std::string& path, const std::string& data) {
  config::Config cfg = config::load_config(path, config::process_env(), Date{2026, 1, 1});
  cfg.data = data;
  std::vector<std::string> dirs = cfg.plugin_paths;
  dirs.push_back(TALLY_TEST_PLUGIN_DIR);
  plugins::Registry registry(dirs);
  // Validation fills in the params' defaults, as `tally run` does.
  auto problems = config::validate(
      cfg, [&](const std::string& n) { return registry.find(n); }, registry.names(plugins::Kind::Metric),
      registry.names(plugins::Kind::Report));
  if (!problems.empty()) throw DiagnosticError(problems);
  auto backend = store::open_backend(data);
  return run::run_metrics(cfg, registry, *backend, 1);
}

bool same(double a, double b) {
  return std::fabs(a - b) <= 1e-6 * std::max(1.0, std::fabs(a));
}

}  // namespace

// Labels shown by two different plugins of one report with two different values ("" when none).
static std::string label_conflicts(const run::RunResult& r) {
  struct Seen {
    double value;
    std::string where;  // metric name
    std::string plugin;
  };
  std::map<std::string, Seen> by_label;
  std::string out;
  for (const auto& m : r.metrics) {
    for (const auto& k : m.kpis) {
      if (!k.value) continue;
      const std::string label = k.label.empty() ? k.name : k.label;
      auto [it, inserted] = by_label.try_emplace(label, Seen{*k.value, m.name, m.plugin});
      if (inserted || it->second.plugin == m.plugin) continue;  // one plugin's instances differ by params
      if (!same(it->second.value, *k.value))
        out += "'" + label + "' is " + std::to_string(it->second.value) + " in " + it->second.where +
               " but " + std::to_string(*k.value) + " in " + m.name + "\n";
    }
  }
  return out;
}

// One label, one number: a KPI label shown by two different plugins of one report
// gives the same value (or the labels must differ and say what differs).
TEST(ReportSemantics, EveryShippedConfigGivesOneNumberPerLabel) {
  for (const auto& config : shipped_configs()) {
    SCOPED_TRACE(config);
    run::RunResult r = run_file(config, demo_database());
    std::set<std::string> titles;
    for (const auto& m : r.metrics) {
      ASSERT_TRUE(m.ok) << m.name << ": " << m.error;
      EXPECT_TRUE(titles.insert(m.title).second) << "two metrics titled '" << m.title << "'";
    }
    EXPECT_EQ(label_conflicts(r), "");
  }
}

// The same with every shipped metric plugin in one report (no shipped config has, say, both
// pipeline and forecast, whose "Open pipeline" used to be $26.0M and $2.4M).
TEST(ReportSemantics, EveryMetricPluginInOneReportGivesOneNumberPerLabel) {
  TempDir dir;
  std::string yaml =
      "title: all\nas_of: 2026-01-01\nperiod: {last: quarter, compare: previous_period}\nmetrics:\n";
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(std::string(TALLY_SOURCE_DIR) + "/plugins/metric"))
    if (e.is_directory()) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  for (const auto& n : names) yaml += "  - use: " + n + "\n";
  run::RunResult r = run_file(dir.write("all.yaml", yaml), demo_database());
  ASSERT_GE(r.metrics.size(), 20u);
  for (const auto& m : r.metrics) ASSERT_TRUE(m.ok) << m.name << ": " << m.error;
  EXPECT_EQ(label_conflicts(r), "");
}

// One revenue target per report, and every target says where it came from.
TEST(ReportSemantics, EveryShippedConfigHasOneRevenueTargetWithItsSource) {
  const std::set<std::string> revenue_kpis = {"revenue/revenue", "forecast/closed_won",
                                              "forecast/commit_forecast", "forecast/best_case_forecast",
                                              "forecast/forecast_target"};
  for (const auto& config : shipped_configs()) {
    SCOPED_TRACE(config);
    run::RunResult r = run_file(config, demo_database());
    for (const auto& m : r.metrics) ASSERT_TRUE(m.ok) << m.name << ": " << m.error;
    std::optional<double> target;
    std::string first;
    for (const auto& m : r.metrics) {
      for (const auto& k : m.kpis) {
        if (k.target) {
          EXPECT_FALSE(k.target_source.empty()) << m.name << "/" << k.name << " has a target but no source";
        }
        if (!revenue_kpis.count(m.plugin + "/" + k.name)) continue;
        std::optional<double> t = k.name == "forecast_target" ? k.value : k.target;
        if (!t) continue;
        if (!target) {
          target = t;
          first = m.name + "/" + k.name;
        }
        EXPECT_TRUE(same(*target, *t))
            << first << " has target " << *target << " but " << m.name << "/" << k.name << " has " << *t;
      }
    }
  }
}

// Revenue and forecast in one report: the same target, from the same source, and the
// quotas are the fallback when the targets table has no revenue row.
TEST(ReportSemantics, RevenueAndForecastShareTheTargetAndSaySource) {
  StoreFixture f;
  f.exec(
      "INSERT INTO reps(id,name) VALUES (1,'Ann'),(2,'Bob');"
      "INSERT INTO quotas(rep_id,team_id,period_start,period_end,amount) VALUES"
      " (1,NULL,'2025-01-01','2025-04-01',1500),(2,NULL,'2025-01-01','2025-04-01',2500);"
      "INSERT INTO opportunities(id,owner_id,amount,status,stage,type,created_at,closed_at) VALUES"
      " (1,1,1000,'won','Closed Won','new_business','2025-01-02','2025-02-01');");
  const std::string config = "title: t\ndata: " + f.db_path() +
                             "\nperiod: {from: 2025-01-01, to: 2025-04-01}\n"
                             "metrics:\n  - use: revenue\n  - use: forecast\n";
  auto r = f.run_config(config);
  ASSERT_TRUE(r.metrics.at(0).ok) << r.metrics.at(0).error;
  ASSERT_TRUE(r.metrics.at(1).ok) << r.metrics.at(1).error;
  const auto& revenue = kpi(r.metrics[0], "revenue");
  const auto& won = kpi(r.metrics[1], "closed_won");
  ASSERT_TRUE(revenue.target && won.target);
  EXPECT_DOUBLE_EQ(*revenue.target, 4000);  // 1500 + 2500: no revenue row in the targets table
  EXPECT_DOUBLE_EQ(*won.target, 4000);
  EXPECT_EQ(revenue.target_source, "quotas table, 2025-01-01 to 2025-03-31, sum of 2 reps");
  EXPECT_EQ(won.target_source, revenue.target_source);

  // A company revenue target in the targets table wins over the quotas, for both.
  f.exec(
      "INSERT INTO targets(kpi,rep_id,team_id,period_start,period_end,value) VALUES"
      " ('revenue',NULL,NULL,'2025-01-01','2025-04-01',3000)");
  r = f.run_config(config);
  EXPECT_DOUBLE_EQ(*kpi(r.metrics[0], "revenue").target, 3000);
  EXPECT_DOUBLE_EQ(*kpi(r.metrics[1], "closed_won").target, 3000);
  EXPECT_EQ(kpi(r.metrics[1], "closed_won").target_source,
            "targets table (revenue), 2025-01-01 to 2025-03-31, company");

  // A config `targets:` entry names its source too.
  r = f.run_config(config + "    targets: {closed_won: 5000}\n");
  EXPECT_DOUBLE_EQ(*kpi(r.metrics[1], "closed_won").target, 5000);
  EXPECT_EQ(kpi(r.metrics[1], "closed_won").target_source, "config targets: closed_won");
}

// The comparison period lies before the first row of every dataset the metric read for it:
// each KPI is "no data" without a previous value, never "was 0". A period the data reaches
// keeps its real zero.
TEST(ReportSemantics, AnEmptyComparisonPeriodIsNoDataNotZero) {
  StoreFixture f;
  f.exec(
      "INSERT INTO opportunities(id,amount,status,stage,created_at) VALUES"
      " (1,100,'open','Prospecting','2025-04-10'),(2,50,'open','Prospecting','2025-05-01')");
  MetricRun q2 = span("2025-04-01", "2025-07-01", "previous_period");
  auto m = f.run_metric("new_opportunities", q2);
  ASSERT_TRUE(m.ok) << m.error;
  const auto& count = kpi(m, "new_opportunities");
  EXPECT_DOUBLE_EQ(*count.value, 2);
  EXPECT_FALSE(count.previous.has_value());
  EXPECT_EQ(count.compare_status, TALLY_COMPARE_NO_DATA);
  EXPECT_EQ(kpi(m, "new_opportunity_amount").compare_status, TALLY_COMPARE_NO_DATA);

  // One deal created in 2024: the data now reaches back before Q1, so Q1's zero is a real zero.
  f.exec(
      "INSERT INTO opportunities(id,amount,status,stage,created_at) VALUES "
      "(3,10,'open','Prospecting','2024-12-01')");
  m = f.run_metric("new_opportunities", q2);
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_EQ(kpi(m, "new_opportunities").compare_status, TALLY_COMPARE_OK);
  ASSERT_TRUE(kpi(m, "new_opportunities").previous.has_value());
  EXPECT_DOUBLE_EQ(*kpi(m, "new_opportunities").previous, 0);
}

// Headings: `title:` when given, else the humanised `as:` name, else the plugin's title.
TEST(ReportSemantics, MetricHeadingsComeFromTitleOrAs) {
  StoreFixture f;
  auto r = f.run_config("title: t\ndata: " + f.db_path() +
                        "\nperiod: {from: 2025-01-01, to: 2025-04-01}\n"
                        "metrics:\n"
                        "  - use: win_rate\n"
                        "  - use: win_rate\n    as: win_rate_smb\n"
                        "  - use: win_rate\n    as: win_rate_enterprise\n    title: Enterprise deals\n");
  ASSERT_EQ(r.metrics.size(), 3u);
  EXPECT_EQ(r.metrics[0].title, "Win rate");
  EXPECT_EQ(r.metrics[1].title, "Win rate SMB");
  EXPECT_EQ(r.metrics[2].title, "Enterprise deals");
  EXPECT_EQ(humanize_name("arr_bridge_p90_days"), "ARR bridge P90 days");
  EXPECT_EQ(humanize_name("mid-market"), "Mid market");
}
