// Numbers below are worked out by hand from the rows each test inserts.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "support/fixture.hpp"

using namespace tally::testing;

namespace {

// MRR before 2025: s1 100.004 (-> 100.00 in cents), s2 250.50, s4 30 then churned: 350.50.
// Q1 2025: s1 +20.25 expansion (Jan), s2 -50.10 contraction (Feb), s3 +99.99 new (Feb),
// s4 +30 reactivation (Mar), s1 -120.25 churn (last second of Mar). s2 +10 in April.
// Accounts 1 and 3 are smb and owned by Ann (EMEA); account 2 is enterprise, Bob's (NA).
void seed(const StoreFixture& f) {
  f.exec(
      "INSERT INTO reps(id,name,region) VALUES (1,'Ann','EMEA'),(2,'Bob','NA');"
      "INSERT INTO accounts(id,name,segment,owner_id) VALUES (1,'A1','smb',1),(2,'A2','enterprise',2),"
      " (3,'A3','smb',1);"
      "INSERT INTO subscriptions(id,account_id,started_at,mrr) VALUES "
      "(1,1,'2024-06-01',0),(2,2,'2024-11-15',210.4),"
      " (3,3,'2025-02-15',99.99),(4,3,'2024-03-01',30);"
      "INSERT INTO subscription_events(subscription_id,account_id,type,occurred_at,mrr_delta) VALUES"
      " (1,1,'new','2024-06-01',100.004),"
      " (2,2,'new','2024-11-15',250.50),"
      " (4,3,'new','2024-03-01',30),"
      " (4,3,'churn','2024-08-01',-30),"
      " (1,1,'expansion','2025-01-10',20.25),"
      " (2,2,'contraction','2025-02-01',-50.10),"
      " (3,3,'new','2025-02-15',99.99),"
      " (4,3,'reactivation','2025-03-05',30),"
      " (1,1,'churn','2025-03-31 23:59:59',-120.25),"
      " (2,2,'expansion','2025-04-01',10);");
}

const MetricRun kQ1 = span("2025-01-01", "2025-04-01");

}  // namespace

TEST(Arr, BridgeBalancesToTheCent) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("arr", kQ1);
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "starting_arr").value, 4206.00);  // 12 x 350.50, each delta rounded to cents
  EXPECT_DOUBLE_EQ(*kpi(m, "new_arr").value, 1199.88);       // 12 x 99.99
  EXPECT_DOUBLE_EQ(*kpi(m, "expansion_arr").value, 243.00);  // 12 x 20.25
  EXPECT_DOUBLE_EQ(*kpi(m, "contraction_arr").value, 601.20);
  EXPECT_DOUBLE_EQ(*kpi(m, "churned_arr").value, 1443.00);
  EXPECT_DOUBLE_EQ(*kpi(m, "reactivation_arr").value, 360.00);
  EXPECT_DOUBLE_EQ(*kpi(m, "ending_arr").value, 3964.68);  // 12 x 330.39
  EXPECT_DOUBLE_EQ(*kpi(m, "net_new_arr").value, -241.32);
  EXPECT_FALSE(kpi(m, "churned_arr").higher_is_better);
  const auto& bridge = table(m, "bridge");
  EXPECT_DOUBLE_EQ(number(bridge, row(bridge, "step", "Contraction"), "arr"), -601.20);
  EXPECT_DOUBLE_EQ(number(bridge, row(bridge, "step", "Ending ARR"), "arr"), 3964.68);
}

TEST(Arr, MonthlyMovement) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("arr", kQ1);
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "movement_by_month");
  EXPECT_EQ(t.chart, TALLY_CHART_LINE);
  ASSERT_EQ(t.rows.size(), 3u);
  const auto& jan = row(t, "month", "2025-01-01");
  EXPECT_DOUBLE_EQ(number(t, jan, "expansion"), 243.00);
  EXPECT_DOUBLE_EQ(number(t, jan, "ending_arr"), 4449.00);
  const auto& feb = row(t, "month", "2025-02-01");
  EXPECT_DOUBLE_EQ(number(t, feb, "new"), 1199.88);
  EXPECT_DOUBLE_EQ(number(t, feb, "contraction"), 601.20);
  EXPECT_DOUBLE_EQ(number(t, feb, "ending_arr"), 5047.68);
  const auto& mar = row(t, "month", "2025-03-01");
  EXPECT_DOUBLE_EQ(number(t, mar, "churned"), 1443.00);
  EXPECT_DOUBLE_EQ(number(t, mar, "reactivation"), 360.00);
  EXPECT_DOUBLE_EQ(number(t, mar, "ending_arr"), 3964.68);
}

TEST(Arr, GroupBySegment) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("arr", span("2025-01-01", "2025-04-01", "none", "group_by: segment"));
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "by_segment");
  const auto& smb = row(t, "segment", "smb");
  EXPECT_DOUBLE_EQ(number(t, smb, "starting_arr"), 1200.00);
  EXPECT_DOUBLE_EQ(number(t, smb, "ending_arr"), 1559.88);
  const auto& enterprise = row(t, "segment", "enterprise");  // a single subscription
  EXPECT_DOUBLE_EQ(number(t, enterprise, "starting_arr"), 3006.00);
  EXPECT_DOUBLE_EQ(number(t, enterprise, "contraction"), 601.20);
  EXPECT_DOUBLE_EQ(number(t, enterprise, "ending_arr"), 2404.80);
}

TEST(Arr, ComparisonPeriod) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("arr", span("2025-01-01", "2025-04-01", "previous_year"));
  ASSERT_TRUE(m.ok) << m.error;
  // Q1 2024: only s4's new 30 MRR.
  EXPECT_DOUBLE_EQ(*kpi(m, "starting_arr").previous, 0);
  EXPECT_DOUBLE_EQ(*kpi(m, "new_arr").previous, 360);
  EXPECT_DOUBLE_EQ(*kpi(m, "ending_arr").previous, 360);
}

TEST(Arr, EmptyPeriodCarriesArrOver) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("arr", span("2030-01-01", "2030-04-01"));
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "starting_arr").value, 4084.68);  // 12 x 340.39
  EXPECT_DOUBLE_EQ(*kpi(m, "new_arr").value, 0);
  EXPECT_DOUBLE_EQ(*kpi(m, "ending_arr").value, 4084.68);
  EXPECT_TRUE(table(m, "movement_by_month").rows.empty());
}

TEST(Arr, EmptyStore) {
  StoreFixture f;
  auto m = f.run_metric("arr", kQ1);
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "ending_arr").value, 0);
}

TEST(Arr, OneDayPeriod) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("arr", span("2025-03-05", "2025-03-06"));
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "reactivation_arr").value, 360);
  EXPECT_DOUBLE_EQ(*kpi(m, "ending_arr").value - *kpi(m, "starting_arr").value, 360);
}

TEST(Arr, FilterByRegion) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("arr", span("2025-01-01", "2025-04-01", "none", "", "region: [NA]"));
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "starting_arr").value, 3006.00);
  EXPECT_DOUBLE_EQ(*kpi(m, "contraction_arr").value, 601.20);
  EXPECT_DOUBLE_EQ(*kpi(m, "ending_arr").value, 2404.80);
}

TEST(Arr, UnknownEventTypeIsAnError) {
  StoreFixture f;
  seed(f);
  f.exec(
      "INSERT INTO subscription_events(subscription_id,account_id,type,occurred_at,mrr_delta) VALUES"
      " (2,2,'upgrade','2025-02-02',5);");
  auto m = f.run_metric("arr", kQ1);
  EXPECT_FALSE(m.ok);
  EXPECT_NE(m.error.find("type"), std::string::npos) << m.error;
}
