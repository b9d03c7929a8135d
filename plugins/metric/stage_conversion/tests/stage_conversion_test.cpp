// Hand-computed checks of stage_conversion on a tiny store (default stages:
// Prospecting, Qualification, Proposal, Negotiation, then Closed Won as the
// final step; Closed Lost is no step).
#include <gtest/gtest.h>

#include "support/fixture.hpp"

using namespace tally::testing;

namespace {

// Cohort Q1 2025: deals 1-6 (deal 7 was created in Q4 2024).
//   1 won   P Q Pr N CW                 (Ann)
//   2 lost  P Q Closed-Lost             (Ann)  lost at Q
//   3 open  P Q (in Q since 01-10)      (Ann)  81 days at 04-01: stalled at Q
//   4 open  Q Pr (in Pr since 03-20)    (Cid)  skipped P; 12 days: not stalled
//   5 open  no history                  (Cid)
//   6 won   P Q Pr, no CW row           (Cid)  skipped N; won = reached CW
// any: P 5, Q 5, Pr 3, N 2, CW 2.   ordered (drops 4, 6): P 3, Q 3, Pr 1, N 1, CW 1.
void seed(const StoreFixture& f) {
  f.exec(
      "INSERT INTO reps(id,name,region) VALUES (1,'Ann','EMEA'),(3,'Cid','NA');"
      "INSERT INTO opportunities(id,owner_id,amount,status,stage,created_at,closed_at) VALUES"
      " (1,1,100,'won','Closed Won','2025-01-05','2025-03-01'),"
      " (2,1,100,'lost','Closed Lost','2025-01-06','2025-01-20'),"
      " (3,1,100,'open','Qualification','2025-01-07',NULL),"
      " (4,3,100,'open','Proposal','2025-02-01',NULL),"
      " (5,3,100,'open','Prospecting','2025-03-01',NULL),"
      " (6,3,100,'won','Closed Won','2025-02-10','2025-03-05'),"
      " (7,1,100,'open','Prospecting','2024-12-01',NULL);"
      "INSERT INTO stage_history(opportunity_id,stage,entered_at,exited_at) VALUES"
      " (1,'Prospecting','2025-01-05','2025-01-10'),(1,'Qualification','2025-01-10','2025-01-20'),"
      " (1,'Proposal','2025-01-20','2025-02-01'),(1,'Negotiation','2025-02-01','2025-03-01'),"
      " (1,'Closed Won','2025-03-01',NULL),"
      " (2,'Prospecting','2025-01-06','2025-01-08'),(2,'Qualification','2025-01-08','2025-01-20'),"
      " (2,'Closed Lost','2025-01-20',NULL),"
      " (3,'Prospecting','2025-01-07','2025-01-10'),(3,'Qualification','2025-01-10',NULL),"
      " (4,'Qualification','2025-02-01','2025-03-20'),(4,'Proposal','2025-03-20',NULL),"
      " (6,'Prospecting','2025-02-10','2025-02-15'),(6,'Qualification','2025-02-15','2025-02-20'),"
      " (6,'Proposal','2025-02-20','2025-03-05'),"
      " (7,'Prospecting','2024-12-01',NULL)");
}

}  // namespace

TEST(StageConversion, AnyModeCountsPassedStages) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("stage_conversion",
                        {.from = "2025-01-01", .to = "2025-04-01", .compare = "previous_period"});
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "funnel");
  EXPECT_EQ(t.chart, TALLY_CHART_FUNNEL);
  ASSERT_EQ(t.rows.size(), 5u);  // Closed Lost is no step
  EXPECT_EQ(number(t, row(t, "stage", "Prospecting"), "deals"), 5);
  EXPECT_EQ(number(t, row(t, "stage", "Qualification"), "deals"), 5);
  EXPECT_EQ(number(t, row(t, "stage", "Proposal"), "deals"), 3);
  EXPECT_EQ(number(t, row(t, "stage", "Negotiation"), "deals"), 2);
  EXPECT_EQ(number(t, row(t, "stage", "Closed Won"), "deals"), 2);
  EXPECT_DOUBLE_EQ(number(t, row(t, "stage", "Qualification"), "next_step_conversion"), 0.6);
  EXPECT_DOUBLE_EQ(number(t, row(t, "stage", "Proposal"), "next_step_conversion"), 2.0 / 3.0);
  EXPECT_TRUE(is_na(t, row(t, "stage", "Closed Won"), "next_step_conversion"));
  EXPECT_DOUBLE_EQ(number(t, row(t, "stage", "Negotiation"), "cumulative_conversion"), 0.4);
  EXPECT_DOUBLE_EQ(*kpi(m, "win_conversion").value, 0.4);
  EXPECT_DOUBLE_EQ(*kpi(m, "cohort_deals").value, 6);
  EXPECT_DOUBLE_EQ(*kpi(m, "deals_without_history").value, 1);  // deal 5
  EXPECT_DOUBLE_EQ(*kpi(m, "deals_skipping_stages").value, 2);  // deals 4, 6
  // Previous period: deal 7 only, still in Prospecting.
  EXPECT_DOUBLE_EQ(*kpi(m, "cohort_deals").previous, 1);
  EXPECT_DOUBLE_EQ(*kpi(m, "win_conversion").previous, 0.0);
}

TEST(StageConversion, LeakageAndLargestLeak) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("stage_conversion", {.from = "2025-01-01", .to = "2025-04-01"});
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "funnel");
  const auto& q = row(t, "stage", "Qualification");
  EXPECT_EQ(number(t, q, "lost"), 1);
  EXPECT_EQ(number(t, q, "stalled"), 1);
  EXPECT_DOUBLE_EQ(number(t, q, "leakage"), 0.4);  // 2 of 5
  EXPECT_EQ(number(t, q, "largest_leak"), 1);
  EXPECT_DOUBLE_EQ(number(t, row(t, "stage", "Proposal"), "leakage"), 0.0);  // deal 4: 12 days only
  EXPECT_TRUE(is_na(t, row(t, "stage", "Closed Won"), "leakage"));
  const auto& leak = table(m, "largest_leak");
  EXPECT_EQ(text(leak, leak.rows.at(0), "stage"), "Qualification");
  EXPECT_DOUBLE_EQ(*kpi(m, "largest_leak_rate").value, 0.4);
  const auto& cohort = table(m, "cohort");
  EXPECT_EQ(number(cohort, row(cohort, "group", "deals_without_history"), "deals"), 1);

  // Deal 3 has sat 81 days in Qualification: with stall_days 90 it is not stalled.
  auto patient = f.run_metric("stage_conversion",
                              {.from = "2025-01-01", .to = "2025-04-01", .params_yaml = "stall_days: 90"});
  ASSERT_TRUE(patient.ok) << patient.error;
  const auto& pt = table(patient, "funnel");
  EXPECT_DOUBLE_EQ(number(pt, row(pt, "stage", "Qualification"), "leakage"), 0.2);
}

TEST(StageConversion, OrderedModeDropsDealsThatSkipped) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("stage_conversion",
                        {.from = "2025-01-01", .to = "2025-04-01", .params_yaml = "mode: ordered"});
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "funnel");
  EXPECT_EQ(number(t, row(t, "stage", "Prospecting"), "deals"), 3);
  EXPECT_EQ(number(t, row(t, "stage", "Proposal"), "deals"), 1);
  EXPECT_EQ(number(t, row(t, "stage", "Closed Won"), "deals"), 1);
  EXPECT_DOUBLE_EQ(number(t, row(t, "stage", "Qualification"), "leakage"), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(*kpi(m, "win_conversion").value, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(*kpi(m, "deals_skipping_stages").value, 2);
  const auto& cohort = table(m, "cohort");
  EXPECT_EQ(number(cohort, row(cohort, "group", "in_funnel"), "deals"), 3);
}

TEST(StageConversion, FilterUsesHistoryForStages) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("stage_conversion",
                        {.from = "2025-01-01", .to = "2025-04-01", .filters_yaml = "region: [EMEA]"});
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "funnel");
  ASSERT_EQ(t.rows.size(), 5u);
  EXPECT_EQ(number(t, row(t, "stage", "Prospecting"), "deals"), 3);  // deals 1, 2, 3
  EXPECT_EQ(number(t, row(t, "stage", "Closed Won"), "deals"), 1);
  EXPECT_DOUBLE_EQ(*kpi(m, "deals_without_history").value, 0);
  EXPECT_DOUBLE_EQ(*kpi(m, "cohort_deals").value, 3);
}

TEST(StageConversion, EmptyAndOneDayPeriods) {
  StoreFixture f;
  seed(f);
  auto empty = f.run_metric("stage_conversion", {.from = "2023-01-01", .to = "2023-04-01"});
  ASSERT_TRUE(empty.ok) << empty.error;
  EXPECT_DOUBLE_EQ(*kpi(empty, "cohort_deals").value, 0);
  EXPECT_FALSE(kpi(empty, "win_conversion").value.has_value());
  EXPECT_FALSE(kpi(empty, "largest_leak_rate").value.has_value());
  const auto& t = table(empty, "funnel");
  EXPECT_TRUE(is_na(t, row(t, "stage", "Prospecting"), "next_step_conversion"));
  EXPECT_TRUE(table(empty, "largest_leak").rows.empty());

  auto day = f.run_metric("stage_conversion", {.from = "2025-03-01", .to = "2025-03-02"});
  ASSERT_TRUE(day.ok) << day.error;
  EXPECT_DOUBLE_EQ(*kpi(day, "cohort_deals").value, 1);  // deal 5, without history
  EXPECT_DOUBLE_EQ(*kpi(day, "deals_without_history").value, 1);
  EXPECT_FALSE(kpi(day, "win_conversion").value.has_value());
}

TEST(StageConversion, GroupByRegionIncludesNullGroup) {
  StoreFixture f;
  seed(f);
  // Deal 8 (owner Dan, no region) created in Q1: P then lost -> the (none) group.
  f.exec(
      "INSERT INTO reps(id,name,region) VALUES (4,'Dan',NULL);"
      "INSERT INTO opportunities(id,owner_id,amount,status,stage,created_at,closed_at) VALUES"
      " (8,4,100,'lost','Closed Lost','2025-01-15','2025-02-01');"
      "INSERT INTO stage_history(opportunity_id,stage,entered_at,exited_at) VALUES"
      " (8,'Prospecting','2025-01-15','2025-02-01'),(8,'Closed Lost','2025-02-01',NULL)");
  auto m = f.run_metric("stage_conversion",
                        {.from = "2025-01-01", .to = "2025-04-01", .params_yaml = "group_by: region"});
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "by_region");
  EXPECT_EQ(t.chart, TALLY_CHART_BAR);
  ASSERT_EQ(t.rows.size(), 3u);
  // EMEA (Ann): deals 1, 2, 3 all reach Prospecting; deal 1 won -> 1/3.
  const auto& emea = row(t, "region", "EMEA");
  EXPECT_EQ(number(t, emea, "deals"), 3);
  EXPECT_EQ(number(t, emea, "first_stage_deals"), 3);
  EXPECT_EQ(number(t, emea, "won_deals"), 1);
  EXPECT_DOUBLE_EQ(number(t, emea, "win_conversion"), 1.0 / 3.0);
  // NA (Cid): deals 4, 5, 6; 5 has no history; 4 and 6 count at Prospecting (any mode); 6 won -> 1/2.
  const auto& na = row(t, "region", "NA");
  EXPECT_EQ(number(t, na, "deals"), 3);
  EXPECT_EQ(number(t, na, "first_stage_deals"), 2);
  EXPECT_EQ(number(t, na, "won_deals"), 1);
  EXPECT_DOUBLE_EQ(number(t, na, "win_conversion"), 0.5);
  // (none) (Dan): deal 8 reached Prospecting, not won -> 0.
  const auto& none = row(t, "region", "(none)");
  EXPECT_EQ(number(t, none, "deals"), 1);
  EXPECT_EQ(number(t, none, "first_stage_deals"), 1);
  EXPECT_EQ(number(t, none, "won_deals"), 0);
  EXPECT_DOUBLE_EQ(number(t, none, "win_conversion"), 0.0);
  // Headline unchanged in shape: 7 deals, P 6, CW 2.
  EXPECT_DOUBLE_EQ(*kpi(m, "cohort_deals").value, 7);
  EXPECT_DOUBLE_EQ(*kpi(m, "win_conversion").value, 2.0 / 6.0);

  // Ordered mode drops 4 and 6 (skipped stages): NA has no deal at the first step -> n/a.
  auto ordered = f.run_metric(
      "stage_conversion",
      {.from = "2025-01-01", .to = "2025-04-01", .params_yaml = "group_by: region, mode: ordered"});
  ASSERT_TRUE(ordered.ok) << ordered.error;
  const auto& ot = table(ordered, "by_region");
  EXPECT_EQ(number(ot, row(ot, "region", "NA"), "first_stage_deals"), 0);
  EXPECT_TRUE(is_na(ot, row(ot, "region", "NA"), "win_conversion"));

  // Without group_by there is no by_ table.
  auto plain = f.run_metric("stage_conversion", {.from = "2025-01-01", .to = "2025-04-01"});
  ASSERT_TRUE(plain.ok) << plain.error;
  for (const auto& tab : plain.tables) EXPECT_NE(tab.name.rfind("by_", 0), 0u) << tab.name;
}
