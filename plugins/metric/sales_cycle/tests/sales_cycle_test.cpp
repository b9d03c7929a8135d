// Hand-computed checks of sales_cycle on a tiny store.
#include <gtest/gtest.h>

#include "support/fixture.hpp"

using namespace tally::testing;

namespace {

// Won in Q1 2025 (cycle days): Ann 10 and 60, Bob 20 and 20 (team Alpha:
// median 20), Cid 60 (team Beta). All: mean 170 / 5 = 34, median 20.
// Ann's median 35 > 1.25 x 20 = 25: flagged. Deal 7 (30 days) was won in Q4 2024.
void seed(const StoreFixture& f) {
  f.exec(
      "INSERT INTO teams(id,name,region) VALUES (1,'Alpha','EMEA'),(2,'Beta','NA');"
      "INSERT INTO reps(id,name,team_id,region) VALUES "
      "(1,'Ann',1,'EMEA'),(2,'Bob',1,'EMEA'),(3,'Cid',2,'NA');"
      "INSERT INTO opportunities(id,owner_id,amount,status,created_at,closed_at) VALUES"
      " (1,1,100,'won','2025-01-01','2025-01-11'),"
      " (2,1,100,'won','2024-12-02','2025-01-31'),"
      " (3,2,100,'won','2025-01-01','2025-01-21'),"
      " (4,2,100,'won','2025-02-01','2025-02-21'),"
      " (5,3,100,'won','2025-01-01','2025-03-02'),"
      " (6,1,100,'lost','2025-01-01','2025-03-01'),"
      " (7,3,100,'won','2024-10-01','2024-10-31');"
      // Stage exits in Q1: Prospecting 2, 4, 6 days; Qualification 8, 16 days.
      "INSERT INTO stage_history(opportunity_id,stage,entered_at,exited_at) VALUES"
      " (1,'Prospecting','2025-01-01','2025-01-03'),(1,'Qualification','2025-01-03','2025-01-11'),"
      " (1,'Closed Won','2025-01-11',NULL),"
      " (3,'Prospecting','2025-01-01','2025-01-05'),(3,'Qualification','2025-01-05','2025-01-21'),"
      " (5,'Prospecting','2025-01-01','2025-01-07'),"
      " (2,'Prospecting','2024-12-02','2024-12-12')");
}

}  // namespace

TEST(SalesCycle, MeanMedianAndComparison) {
  StoreFixture f;
  seed(f);
  auto m =
      f.run_metric("sales_cycle", {.from = "2025-01-01", .to = "2025-04-01", .compare = "previous_period"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "mean_cycle_days").value, 34);
  EXPECT_DOUBLE_EQ(*kpi(m, "median_cycle_days").value, 20);
  EXPECT_FALSE(kpi(m, "median_cycle_days").higher_is_better);
  EXPECT_DOUBLE_EQ(*kpi(m, "mean_cycle_days").previous, 30);
  EXPECT_DOUBLE_EQ(*kpi(m, "won_deals").value, 5);
}

TEST(SalesCycle, RepAgainstTeamMedian) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("sales_cycle", {.from = "2025-01-01", .to = "2025-04-01"});
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "by_rep");
  const auto& ann = row(t, "rep", "Ann");
  EXPECT_DOUBLE_EQ(number(t, ann, "median_days"), 35);
  EXPECT_DOUBLE_EQ(number(t, ann, "team_median_days"), 20);
  EXPECT_DOUBLE_EQ(number(t, ann, "vs_team_median"), 1.75);
  EXPECT_EQ(number(t, ann, "coaching_flag"), 1);
  EXPECT_EQ(number(t, row(t, "rep", "Bob"), "coaching_flag"), 0);
  const auto& cid = row(t, "rep", "Cid");  // alone in his team: his median is the team's
  EXPECT_DOUBLE_EQ(number(t, cid, "team_median_days"), 60);
  EXPECT_EQ(number(t, cid, "coaching_flag"), 0);
  EXPECT_DOUBLE_EQ(*kpi(m, "reps_flagged").value, 1);

  // With a factor of 2, 35 <= 40: nobody is flagged.
  auto lenient = f.run_metric(
      "sales_cycle", {.from = "2025-01-01", .to = "2025-04-01", .params_yaml = "coaching_factor: 2"});
  ASSERT_TRUE(lenient.ok) << lenient.error;
  EXPECT_DOUBLE_EQ(*kpi(lenient, "reps_flagged").value, 0);
}

TEST(SalesCycle, StageDurationsAndBottleneck) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("sales_cycle", {.from = "2025-01-01", .to = "2025-04-01"});
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "stage_durations");
  ASSERT_EQ(t.rows.size(), 2u);  // Closed Won never exited; the December exit is outside
  const auto& p = row(t, "stage", "Prospecting");
  EXPECT_EQ(number(t, p, "exits"), 3);
  EXPECT_DOUBLE_EQ(number(t, p, "p50_days"), 4);
  EXPECT_NEAR(number(t, p, "p90_days"), 5.6, 1e-9);  // 4 + 0.8 x (6 - 4)
  const auto& q = row(t, "stage", "Qualification");
  EXPECT_DOUBLE_EQ(number(t, q, "p50_days"), 12);
  EXPECT_NEAR(number(t, q, "p90_days"), 15.2, 1e-9);  // 8 + 0.9 x (16 - 8)
  EXPECT_EQ(number(t, q, "slowest"), 1);
  EXPECT_EQ(number(t, p, "slowest"), 0);
  const auto& b = table(m, "bottleneck");
  EXPECT_EQ(text(b, b.rows.at(0), "stage"), "Qualification");
  EXPECT_DOUBLE_EQ(*kpi(m, "slowest_stage_p50_days").value, 12);
}

TEST(SalesCycle, FilterGroupByAndEmptyPeriods) {
  StoreFixture f;
  seed(f);
  auto na =
      f.run_metric("sales_cycle", {.from = "2025-01-01", .to = "2025-04-01", .filters_yaml = "region: [NA]"});
  ASSERT_TRUE(na.ok) << na.error;
  EXPECT_DOUBLE_EQ(*kpi(na, "median_cycle_days").value, 60);
  EXPECT_DOUBLE_EQ(*kpi(na, "slowest_stage_p50_days").value, 6);  // only deal 5's Prospecting exit

  auto by_team = f.run_metric("sales_cycle",
                              {.from = "2025-01-01", .to = "2025-04-01", .params_yaml = "group_by: team"});
  ASSERT_TRUE(by_team.ok) << by_team.error;
  const auto& t = table(by_team, "by_team");
  EXPECT_DOUBLE_EQ(number(t, row(t, "team", "Alpha"), "mean_days"), 27.5);  // (10 + 60 + 20 + 20) / 4

  auto empty =
      f.run_metric("sales_cycle", {.from = "2023-01-01", .to = "2023-04-01", .compare = "previous_year"});
  ASSERT_TRUE(empty.ok) << empty.error;
  EXPECT_FALSE(kpi(empty, "mean_cycle_days").value.has_value());
  EXPECT_FALSE(kpi(empty, "median_cycle_days").previous.has_value());
  EXPECT_FALSE(kpi(empty, "slowest_stage_p50_days").value.has_value());
  EXPECT_TRUE(table(empty, "by_rep").rows.empty());
  EXPECT_TRUE(table(empty, "bottleneck").rows.empty());

  auto day = f.run_metric("sales_cycle", {.from = "2025-01-21", .to = "2025-01-22"});
  ASSERT_TRUE(day.ok) << day.error;
  EXPECT_DOUBLE_EQ(*kpi(day, "mean_cycle_days").value, 20);  // deal 3
}

// Issue 11: intervals that run backwards are data errors. Deal 8 was won two
// days before it was created; a Prospecting visit of deal 4 ends before it
// began. Both are left out of the durations (the figures of the seed stay:
// mean 34, median 20; Prospecting 2, 4, 6 days) and counted in notes; the
// deal still counts as won.
TEST(SalesCycle, BackwardsIntervalsAreExcludedWithANote) {
  StoreFixture f;
  seed(f);
  f.exec(
      "INSERT INTO opportunities(id,owner_id,amount,status,created_at,closed_at) VALUES"
      " (8,2,100,'won','2025-02-10','2025-02-08');"
      "INSERT INTO stage_history(opportunity_id,stage,entered_at,exited_at) VALUES"
      " (4,'Prospecting','2025-02-10','2025-02-01')");
  auto m = f.run_metric("sales_cycle", {.from = "2025-01-01", .to = "2025-04-01"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "mean_cycle_days").value, 34);
  EXPECT_DOUBLE_EQ(*kpi(m, "median_cycle_days").value, 20);
  EXPECT_DOUBLE_EQ(*kpi(m, "won_deals").value, 6);
  const auto& t = table(m, "stage_durations");
  EXPECT_DOUBLE_EQ(number(t, row(t, "stage", "Prospecting"), "mean_days"), 4);
  EXPECT_DOUBLE_EQ(number(t, row(t, "stage", "Prospecting"), "p50_days"), 4);
  const std::vector<std::string> expected = {
      "1 won deal closed before created: left out of the cycle times (data error)",
      "1 stage exit before its entry: left out of the stage durations (data error)"};
  EXPECT_EQ(m.notes, expected);
}
