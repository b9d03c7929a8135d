// Churn on a small store; every expected figure is worked out by hand in the comments.
#include <gtest/gtest.h>

#include "support/fixture.hpp"

using namespace tally::testing;

namespace {

// Period Q1 2025 = [2025-01-01, 2025-04-01); previous period [2024-10-01, 2025-01-01).
// Accounts and subscriptions (started .. ended):
//   1 A enterprise  s1 2023-01-01 .. open              new +100, expansion +20 (2025-02-01)
//   2 B smb         s2 2024-06-01 .. 2025-02-15         new +50, churn -50 price (2025-02-15)
//   3 C smb         s3 2022-01-01 .. 2025-03-10         new +80, contraction -10 (2024-12-10), churn -70
//   product
//                   s4 2024-01-01 .. 2025-01-20         new +30, churn -30 price (2025-01-20)
//   4 D enterprise  s5 2024-12-01 .. 2025-05-01         new +40, contraction -15 (2025-03-01)
//                   s7 2024-01-01 .. 2024-11-15         new +60, churn -60 price (2024-11-15)
//   5 E smb         s6 2025-02-01 .. 2025-03-15 (new in Q1) new +25, expansion +5, churn -30 budget
//   6 F smb         s8 2024-03-01 .. 2024-12-01         new +45, churn -45 budget (2024-12-01)
void seed(const StoreFixture& f) {
  f.exec(
      "INSERT INTO accounts(id,name,segment) VALUES (1,'A','enterprise'),(2,'B','smb'),(3,'C','smb'),"
      "(4,'D','enterprise'),(5,'E','smb'),(6,'F','smb');"
      "INSERT INTO subscriptions(id,account_id,started_at,ended_at,mrr) VALUES"
      " (1,1,'2023-01-01',NULL,120),(2,2,'2024-06-01','2025-02-15',0),(3,3,'2022-01-01','2025-03-10',0),"
      " (4,3,'2024-01-01','2025-01-20',0),(5,4,'2024-12-01','2025-05-01',25),(6,5,'2025-02-01','2025-03-15',"
      "0),"
      " (7,4,'2024-01-01','2024-11-15',0),(8,6,'2024-03-01','2024-12-01',0);"
      "INSERT INTO subscription_events(subscription_id,account_id,type,occurred_at,mrr_delta,reason) VALUES"
      " (1,1,'new','2023-01-01',100,NULL),(1,1,'expansion','2025-02-01',20,NULL),"
      " (2,2,'new','2024-06-01',50,NULL),(2,2,'churn','2025-02-15',-50,'price'),"
      " (3,3,'new','2022-01-01',80,NULL),(3,3,'contraction','2024-12-10',-10,NULL),"
      " (3,3,'churn','2025-03-10',-70,'product'),"
      " (4,3,'new','2024-01-01',30,NULL),(4,3,'churn','2025-01-20',-30,'price'),"
      " (5,4,'new','2024-12-01',40,NULL),(5,4,'contraction','2025-03-01',-15,NULL),"
      " (6,5,'new','2025-02-01',25,NULL),(6,5,'expansion','2025-02-20',5,NULL),"
      " (6,5,'churn','2025-03-15',-30,'budget'),"
      " (7,4,'new','2024-01-01',60,NULL),(7,4,'churn','2024-11-15',-60,'price'),"
      " (8,6,'new','2024-03-01',45,NULL),(8,6,'churn','2024-12-01',-45,'budget');");
}

MetricRun q1(std::string params = "", std::string filters = "") {
  return span("2025-01-01", "2025-04-01", "previous_period", std::move(params), std::move(filters));
}

}  // namespace

TEST(Churn, LogoChurn) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("churn", q1());
  ASSERT_TRUE(m.ok) << m.error;
  // Active at 2025-01-01: A, B, C, D. Not active at 2025-04-01: B, C. E was never active at the start.
  EXPECT_DOUBLE_EQ(*kpi(m, "churned_customers").value, 2);
  EXPECT_DOUBLE_EQ(*kpi(m, "logo_churn_rate").value, 2.0 / 4.0);
  EXPECT_FALSE(kpi(m, "logo_churn_rate").higher_is_better);
  // Previous: active at 2024-10-01: A, B, C, D (s7), F; gone at 2025-01-01: F only (D has s5).
  EXPECT_DOUBLE_EQ(*kpi(m, "churned_customers").previous, 1);
  EXPECT_DOUBLE_EQ(*kpi(m, "logo_churn_rate").previous, 1.0 / 5.0);
}

TEST(Churn, RevenueChurnAndNrr) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("churn", q1());
  ASSERT_TRUE(m.ok) << m.error;
  // MRR at 2025-01-01: s1 100 + s2 50 + s3 70 + s4 30 + s5 40 = 290 (s7, s8 net 0).
  // In Q1, subscriptions started before it: churn 50 + 70 + 30 = 150, contraction 15, expansion 20.
  // s6 (new in Q1) is left out: its expansion and churn are new-customer revenue.
  EXPECT_DOUBLE_EQ(*kpi(m, "churned_mrr").value, 150);
  EXPECT_DOUBLE_EQ(*kpi(m, "gross_revenue_churn").value, 165.0 / 290.0);
  EXPECT_DOUBLE_EQ(*kpi(m, "net_revenue_retention").value, (290.0 + 20 - 15 - 150) / 290.0);
  EXPECT_TRUE(kpi(m, "net_revenue_retention").higher_is_better);
  // Previous: MRR at 2024-10-01 = 100 + 50 + 80 + 30 + 60 + 45 = 365; churn 60 + 45, contraction 10.
  EXPECT_DOUBLE_EQ(*kpi(m, "churned_mrr").previous, 105);
  EXPECT_DOUBLE_EQ(*kpi(m, "gross_revenue_churn").previous, 115.0 / 365.0);
  EXPECT_DOUBLE_EQ(*kpi(m, "net_revenue_retention").previous, 250.0 / 365.0);
}

TEST(Churn, Breakdowns) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("churn", q1());
  ASSERT_TRUE(m.ok) << m.error;
  // B: price, 50. C: latest churn event is 'product' (2025-03-10); MRR lost 30 + 70.
  const auto& r = table(m, "by_reason");
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_DOUBLE_EQ(number(r, row(r, "reason", "price"), "customers"), 1);
  EXPECT_DOUBLE_EQ(number(r, row(r, "reason", "price"), "mrr_lost"), 50);
  EXPECT_DOUBLE_EQ(number(r, row(r, "reason", "product"), "mrr_lost"), 100);

  const auto& s = table(m, "by_segment");
  EXPECT_DOUBLE_EQ(number(s, row(s, "segment", "smb"), "active_at_start"), 2);
  EXPECT_DOUBLE_EQ(number(s, row(s, "segment", "smb"), "logo_churn_rate"), 1.0);
  EXPECT_DOUBLE_EQ(number(s, row(s, "segment", "enterprise"), "logo_churn_rate"), 0.0);

  // B: 2024-06-01 -> 2025-02-15 = 8 months. C: 2022-01-01 -> 2025-03-10 = 38 months.
  const auto& t = table(m, "by_tenure");
  ASSERT_EQ(t.rows.size(), 4u);
  EXPECT_DOUBLE_EQ(number(t, row(t, "tenure", "< 6 months"), "customers"), 0);
  EXPECT_DOUBLE_EQ(number(t, row(t, "tenure", "6-12 months"), "customers"), 1);
  EXPECT_DOUBLE_EQ(number(t, row(t, "tenure", "1-2 years"), "customers"), 0);
  EXPECT_DOUBLE_EQ(number(t, row(t, "tenure", "2+ years"), "mrr_lost"), 100);
}

TEST(Churn, MonthlyTrend) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("churn", q1());
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "trend");
  ASSERT_EQ(t.rows.size(), 3u);
  // Churned: B in February, C in March. Churned MRR (start cohort): Jan 30, Feb 50, Mar 70.
  // Active on Jan 1: A B C D; Feb 1: A B C D (E starts on Feb 1, not before); Mar 1: A C D E.
  const auto& jan = row(t, "month", "2025-01-01");
  EXPECT_DOUBLE_EQ(number(t, jan, "churned_customers"), 0);
  EXPECT_DOUBLE_EQ(number(t, jan, "churned_mrr"), 30);
  EXPECT_DOUBLE_EQ(number(t, jan, "logo_churn_rate"), 0);
  const auto& feb = row(t, "month", "2025-02-01");
  EXPECT_DOUBLE_EQ(number(t, feb, "active_at_start"), 4);
  EXPECT_DOUBLE_EQ(number(t, feb, "logo_churn_rate"), 0.25);
  const auto& mar = row(t, "month", "2025-03-01");
  EXPECT_DOUBLE_EQ(number(t, mar, "churned_mrr"), 70);
  EXPECT_DOUBLE_EQ(number(t, mar, "active_at_start"), 4);
  EXPECT_EQ(t.chart, TALLY_CHART_LINE);
}

TEST(Churn, EmptyPeriodIsNa) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("churn",
                        MetricRun{.from = "2015-01-01", .to = "2015-04-01", .compare = "previous_period"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_FALSE(kpi(m, "logo_churn_rate").value.has_value());
  EXPECT_FALSE(kpi(m, "gross_revenue_churn").value.has_value());
  EXPECT_FALSE(kpi(m, "net_revenue_retention").value.has_value());
  EXPECT_DOUBLE_EQ(*kpi(m, "churned_customers").value, 0);
  EXPECT_DOUBLE_EQ(*kpi(m, "churned_mrr").value, 0);
  EXPECT_TRUE(table(m, "by_reason").rows.empty());
  const auto& t = table(m, "trend");
  EXPECT_TRUE(is_na(t, row(t, "month", "2015-02-01"), "logo_churn_rate"));
}

TEST(Churn, OneDayPeriod) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("churn",
                        MetricRun{.from = "2025-02-15", .to = "2025-02-16", .params_yaml = "trend: none"});
  ASSERT_TRUE(m.ok) << m.error;
  // Active at 2025-02-15: A, B (ends that day), C, D, E; at 2025-02-16 B is gone.
  EXPECT_DOUBLE_EQ(*kpi(m, "logo_churn_rate").value, 1.0 / 5.0);
  EXPECT_EQ(m.find_table("trend"), nullptr);
}

TEST(Churn, SegmentFilterAndGroupBy) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("churn", q1("group_by: none", "segment: [smb]"));
  ASSERT_TRUE(m.ok) << m.error;
  // smb: B and C active at the start, both churned; MRR 50 + 70 + 30 = 150, all churned.
  EXPECT_DOUBLE_EQ(*kpi(m, "logo_churn_rate").value, 1.0);
  EXPECT_DOUBLE_EQ(*kpi(m, "gross_revenue_churn").value, 1.0);
  EXPECT_DOUBLE_EQ(*kpi(m, "net_revenue_retention").value, 0.0);
  EXPECT_EQ(m.find_table("by_segment"), nullptr);

  auto byrep = f.run_metric("churn", q1("group_by: industry"));
  ASSERT_TRUE(byrep.ok) << byrep.error;
  const auto& t = table(byrep, "by_industry");
  ASSERT_EQ(t.rows.size(), 1u);  // no account has an industry
  EXPECT_DOUBLE_EQ(number(t, row(t, "industry", "(none)"), "churned"), 2);
}

// The breakdown tables count the customers who left entirely; the headline every cancelled
// subscription that started before the period. G cancels s9 (-40, price) on 2025-02-10 and keeps
// s10: Churned MRR = 50 (B) + 70 + 30 (C) + 40 (G) = 190; the tables = B 50 + C 100 = 150.
TEST(Churn, ABreakdownThatDoesNotAddUpSaysWhy) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("churn", q1());
  ASSERT_TRUE(m.ok) << m.error;
  for (const auto& n : m.notes) EXPECT_EQ(n.find("breakdown tables"), std::string::npos) << n;  // 150 = 150

  f.exec(
      "INSERT INTO accounts(id,name,segment) VALUES (7,'G','smb');"
      "INSERT INTO subscriptions(id,account_id,started_at,ended_at,mrr) VALUES"
      " (9,7,'2024-01-01','2025-02-10',0),(10,7,'2024-01-01',NULL,10);"
      "INSERT INTO subscription_events(subscription_id,account_id,type,occurred_at,mrr_delta,reason) VALUES"
      " (9,7,'new','2024-01-01',40,NULL),(9,7,'churn','2025-02-10',-40,'price'),"
      " (10,7,'new','2024-01-01',10,NULL)");
  m = f.run_metric("churn", q1());
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "churned_mrr").value, 190);
  double tables = 0;
  const auto& reasons = table(m, "by_reason");
  for (const auto& r : reasons.rows) tables += number(reasons, r, "mrr_lost");
  EXPECT_DOUBLE_EQ(tables, 150);
  std::string note;
  for (const auto& n : m.notes)
    if (n.find("breakdown tables") != std::string::npos) note = n;
  ASSERT_FALSE(note.empty()) << "no note explains 150 vs 190";
  EXPECT_NE(note.find("$150.00"), std::string::npos) << note;
  EXPECT_NE(note.find("$190.00"), std::string::npos) << note;
  EXPECT_NE(note.find("2 customers who left entirely"), std::string::npos) << note;
}
