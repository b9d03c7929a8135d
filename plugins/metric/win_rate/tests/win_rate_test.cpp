// Hand-computed checks of win_rate on a tiny store.
#include <gtest/gtest.h>

#include "support/fixture.hpp"

using namespace tally::testing;

namespace {

// Closed in Q1 2025: 1 won, 2 lost, 3 won. Closed in Q4 2024: 5 lost, 6 won.
// Created in Q1 2025: 2 lost, 3 won, 4 open, 7 won (closed after Q1).
// Created in Q4 2024: 1 won, 5 lost, 6 won.
void seed(const StoreFixture& f) {
  f.exec(
      "INSERT INTO reps(id,name,region) VALUES (1,'Ann','EMEA'),(2,'Bob','EMEA'),(3,'Cid','NA');"
      "INSERT INTO opportunities(id,owner_id,amount,source,status,created_at,closed_at) VALUES"
      " (1,1,100,'web','won','2024-11-01','2025-01-10'),"
      " (2,1,100,'web','lost','2025-01-02','2025-02-01'),"
      " (3,2,100,'referral','won','2025-01-03','2025-03-01 15:00:00'),"
      " (4,3,100,'web','open','2025-02-01',NULL),"
      " (5,3,100,'web','lost','2024-10-05','2024-12-01'),"
      " (6,2,100,'web','won','2024-10-10','2024-11-10'),"
      " (7,1,100,'web','won','2025-03-10','2025-05-01')");
}

}  // namespace

TEST(WinRate, ClosedBasisWithComparison) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("win_rate", {.from = "2025-01-01", .to = "2025-04-01", .compare = "previous_period"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "win_rate").value, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(*kpi(m, "win_rate").previous, 0.5);
  EXPECT_DOUBLE_EQ(*kpi(m, "won").value, 2);
  EXPECT_DOUBLE_EQ(*kpi(m, "closed").value, 3);
}

TEST(WinRate, CreatedBasisCountsOpenDeals) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("win_rate", {.from = "2025-01-01",
                                     .to = "2025-04-01",
                                     .compare = "previous_period",
                                     .params_yaml = "basis: created"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "win_rate").value, 0.5);  // 3 and 7 won of 2, 3, 4, 7
  EXPECT_DOUBLE_EQ(*kpi(m, "win_rate").previous, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(*kpi(m, "created").value, 4);
}

TEST(WinRate, ByRep) {
  StoreFixture f;
  seed(f);
  auto m =
      f.run_metric("win_rate", {.from = "2025-01-01", .to = "2025-04-01", .params_yaml = "group_by: rep"});
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "by_rep");
  ASSERT_EQ(t.rows.size(), 2u);  // Cid closed nothing in Q1
  EXPECT_DOUBLE_EQ(number(t, row(t, "rep", "Ann"), "win_rate"), 0.5);
  EXPECT_EQ(number(t, row(t, "rep", "Ann"), "lost"), 1);
  EXPECT_DOUBLE_EQ(number(t, row(t, "rep", "Bob"), "win_rate"), 1.0);  // a group with a single deal
}

TEST(WinRate, FilterAndZeroDenominator) {
  StoreFixture f;
  seed(f);
  auto closed =
      f.run_metric("win_rate", {.from = "2025-01-01", .to = "2025-04-01", .filters_yaml = "region: [NA]"});
  ASSERT_TRUE(closed.ok) << closed.error;
  EXPECT_FALSE(kpi(closed, "win_rate").value.has_value());  // Cid closed nothing: n/a, not 0
  EXPECT_DOUBLE_EQ(*kpi(closed, "closed").value, 0);

  auto created = f.run_metric("win_rate", {.from = "2025-01-01",
                                           .to = "2025-04-01",
                                           .params_yaml = "basis: created",
                                           .filters_yaml = "region: [NA]"});
  ASSERT_TRUE(created.ok) << created.error;
  EXPECT_DOUBLE_EQ(*kpi(created, "win_rate").value, 0.0);  // deal 4 is open
}

TEST(WinRate, EmptyAndOneDayPeriods) {
  StoreFixture f;
  seed(f);
  auto empty =
      f.run_metric("win_rate", {.from = "2023-01-01", .to = "2023-04-01", .params_yaml = "group_by: source"});
  ASSERT_TRUE(empty.ok) << empty.error;
  EXPECT_FALSE(kpi(empty, "win_rate").value.has_value());
  EXPECT_TRUE(table(empty, "by_source").rows.empty());

  auto day = f.run_metric("win_rate", {.from = "2025-03-01", .to = "2025-03-02"});
  ASSERT_TRUE(day.ok) << day.error;
  EXPECT_DOUBLE_EQ(*kpi(day, "win_rate").value, 1.0);  // deal 3 only
}
