// The tally command as an admin uses it: real processes, real files, exit
// codes and messages checked word for word where they matter.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>

#include <SQLiteCpp/Database.h>

#include "support/command.hpp"
#include "support/fixture.hpp"

using namespace tally::testing;
using nlohmann::json;

namespace {

const std::string& demo_db() {
  return demo_database();
}

std::string source(const std::string& rel) {
  return std::string(TALLY_SOURCE_DIR) + "/" + rel;
}

}  // namespace

TEST(Cli, PluginsListsEveryShippedPluginWithKindVersionAndSdk) {
  auto r = run_tally("plugins");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("NAME"), std::string::npos);
  for (const char* name : {"pipeline", "win_loss", "churn", "collateral_usage", "table", "json"})
    EXPECT_NE(r.out.find(std::string("\n") + name + " "), std::string::npos) << name << "\n" << r.out;
  EXPECT_NE(r.out.find("metric  1.0.0"), std::string::npos) << r.out;
}

TEST(Cli, DescribeShowsEveryParamFromTheManifest) {
  auto r = run_tally("describe win_loss");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("win_loss (metric plugin"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("group_by  (enum, default reason)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("values: "), std::string::npos);
}

TEST(Cli, DescribeUnknownPluginSuggests) {
  auto r = run_tally("describe win_los");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("did you mean 'win_loss'"), std::string::npos) << r.err;
}

TEST(Cli, MissingConfigIsOneClearMessageAndExit2) {
  auto r = run_tally("run /nonexistent/report.yaml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nonexistent/report.yaml"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(Cli, BadYamlPointsAtLineAndColumn) {
  TempDir d;
  std::string config =
      d.write("bad.yaml", "title: x\nperiod: {from: 2025-01-01, to: 2025-02-01\nmetrics: []\n");
  auto r = run_tally("check '" + config + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(config + ":"), std::string::npos) << r.err;
}

TEST(Cli, EveryConfigErrorAtOnceWithFileLineColumnAndChoices) {
  TempDir d;
  std::string config = d.write("c.yaml",
                               "title: x\n"
                               "data: demo.db\n"
                               "period: {from: 2025-01-01, to: 2025-02-01}\n"
                               "metrics:\n"
                               "  - use: win_loss\n"
                               "    params: {grup_by: reason}\n"
                               "  - use: pipline\n");
  auto r = run_tally("check '" + config + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(config + ":6:23: unknown param 'grup_by' for win_loss; valid: "), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(config + ":7:5: unknown metric plugin 'pipline'; did you mean 'pipeline'?"),
            std::string::npos)
      << r.err;
}

// A structural problem (a bad period) does not hide the plugin and param
// problems further down: all are reported in one pass, in file order.
TEST(Cli, StructuralAndPluginErrorsAreReportedTogether) {
  TempDir d;
  std::string config = d.write("c.yaml",
                               "title: x\n"
                               "period: {last: quater}\n"
                               "metrics:\n"
                               "  - use: win_loss\n"
                               "    params: {grup_by: reason}\n"
                               "  - use: pipline\n");
  auto r = run_tally("check '" + config + "'");
  EXPECT_EQ(r.exit_code, 2);
  const size_t period = r.err.find(config + ":2:16: unknown period 'quater'; did you mean 'quarter'?");
  const size_t param = r.err.find(config + ":5:23: unknown param 'grup_by' for win_loss");
  const size_t plugin = r.err.find(config + ":6:5: unknown metric plugin 'pipline'");
  ASSERT_NE(period, std::string::npos) << r.err;
  ASSERT_NE(param, std::string::npos) << r.err;
  ASSERT_NE(plugin, std::string::npos) << r.err;
  EXPECT_LT(period, param);
  EXPECT_LT(param, plugin);
  EXPECT_NE(r.err.find("3 problems found"), std::string::npos) << r.err;
}

TEST(Cli, UnknownPluginInRunIsExit2AndNothingRuns) {
  TempDir d;
  std::string config = d.write("c.yaml", "data: " + demo_db() +
                                             "\nperiod: {from: 2025-01-01, to: 2025-02-01}\n"
                                             "metrics: [{use: no_such_metric}]\n");
  auto r = run_tally("run '" + config + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown metric plugin 'no_such_metric'"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(Cli, DemoIntoAMissingDirectoryNamesTheDirectory) {
  auto r = run_tally("demo --db /nonexistent-dir/demo.db");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nonexistent-dir"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("terminate"), std::string::npos);
}

TEST(Cli, MissingDatabaseSaysHowToCreateIt) {
  auto r = run_tally("run '" + source("configs/demo.yaml") + "' --data /tmp/definitely-not-here.db");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("tally demo"), std::string::npos) << r.err;
}

TEST(Cli, OlderSchemaIsRefusedWithTheUpgradeCommand) {
  TempDir d;
  std::string db = d.file("old.db");
  {
    SQLite::Database old(db, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    old.exec("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)");
    old.exec("INSERT INTO schema_version VALUES (0, '2024-01-01')");
    old.exec("CREATE TABLE opportunities (id INTEGER PRIMARY KEY)");
  }
  auto r = run_tally("run '" + source("configs/demo.yaml") + "' --data '" + db + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("schema version"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("tally migrate"), std::string::npos) << r.err;
}

TEST(Cli, DemoConfigRunsAsTablesOnTheTerminal) {
  auto r = run_tally("run '" + source("configs/demo.yaml") + "' --data '" + demo_db() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("Period 1 Oct 2025 – 31 Dec 2025 (inclusive)"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("\x1b["), std::string::npos) << "no colour when not a TTY";
  EXPECT_EQ(r.out.find("failed"), std::string::npos) << r.out;
}

TEST(Cli, JsonFollowsTheContract) {
  auto r = run_tally("run '" + source("configs/demo.yaml") + "' --data '" + demo_db() + "' --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json doc = json::parse(r.out);
  EXPECT_TRUE(doc["title"].is_string());
  EXPECT_EQ(doc["period"]["from"], "2025-10-01");
  EXPECT_EQ(doc["period"]["to"], "2026-01-01");
  EXPECT_EQ(doc["compare"]["from"], "2025-07-01");
  EXPECT_EQ(doc["compare"]["to"], "2025-10-01");
  EXPECT_EQ(doc["period"]["text"], "1 Oct 2025 – 31 Dec 2025 (inclusive)");
  EXPECT_EQ(doc["compare"]["text"], "1 Jul 2025 – 30 Sep 2025 (inclusive)");
  EXPECT_TRUE(doc["warnings"].is_array());
  // Provenance: where the data came from, the dates it covers, when and by what.
  const auto& p = doc["provenance"];
  EXPECT_EQ(p["data_source"], "sqlite:" + demo_db());
  EXPECT_EQ(p["data_from"].get<std::string>().size(), 10u) << p.dump();
  EXPECT_EQ(p["data_to"].get<std::string>().size(), 10u) << p.dump();
  EXPECT_LE(p["data_from"].get<std::string>(), p["data_to"].get<std::string>());
  EXPECT_EQ(p["generated_at"].get<std::string>().back(), 'Z');
  EXPECT_EQ(p["tally_version"], TALLY_VERSION);
  ASSERT_EQ(doc["metrics"].size(), 4u);
  for (const auto& m : doc["metrics"]) {
    EXPECT_EQ(m["status"], "ok") << m.dump();
    EXPECT_TRUE(m["name"].is_string());
    EXPECT_TRUE(m["plugin"].is_string());
    ASSERT_FALSE(m["kpis"].empty()) << m["name"];
    for (const auto& k : m["kpis"]) {
      EXPECT_TRUE(k["name"].is_string());
      EXPECT_TRUE(k["unit"].is_string());
      EXPECT_TRUE(k["value"].is_number() || k["value"].is_null());
      EXPECT_TRUE(k.contains("previous"));
      EXPECT_TRUE(k.contains("target"));
      EXPECT_TRUE(k["note"].is_string());
      EXPECT_TRUE(k["target_source"].is_string());
      const std::string status = k["compare_status"];
      EXPECT_TRUE(status == "ok" || status == "no_data" || status == "not_comparable") << status;
      if (k["unit"] == "money" && k["value"].is_number()) {
        double cents = k["value"].get<double>() * 100.0;
        EXPECT_NEAR(cents, std::round(cents), 1e-6) << k.dump();
      }
    }
    EXPECT_TRUE(m["notes"].is_array());
    for (const auto& t : m["tables"]) {
      for (const auto& row : t["rows"]) {
        ASSERT_EQ(row.size(), t["columns"].size());
        // Money to the cent: no 448113.799999997.
        for (size_t c = 0; c < row.size(); ++c)
          if (t["columns"][c]["type"] == "money" && row[c].is_number_float()) {
            const std::string text = row[c].dump();
            auto dot = text.find('.');
            EXPECT_TRUE(dot == std::string::npos || text.size() - dot - 1 <= 2) << text;
          }
      }
      for (const auto& c : t["columns"]) {
        EXPECT_TRUE(c["name"].is_string());
        EXPECT_TRUE(c["type"].is_string());
        EXPECT_TRUE(c["label"].is_string());
      }
    }
  }
}

TEST(Cli, ResultsOnStdoutLogsOnStderr) {
  auto r =
      run_tally("--quiet run '" + source("configs/demo.yaml") + "' --data '" + demo_db() + "' --format json");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "");
  EXPECT_NO_THROW(json::parse(r.out));
}

TEST(Cli, EnvironmentSubstitutionInConfigs) {
  TempDir d;
  std::string config = d.write("c.yaml",
                               "title: ${REPORT_TITLE:-Fallback title}\ndata: ${TALLY_TEST_DB}\n"
                               "period: {from: 2025-01-01, to: 2025-04-01}\nmetrics: [{use: win_loss}]\n");
  auto r = run_shell("TALLY_TEST_DB='" + demo_db() + "' '" TALLY_EXE "' run '" + config + "' --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["title"], "Fallback title");
}

TEST(Cli, NewPluginScaffoldsAProjectThatNamesTheSdk) {
  TempDir d;
  auto r = run_tally("new-plugin my_metric --dir '" + d.file("my_metric") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto again = run_tally("new-plugin my_metric --dir '" + d.file("my_metric") + "'");
  EXPECT_EQ(again.exit_code, 2);
  auto bad = run_tally("new-plugin My-Metric");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("lower_snake_case"), std::string::npos);
}
