// Hand-computed checks of avg_deal_size on a tiny store.
#include <gtest/gtest.h>

#include "support/fixture.hpp"

using namespace tally::testing;

namespace {

// Won in Q1 2025: 1 (100, Jan), 2 (300, Jan), 3 (200, Feb), 4 (no amount, Mar):
// deal 4's amount is unknown, not $0: 600 / 3 = 200, with a note. Deal 5 is
// lost; deal 6 (400) was won in Q4 2024.
void seed(const StoreFixture& f) {
  f.exec(
      "INSERT INTO reps(id,name,region) VALUES (1,'Ann','EMEA'),(2,'Bob','EMEA'),(3,'Cid','NA');"
      "INSERT INTO opportunities(id,owner_id,amount,status,created_at,closed_at) VALUES"
      " (1,1,100,'won','2024-12-01','2025-01-10'),"
      " (2,2,300,'won','2024-12-01','2025-01-20'),"
      " (3,3,200,'won','2024-12-01','2025-02-05'),"
      " (4,1,NULL,'won','2024-12-01','2025-03-01 08:00:00'),"
      " (5,1,1000,'lost','2024-12-01','2025-02-01'),"
      " (6,2,400,'won','2024-10-01','2024-12-15')");
}

}  // namespace

TEST(AvgDealSize, HeadlineAndComparison) {
  StoreFixture f;
  seed(f);
  auto m =
      f.run_metric("avg_deal_size", {.from = "2025-01-01", .to = "2025-04-01", .compare = "previous_period"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "avg_deal_size").value, 200);
  EXPECT_DOUBLE_EQ(*kpi(m, "avg_deal_size").previous, 400);
  EXPECT_DOUBLE_EQ(*kpi(m, "won_deals").value, 4);
  EXPECT_DOUBLE_EQ(*kpi(m, "won_amount").value, 600);
  ASSERT_EQ(m.notes.size(), 1u);
  EXPECT_EQ(m.notes[0],
            "amount unknown on 1 won deal: Won amount and average deal size count the known amounts only");
}

// Issue 11: unknown is never $0. March's only won deal has no amount: its
// won amount and average are n/a; a period whose every won deal lacks an
// amount has n/a totals, and its comparison is not "-100 %".
TEST(AvgDealSize, OnlyUnknownAmountsAreNotZero) {
  StoreFixture f;
  seed(f);
  auto march =
      f.run_metric("avg_deal_size", {.from = "2025-03-01", .to = "2025-04-01", .compare = "previous_period"});
  ASSERT_TRUE(march.ok) << march.error;
  EXPECT_DOUBLE_EQ(*kpi(march, "won_deals").value, 1);
  EXPECT_FALSE(kpi(march, "won_amount").value.has_value());
  EXPECT_FALSE(kpi(march, "avg_deal_size").value.has_value());
  EXPECT_DOUBLE_EQ(*kpi(march, "won_amount").previous, 200);  // February: deal 3
  EXPECT_FALSE(kpi(march, "won_amount").change_relative().has_value());
}

TEST(AvgDealSize, MonthlyAndQuarterlyTrend) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("avg_deal_size", {.from = "2025-01-01", .to = "2025-04-01"});
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "trend");
  EXPECT_EQ(t.chart, TALLY_CHART_LINE);
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_DOUBLE_EQ(number(t, row(t, "month", "2025-01-01"), "avg_deal_size"), 200);
  EXPECT_DOUBLE_EQ(number(t, row(t, "month", "2025-02-01"), "avg_deal_size"), 200);
  EXPECT_TRUE(is_na(t, row(t, "month", "2025-03-01"), "avg_deal_size"));  // only deal 4, no amount
  EXPECT_TRUE(is_na(t, row(t, "month", "2025-03-01"), "won_amount"));

  auto q = f.run_metric("avg_deal_size",
                        {.from = "2024-10-01", .to = "2025-04-01", .params_yaml = "trend: quarter"});
  ASSERT_TRUE(q.ok) << q.error;
  const auto& qt = table(q, "trend");
  EXPECT_DOUBLE_EQ(number(qt, row(qt, "quarter", "2024-10-01"), "avg_deal_size"), 400);
  EXPECT_DOUBLE_EQ(number(qt, row(qt, "quarter", "2025-01-01"), "avg_deal_size"), 200);
}

TEST(AvgDealSize, ByRepAndFilter) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("avg_deal_size",
                        {.from = "2025-01-01", .to = "2025-04-01", .params_yaml = "group_by: rep"});
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "by_rep");
  EXPECT_DOUBLE_EQ(number(t, row(t, "rep", "Ann"), "avg_deal_size"), 100);  // deal 4 has no amount
  EXPECT_DOUBLE_EQ(number(t, row(t, "rep", "Cid"), "avg_deal_size"), 200);  // a single deal

  auto emea = f.run_metric("avg_deal_size",
                           {.from = "2025-01-01", .to = "2025-04-01", .filters_yaml = "region: [EMEA]"});
  ASSERT_TRUE(emea.ok) << emea.error;
  EXPECT_DOUBLE_EQ(*kpi(emea, "avg_deal_size").value, 200);  // deals 1, 2 (4 has no amount)
}

TEST(AvgDealSize, EmptyAndOneDayPeriods) {
  StoreFixture f;
  seed(f);
  auto empty = f.run_metric("avg_deal_size", {.from = "2023-01-01", .to = "2023-04-01"});
  ASSERT_TRUE(empty.ok) << empty.error;
  EXPECT_FALSE(kpi(empty, "avg_deal_size").value.has_value());  // 0 won deals: n/a
  EXPECT_DOUBLE_EQ(*kpi(empty, "won_deals").value, 0);
  EXPECT_TRUE(table(empty, "trend").rows.empty());

  auto day = f.run_metric("avg_deal_size", {.from = "2025-01-20", .to = "2025-01-21"});
  ASSERT_TRUE(day.ok) << day.error;
  EXPECT_DOUBLE_EQ(*kpi(day, "avg_deal_size").value, 300);
}
