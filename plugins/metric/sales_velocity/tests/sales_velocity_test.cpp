// Numbers below are worked out by hand from the rows each test inserts.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "support/fixture.hpp"

using namespace tally::testing;

namespace {

// Q1 2025. Ann (EMEA) won #1 (100, 30 days) and #2 (300, 60 days); Bob (NA) lost #3.
// Open at 2025-04-01: #4, #5 (status open) and #7 (won only on 2025-04-10); #6 is created after it.
// #8 was lost in Q4 2024.
void seed(const StoreFixture& f) {
  f.exec(
      "INSERT INTO reps(id,name,region) VALUES (1,'Ann','EMEA'),(2,'Bob','NA');"
      "INSERT INTO opportunities(id,owner_id,amount,status,created_at,closed_at,stage) VALUES"
      " (1,1,100,'won','2024-12-02','2025-01-01','Closed Won'),"
      " (2,1,300,'won','2025-01-01','2025-03-02','Closed Won'),"
      " (3,2,50,'lost','2025-01-10','2025-02-10','Closed Lost'),"
      " (4,1,1000,'open','2025-02-01',NULL,'Proposal'),"
      " (5,2,500,'open','2025-03-01',NULL,'Prospecting'),"
      " (6,2,700,'open','2025-04-15',NULL,'Prospecting'),"
      " (7,2,80,'won','2025-01-05','2025-04-10','Closed Won'),"
      " (8,1,40,'lost','2024-11-01','2024-12-20','Closed Lost');");
}

}  // namespace

TEST(SalesVelocity, HeadlineAndComponents) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("sales_velocity", span("2025-01-01", "2025-04-01"));
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "open_opportunities").value, 3);
  EXPECT_DOUBLE_EQ(*kpi(m, "win_rate").value, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(*kpi(m, "avg_deal_size").value, 200);
  EXPECT_DOUBLE_EQ(*kpi(m, "avg_sales_cycle_days").value, 45);
  EXPECT_FALSE(kpi(m, "avg_sales_cycle_days").higher_is_better);
  EXPECT_DOUBLE_EQ(*kpi(m, "sales_velocity").value, 3 * (2.0 / 3.0) * 200 / 45);
}

TEST(SalesVelocity, ComparisonPeriod) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("sales_velocity", span("2025-01-01", "2025-04-01", "previous_period"));
  ASSERT_TRUE(m.ok) << m.error;
  // Q4 2024: #1 open at its end (closed on 2025-01-01), #8 lost, nothing won.
  EXPECT_DOUBLE_EQ(*kpi(m, "open_opportunities").previous, 1);
  EXPECT_DOUBLE_EQ(*kpi(m, "win_rate").previous, 0);
  EXPECT_FALSE(kpi(m, "avg_deal_size").previous.has_value());
  EXPECT_FALSE(kpi(m, "sales_velocity").previous.has_value());
}

TEST(SalesVelocity, EmptyPeriodIsNa) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("sales_velocity", span("2030-01-01", "2030-04-01"));
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "open_opportunities").value, 3);  // #4 #5 #6 are still open
  EXPECT_FALSE(kpi(m, "win_rate").value.has_value());
  EXPECT_FALSE(kpi(m, "avg_sales_cycle_days").value.has_value());
  EXPECT_FALSE(kpi(m, "sales_velocity").value.has_value());
}

TEST(SalesVelocity, OneDayPeriod) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("sales_velocity", span("2025-03-02", "2025-03-03"));
  ASSERT_TRUE(m.ok) << m.error;
  // #2 won that day after 60 days; open at its end: #4, #5, #7.
  EXPECT_DOUBLE_EQ(*kpi(m, "sales_velocity").value, 3 * 1.0 * 300 / 60);
}

TEST(SalesVelocity, ZeroDayCycleIsNa) {
  StoreFixture f;
  f.exec(
      "INSERT INTO reps(id,name,region) VALUES (1,'Ann','EMEA');"
      "INSERT INTO opportunities(id,owner_id,amount,status,created_at,closed_at) VALUES"
      " (1,1,100,'won','2025-01-05 10:00:00','2025-01-05 10:00:00'),"
      " (2,1,100,'open','2025-01-06',NULL);");
  auto m = f.run_metric("sales_velocity", span("2025-01-01", "2025-04-01"));
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "avg_sales_cycle_days").value, 0);
  EXPECT_FALSE(kpi(m, "sales_velocity").value.has_value());
}

TEST(SalesVelocity, GroupByRegion) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("sales_velocity", span("2025-01-01", "2025-04-01", "none", "group_by: region"));
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "by_region");
  const auto& emea = row(t, "region", "EMEA");
  EXPECT_EQ(number(t, emea, "open_opportunities"), 1);
  EXPECT_DOUBLE_EQ(number(t, emea, "win_rate"), 1.0);
  EXPECT_DOUBLE_EQ(number(t, emea, "sales_velocity"), 1 * 1.0 * 200 / 45);
  const auto& na = row(t, "region", "NA");  // one lost deal, nothing won
  EXPECT_EQ(number(t, na, "open_opportunities"), 2);
  EXPECT_DOUBLE_EQ(number(t, na, "win_rate"), 0.0);
  EXPECT_TRUE(is_na(t, na, "avg_deal_size"));
  EXPECT_TRUE(is_na(t, na, "sales_velocity"));
}

TEST(SalesVelocity, FilterKeepsOneRegion) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("sales_velocity", span("2025-01-01", "2025-04-01", "none", "", "region: [EMEA]"));
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "open_opportunities").value, 1);
  EXPECT_DOUBLE_EQ(*kpi(m, "sales_velocity").value, 200.0 / 45);
}

// Issue 11: deal 9, won in Q1, has no amount and closed before it was created.
// It counts as won (win rate 3 / 4) but not in the average deal size (400 / 2
// = 200, not 400 / 3) nor in the cycle (still 45 days): velocity = 3 x 0.75 x
// 200 / 45 = 10 per day. Two notes say so.
TEST(SalesVelocity, UnknownAmountAndBackwardsCycleAreLeftOut) {
  StoreFixture f;
  seed(f);
  f.exec(
      "INSERT INTO opportunities(id,owner_id,amount,status,created_at,closed_at,stage) VALUES"
      " (9,1,NULL,'won','2025-02-10','2025-02-08','Closed Won')");
  auto m = f.run_metric("sales_velocity", span("2025-01-01", "2025-04-01"));
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "win_rate").value, 0.75);
  EXPECT_DOUBLE_EQ(*kpi(m, "avg_deal_size").value, 200);
  EXPECT_DOUBLE_EQ(*kpi(m, "avg_sales_cycle_days").value, 45);
  EXPECT_NEAR(*kpi(m, "sales_velocity").value, 10, 1e-9);
  const std::vector<std::string> expected = {
      "amount unknown on 1 won deal: Average deal size and velocity count the known amounts only",
      "1 won deal closed before created: left out of the average sales cycle (data error)"};
  EXPECT_EQ(m.notes, expected);
}
