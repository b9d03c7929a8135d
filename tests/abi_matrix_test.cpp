// Issue 13 item 7: the ABI matrix and struct_size checks. The host table at
// SDK 1.0, 1.1 and 1.2 ($TALLY_HOST_SDK_VERSION, honoured for these tests)
// against plugins built at 1.0 and 1.2, in-process and in a child process; and
// versioned structs shorter than SDK 1.0's, refused with a message.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/command.hpp"
#include "support/fixture.hpp"

using namespace tally::testing;

namespace {

const std::string kBad = TALLY_TEST_BAD_PLUGIN_DIR;

struct Store : tally::testing::StoreFixture {
  std::string config(const std::string& name, const std::string& metric) const {
    return dir().write(name + ".yaml", "title: t\ndata: " + db_path() + "\nplugin_paths: [" + kBad +
                                           "]\nperiod: {from: 2025-01-01, to: 2025-04-01}\nmetrics:\n  - " +
                                           metric + "\n");
  }
};

// The first metric of a JSON run of `config` on a host at `host_version`.
nlohmann::json first_metric(const std::string& config, const std::string& host_version, int& exit_code) {
  auto r = run_shell("TALLY_HOST_SDK_VERSION=" + host_version + " '" + TALLY_EXE + "' run '" + config +
                     "' --format json");
  exit_code = r.exit_code;
  auto json = nlohmann::json::parse(r.out, nullptr, false);
  if (json.is_discarded() || json["metrics"].empty()) {
    ADD_FAILURE() << r.out << r.err;
    return {};
  }
  return json["metrics"][0];
}

const char* kIsolations[] = {"in_process", "process"};

}  // namespace

TEST(AbiMatrix, A10PluginLoadsOnEveryHostAndSeesItsTable) {
  Store s;
  for (const char* isolation : kIsolations)
    for (int minor = 0; minor <= 2; ++minor) {
      const std::string config = s.config(std::string("p10-") + isolation,
                                          std::string("{use: sdk10_metric, isolation: ") + isolation + "}");
      int code = -1;
      auto m = first_metric(config, "1." + std::to_string(minor), code);
      EXPECT_EQ(code, 0) << isolation << " host 1." << minor << ": " << m.dump();
      EXPECT_EQ(m["status"], "ok") << isolation << " host 1." << minor;
      EXPECT_EQ(m["kpis"][0]["value"], minor) << isolation << " host 1." << minor;
    }
}

TEST(AbiMatrix, A12PluginOnAnOlderHostIsRefusedNamingBothVersions) {
  Store s;
  for (const char* isolation : kIsolations)
    for (int minor = 0; minor <= 1; ++minor) {
      const std::string config = s.config(std::string("p12-") + isolation,
                                          std::string("{use: good_metric, isolation: ") + isolation + "}");
      int code = -1;
      auto m = first_metric(config, "1." + std::to_string(minor), code);
      EXPECT_EQ(code, 1);
      const std::string error = m.value("error", "");
      EXPECT_NE(error.find("plugin 'good_metric' needs SDK 1.2, newer than this tally's SDK 1." +
                           std::to_string(minor)),
                std::string::npos)
          << isolation << ": " << error;
    }
  int code = -1;
  auto m = first_metric(s.config("p12-now", "{use: good_metric}"), "1.2", code);
  EXPECT_EQ(code, 0) << m.dump();
}

TEST(StructSize, AShortStructIsRefusedNotReadOrWrittenPast) {
  Store s;
  const std::pair<const char*, const char*> cases[] = {
      {"period", "period: the plugin's tally_period has struct_size 4, SDK 1.0's is 40 bytes"},
      {"chart", "table_set_chart: the plugin's tally_chart_hint has struct_size 8, SDK 1.0's is 40 bytes"},
      {"kpi", "add_kpi: the plugin's tally_kpi has struct_size 12, SDK 1.0's is 88 bytes"},
  };
  for (const char* isolation : kIsolations)
    for (const auto& [mode, message] : cases) {
      const std::string config = s.config(
          std::string("short-") + mode + isolation,
          std::string("{use: short_struct, isolation: ") + isolation + ", params: {mode: " + mode + "}}");
      int code = -1;
      auto m = first_metric(config, "1.2", code);
      EXPECT_EQ(code, 1);
      EXPECT_EQ(m["status"], "error");
      const std::string error = m.value("error", "");
      EXPECT_EQ(error.rfind(message, 0), 0u) << isolation << " " << mode << ": " << error;
    }
}
