// Issue 13 item 7: the ABI matrix and struct_size checks. The host table at
// SDK 1.0, 1.1 and 1.2 ($TALLY_HOST_SDK_VERSION, honoured for these tests)
// against plugins built at 1.0 and 1.2, in-process and in a child process; and
// versioned structs shorter than SDK 1.0's, refused with a message.
#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "import/source.hpp"
#include "plugins/registry.hpp"
#include "support/fixture.hpp"

namespace {

const std::string kBad = TALLY_TEST_BAD_PLUGIN_DIR;

using Store = tally::testing::StoreFixture;

// The first metric of a run of `config` through the host (no report: the
// shipped reports are SDK 1.2 plugins) on a host table at `host_version`.
tally::run::MetricResult first_metric(const Store& s, const std::string& metric,
                                      const std::string& host_version) {
  ::setenv("TALLY_HOST_SDK_VERSION", host_version.c_str(), 1);
  tally::run::MetricResult m;
  try {
    m = s.run_config("title: t\ndata: " + s.db_path() + "\nplugin_paths: [" + kBad +
                     "]\nperiod: {from: 2025-01-01, to: 2025-04-01}\nmetrics:\n  - " + metric + "\n")
            .metrics.at(0);
  } catch (const std::exception& e) {
    m.ok = false;
    m.error = e.what();
  }
  ::unsetenv("TALLY_HOST_SDK_VERSION");
  return m;
}

const char* kIsolations[] = {"in_process", "process"};

}  // namespace

TEST(AbiMatrix, A10PluginLoadsOnEveryHostAndSeesItsTable) {
  Store s;
  for (const char* isolation : kIsolations)
    for (int minor = 0; minor <= 2; ++minor) {
      auto m = first_metric(s, std::string("{use: sdk10_metric, isolation: ") + isolation + "}",
                            "1." + std::to_string(minor));
      ASSERT_TRUE(m.ok) << isolation << " host 1." << minor << ": " << m.error;
      EXPECT_EQ(tally::testing::kpi(m, "host_minor").value, minor) << isolation << " host 1." << minor;
    }
}

TEST(AbiMatrix, A12PluginOnAnOlderHostIsRefusedNamingBothVersions) {
  Store s;
  for (const char* isolation : kIsolations) {
    for (int minor = 0; minor <= 1; ++minor) {
      auto m = first_metric(s, std::string("{use: good_metric, isolation: ") + isolation + "}",
                            "1." + std::to_string(minor));
      EXPECT_FALSE(m.ok);
      EXPECT_NE(m.error.find("plugin 'good_metric' needs SDK 1.2, newer than this tally's SDK 1." +
                             std::to_string(minor)),
                std::string::npos)
          << isolation << ": " << m.error;
    }
    auto m = first_metric(s, std::string("{use: good_metric, isolation: ") + isolation + "}", "1.2");
    EXPECT_TRUE(m.ok) << isolation << ": " << m.error;
  }
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
      auto m = first_metric(
          s, std::string("{use: short_struct, isolation: ") + isolation + ", params: {mode: " + mode + "}}",
          "1.2");
      EXPECT_FALSE(m.ok);
      EXPECT_EQ(m.error.rfind(message, 0), 0u) << isolation << " " << mode << ": " << m.error;
    }
}

// A source plugin hands back the tally_record the host gave it; one that
// sets a struct_size below SDK 1.0's is refused, in columns() and in next().
TEST(StructSize, AShortRecordFromASourceIsRefused) {
  tally::plugins::Registry registry({kBad});
  const std::string size = std::to_string(sizeof(tally_record));
  for (const char* function : {"columns", "next"}) {
    try {
      auto source = tally::import::open_source(registry, "short_record", function);
      tally::import::Record record;
      source->next(record);
      ADD_FAILURE() << function << ": the short record was taken";
    } catch (const std::runtime_error& e) {
      EXPECT_EQ(std::string(e.what()), std::string("source plugin 'short_record': ") + function +
                                           ": the plugin's tally_record has struct_size 8, SDK 1.0's is " +
                                           size +
                                           " bytes; set struct_size = sizeof, or rebuild the plugin "
                                           "against the SDK");
    }
  }
}
