// Every shipped config in configs/ runs on the demo database, every metric
// succeeds, and the output follows the JSON contract of DESIGN.md.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "support/command.hpp"
#include "support/fixture.hpp"

using namespace tally::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> demo_configs() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(std::string(TALLY_SOURCE_DIR) + "/configs"))
    if (e.path().extension() == ".yaml" && e.path().filename() != "maven-crm.yaml") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

void check_contract(const json& doc, const std::string& config) {
  ASSERT_TRUE(doc["title"].is_string()) << config;
  ASSERT_TRUE(doc["period"]["from"].is_string()) << config;
  ASSERT_TRUE(doc["period"]["to"].is_string()) << config;
  ASSERT_TRUE(doc.contains("compare")) << config;
  ASSERT_TRUE(doc["metrics"].is_array() && !doc["metrics"].empty()) << config;
  for (const auto& m : doc["metrics"]) {
    SCOPED_TRACE(config + ": " + m.value("name", "?"));
    EXPECT_EQ(m["status"], "ok") << m.value("error", "");
    EXPECT_TRUE(m["name"].is_string());
    EXPECT_TRUE(m["plugin"].is_string());
    if (m["status"] != "ok") continue;
    EXPECT_TRUE(!m["kpis"].empty() || !m["tables"].empty()) << "a metric with no results";
    for (const auto& k : m["kpis"]) {
      EXPECT_TRUE(k["name"].is_string());
      EXPECT_TRUE(k["unit"].is_string());
      for (const char* field : {"value", "previous", "target"}) {
        ASSERT_TRUE(k.contains(field)) << field;
        EXPECT_TRUE(k[field].is_number() || k[field].is_null()) << field << " of " << k["name"];
      }
    }
    for (const auto& t : m["tables"]) {
      EXPECT_TRUE(t["name"].is_string());
      for (const auto& c : t["columns"]) {
        EXPECT_TRUE(c["name"].is_string());
        EXPECT_TRUE(c["type"].is_string());
      }
      for (const auto& row : t["rows"]) EXPECT_EQ(row.size(), t["columns"].size()) << t["name"];
    }
  }
}

}  // namespace

TEST(ShippedConfigs, EveryConfigChecksAndRunsOnTheDemoDatabase) {
  auto configs = demo_configs();
  ASSERT_GE(configs.size(), 5u) << "demo, weekly review, QBR, marketing funnel, customer health";
  for (const auto& config : configs) {
    SCOPED_TRACE(config);
    auto check = run_tally("check '" + config + "' --data '" + demo_database() + "'");
    EXPECT_EQ(check.exit_code, 0) << check.err;
    auto r = run_tally("run '" + config + "' --data '" + demo_database() + "' --format json");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    json doc;
    ASSERT_NO_THROW(doc = json::parse(r.out)) << r.out.substr(0, 500);
    check_contract(doc, config);
  }
}

TEST(ShippedConfigs, TheTableReportShowsNoFailures) {
  for (const auto& config : demo_configs()) {
    auto r = run_tally("run '" + config + "' --data '" + demo_database() + "'");
    EXPECT_EQ(r.exit_code, 0) << config << "\n" << r.err;
    EXPECT_EQ(r.out.find("failed: "), std::string::npos) << config << "\n" << r.out;
  }
}
