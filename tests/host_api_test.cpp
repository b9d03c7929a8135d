// The 1.1 entries of the host function table: notes, KPI qualifiers, run
// warnings and provenance facts, written by metrics and read by reports.
#include <gtest/gtest.h>

#include <cstddef>
#include <string>

#include "plugins/registry.hpp"
#include "run/context.hpp"

namespace {

tally_str c_str(const std::string& s) {
  return tally_str{s.data(), s.size()};
}
std::string text(tally_str s) {
  return s.data ? std::string(s.data, s.size) : std::string();
}

TEST(HostApi, TableOfSdk11ReachesTheNewEntries) {
  const tally_host_api& h = tally::plugins::host_api();
  EXPECT_EQ(h.struct_size, sizeof(tally_host_api));
  EXPECT_EQ(TALLY_SDK_MINOR_OF(h.sdk_version), 2u);  // 1.2 added add_drilldown
  EXPECT_GT(h.struct_size, offsetof(tally_host_api, run_fact));
  EXPECT_GT(h.struct_size, offsetof(tally_host_api, add_drilldown));
}

TEST(HostApi, MetricNotesAndKpiQualifiersReachReports) {
  const tally_host_api& h = tally::plugins::host_api();
  tally::run::RunResult run;
  run.metrics.emplace_back();
  tally_ctx metric_ctx;
  metric_ctx.result = &run.metrics.back();

  std::string note = "amount unknown on 3 deals";
  ASSERT_EQ(h.add_note(&metric_ctx, c_str(note)), TALLY_OK);
  ASSERT_EQ(h.add_note(&metric_ctx, c_str(note)), TALLY_OK);  // shown once
  EXPECT_NE(h.add_note(&metric_ctx, c_str("")), TALLY_OK);

  std::string name = "open_pipeline", qualifier = "new business only", source = "config";
  tally_kpi kpi{};
  kpi.struct_size = sizeof kpi;
  kpi.name = c_str(name);
  kpi.unit = TALLY_UNIT_MONEY;
  kpi.has_value = 1;
  kpi.value = 10;
  kpi.higher_is_better = 1;
  kpi.compare_status = TALLY_COMPARE_NO_DATA;
  kpi.note = c_str(qualifier);
  kpi.target_source = c_str(source);
  ASSERT_EQ(h.add_kpi(&metric_ctx, &kpi), TALLY_OK);

  tally_ctx report_ctx;
  report_ctx.run = &run;
  ASSERT_EQ(h.metric_note_count(&report_ctx, 0), 1u);
  EXPECT_EQ(text(h.metric_note(&report_ctx, 0, 0)), note);
  tally_kpi out{};
  out.struct_size = sizeof out;
  ASSERT_EQ(h.metric_kpi(&report_ctx, 0, 0, &out), TALLY_OK);
  EXPECT_EQ(out.compare_status, TALLY_COMPARE_NO_DATA);
  EXPECT_EQ(text(out.note), qualifier);
  EXPECT_EQ(text(out.target_source), source);
}

TEST(HostApi, A10KpiStructKeepsDefaultsAndAnUnknownStatusIsRefused) {
  const tally_host_api& h = tally::plugins::host_api();
  tally::run::MetricResult result;
  tally_ctx ctx;
  ctx.result = &result;
  std::string name = "won";
  tally_kpi kpi{};
  kpi.struct_size = offsetof(tally_kpi, compare_status);  // as a 1.0 plugin sends it
  kpi.name = c_str(name);
  kpi.unit = TALLY_UNIT_COUNT;
  kpi.higher_is_better = 0;
  kpi.compare_status = 7;  // beyond the 1.0 struct: never read
  ASSERT_EQ(h.add_kpi(&ctx, &kpi), TALLY_OK);
  EXPECT_EQ(result.kpis[0].compare_status, TALLY_COMPARE_OK);
  EXPECT_FALSE(result.kpis[0].higher_is_better);

  std::string other = "lost";
  kpi.struct_size = sizeof kpi;
  kpi.name = c_str(other);
  EXPECT_NE(h.add_kpi(&ctx, &kpi), TALLY_OK);
}

TEST(HostApi, RunWarningsAndFactsInOrder) {
  const tally_host_api& h = tally::plugins::host_api();
  tally::run::RunResult run;
  run.warnings = {"12 rows were rejected by the last import"};
  run.set_fact("data_source", "demo.db");
  run.set_fact("tally_version", "0.1.0");
  run.set_fact("data_source", "other.db");  // replaces, keeps its place
  tally_ctx ctx;
  ctx.run = &run;
  ASSERT_EQ(h.run_warning_count(&ctx), 1u);
  EXPECT_EQ(text(h.run_warning(&ctx, 0)), run.warnings[0]);
  ASSERT_EQ(h.run_fact_count(&ctx), 2u);
  EXPECT_EQ(text(h.run_fact_name(&ctx, 0)), "data_source");
  EXPECT_EQ(text(h.run_fact(&ctx, c_str("data_source"))), "other.db");
  EXPECT_EQ(text(h.run_fact(&ctx, c_str("missing"))), "");
}

}  // namespace
