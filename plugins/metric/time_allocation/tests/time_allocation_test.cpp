// Hand-computed checks of time_allocation. In March 2025 Ann logs 420 minutes
// (180 selling), Bob 240 (60 selling): 660 minutes, 240 of them selling.
#include <gtest/gtest.h>

#include "support/fixture.hpp"

// MetricRun is filled with designated initializers; the fields left out keep their defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

using namespace tally::testing;

namespace {

void seed(StoreFixture& f) {
  f.exec(
      "INSERT INTO reps(id,name,region) VALUES (1,'Ann','EMEA'),(2,'Bob','NA'),(3,'Cat','NA');"
      "INSERT INTO time_entries(rep_id,day,category,minutes) VALUES"
      " (1,'2025-03-03','selling',120),(1,'2025-03-03','prospecting',60),(1,'2025-03-03','admin',60),"
      " (1,'2025-03-04','selling',60),(1,'2025-03-04','travel',120),"
      " (2,'2025-03-05','selling',60),(2,'2025-03-05','data_entry',120),(2,'2025-03-05','training',60),"
      " (2,'2025-02-10','selling',240),(1,'2025-04-01','selling',100);"
      "INSERT INTO opportunities(id,owner_id,amount,status,created_at,closed_at,stage) VALUES"
      " (1,1,1000,'won','2025-01-05','2025-03-10','Closed Won'),"
      " (2,1,500,'won','2025-01-05','2025-03-20','Closed Won'),"
      " (3,2,700,'lost','2025-01-05','2025-03-12','Closed Lost'),"
      " (4,2,300,'won','2025-01-05','2025-02-12','Closed Won'),"
      " (5,3,200,'won','2025-01-05','2025-03-25','Closed Won');");
}

}  // namespace

TEST(TimeAllocation, SellingShareAgainstBenchmark) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("time_allocation",
                        {.from = "2025-03-01", .to = "2025-04-01", .compare = "previous_period"});
  ASSERT_TRUE(m.ok) << m.error;
  const auto& selling = kpi(m, "selling_share");
  EXPECT_DOUBLE_EQ(*selling.value, 240.0 / 660.0);
  EXPECT_DOUBLE_EQ(*selling.target, 0.39);
  EXPECT_DOUBLE_EQ(*selling.previous, 1.0);  // only Bob's 240 selling minutes on 2025-02-10
  EXPECT_DOUBLE_EQ(*kpi(m, "logged_hours").value, 11.0);
  EXPECT_DOUBLE_EQ(*kpi(m, "logged_hours").previous, 4.0);

  const auto& cats = table(m, "by_category");
  EXPECT_DOUBLE_EQ(number(cats, row(cats, "category", "travel"), "hours"), 2.0);
  EXPECT_DOUBLE_EQ(number(cats, row(cats, "category", "travel"), "share"), 120.0 / 660.0);
  EXPECT_DOUBLE_EQ(number(cats, row(cats, "category", "presenting"), "share"), 0.0);
}

TEST(TimeAllocation, PerRepAgainstDealsAndRevenue) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("time_allocation", {.from = "2025-03-01", .to = "2025-04-01"});
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "by_rep");
  const auto& ann = row(t, "rep", "Ann");
  EXPECT_DOUBLE_EQ(number(t, ann, "logged_hours"), 7.0);
  EXPECT_DOUBLE_EQ(number(t, ann, "selling_share"), 180.0 / 420.0);
  EXPECT_DOUBLE_EQ(number(t, ann, "travel_share"), 120.0 / 420.0);
  EXPECT_EQ(number(t, ann, "deals_won"), 2);
  EXPECT_DOUBLE_EQ(number(t, ann, "revenue"), 1500.0);
  EXPECT_DOUBLE_EQ(number(t, ann, "revenue_per_selling_hour"), 500.0);  // 1500 over 3 selling hours
  const auto& bob = row(t, "rep", "Bob");
  EXPECT_DOUBLE_EQ(number(t, bob, "data_entry_share"), 0.5);
  EXPECT_EQ(number(t, bob, "deals_won"), 0);  // the lost deal and February's win do not count
  // Cat won a deal but logged no time: shares are n/a, not 0.
  const auto& cat = row(t, "rep", "Cat");
  EXPECT_DOUBLE_EQ(number(t, cat, "logged_hours"), 0.0);
  EXPECT_TRUE(is_na(t, cat, "selling_share"));
  EXPECT_TRUE(is_na(t, cat, "revenue_per_selling_hour"));
  EXPECT_DOUBLE_EQ(number(t, cat, "revenue"), 200.0);
}

TEST(TimeAllocation, BenchmarkParamAndConfigTarget) {
  StoreFixture f;
  seed(f);
  auto m =
      f.run_metric("time_allocation",
                   {.from = "2025-03-01", .to = "2025-04-01", .params_yaml = "benchmark_selling_share: 0.5"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "selling_share").target, 0.5);
}

TEST(TimeAllocation, EmptyPeriod) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("time_allocation", {.from = "2024-01-01", .to = "2024-02-01"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_FALSE(kpi(m, "selling_share").value.has_value());
  EXPECT_DOUBLE_EQ(*kpi(m, "logged_hours").value, 0.0);
  EXPECT_TRUE(table(m, "by_rep").rows.empty());
  EXPECT_TRUE(is_na(table(m, "by_category"), row(table(m, "by_category"), "category", "selling"), "share"));
}

TEST(TimeAllocation, OneDayPeriod) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("time_allocation", {.from = "2025-03-05", .to = "2025-03-06"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "selling_share").value, 0.25);  // Bob's day
}

TEST(TimeAllocation, RegionFilter) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("time_allocation",
                        {.from = "2025-03-01", .to = "2025-04-01", .filters_yaml = "region: [EMEA]"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "selling_share").value, 180.0 / 420.0);
  EXPECT_EQ(table(m, "by_rep").rows.size(), 1u);
}

TEST(TimeAllocation, GroupByTeam) {
  StoreFixture f;
  seed(f);
  // Ann is in Alpha, Cat in Gamma with a zero-minute entry, Bob has no team.
  f.exec(
      "INSERT INTO teams(id,name) VALUES (1,'Alpha'),(2,'Gamma');"
      "UPDATE reps SET team_id = 1 WHERE id = 1; UPDATE reps SET team_id = 2 WHERE id = 3;"
      "INSERT INTO time_entries(rep_id,day,category,minutes) VALUES (3,'2025-03-06','admin',0);");
  auto m = f.run_metric("time_allocation",
                        {.from = "2025-03-01", .to = "2025-04-01", .params_yaml = "group_by: team"});
  ASSERT_TRUE(m.ok) << m.error;
  // Headline KPI unchanged by grouping: 240 selling of 660 minutes.
  EXPECT_DOUBLE_EQ(*kpi(m, "selling_share").value, 240.0 / 660.0);
  const auto& t = table(m, "by_team");
  ASSERT_EQ(t.rows.size(), 3u);
  const auto& alpha = row(t, "team", "Alpha");  // Ann: 420 minutes, 180 selling
  EXPECT_DOUBLE_EQ(number(t, alpha, "logged_hours"), 7.0);
  EXPECT_DOUBLE_EQ(number(t, alpha, "selling_share"), 180.0 / 420.0);
  const auto& none = row(t, "team", "(none)");  // Bob: 240 minutes, 60 selling
  EXPECT_DOUBLE_EQ(number(t, none, "logged_hours"), 4.0);
  EXPECT_DOUBLE_EQ(number(t, none, "selling_share"), 0.25);
  const auto& gamma = row(t, "team", "Gamma");  // Cat: 0 minutes, so the share is n/a
  EXPECT_DOUBLE_EQ(number(t, gamma, "logged_hours"), 0.0);
  EXPECT_TRUE(is_na(t, gamma, "selling_share"));

  auto plain = f.run_metric("time_allocation", {.from = "2025-03-01", .to = "2025-04-01"});
  ASSERT_TRUE(plain.ok) << plain.error;
  for (const auto& tbl : plain.tables) EXPECT_NE(tbl.name, "by_team");
}
