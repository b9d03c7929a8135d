// Numbers below are worked out by hand from the rows each test inserts.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "support/fixture.hpp"

using namespace tally::testing;

namespace {

// Q1 2025 quotas: Ann 3 x 100 monthly = 300, Bob 500 (his straddling row is outside), Cid 200,
// Dan none; team Alpha's own row is not a rep quota. Won in Q1: Ann 100 + 200 = 300 (100 %),
// Bob 250 (50 %), Cid nothing (0 %), Dan 80 (no quota: n/a). Q4 2024: Ann quota 100, won 150.
void seed(const StoreFixture& f) {
  f.exec(
      "INSERT INTO teams(id,name,region) VALUES (10,'Alpha','EMEA'),(20,'Beta','NA');"
      "INSERT INTO reps(id,name,region,team_id) VALUES "
      "(1,'Ann','EMEA',10),(2,'Bob','NA',20),(3,'Cid','EMEA',10),"
      " (4,'Dan','NA',20);"
      "INSERT INTO quotas(rep_id,team_id,period_start,period_end,amount) VALUES"
      " (1,NULL,'2025-01-01','2025-02-01',100),(1,NULL,'2025-02-01','2025-03-01',100),"
      " (1,NULL,'2025-03-01','2025-04-01',100),(2,NULL,'2025-01-01','2025-04-01',500),"
      " (2,NULL,'2025-03-01','2025-06-01',999),(3,NULL,'2025-01-01','2025-04-01',200),"
      " (NULL,10,'2025-01-01','2025-04-01',1000),(1,NULL,'2024-10-01','2025-01-01',100);"
      "INSERT INTO opportunities(id,owner_id,amount,status,created_at,closed_at) VALUES"
      " (1,1,100,'won','2024-12-01','2025-01-15'),(2,1,200,'won','2024-12-01','2025-03-31 12:00:00'),"
      " (3,2,250,'won','2024-12-01','2025-02-10'),(4,4,80,'won','2024-12-01','2025-02-11'),"
      " (5,3,900,'lost','2024-12-01','2025-02-12'),(6,1,150,'won','2024-10-01','2024-11-01'),"
      " (7,2,60,'open','2025-01-01',NULL);");
}

const MetricRun kQ1 = span("2025-01-01", "2025-04-01");

}  // namespace

TEST(QuotaAttainment, TeamKpis) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("quota_attainment", kQ1);
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "share_at_quota").value, 1.0 / 3.0);  // Ann of Ann, Bob, Cid
  EXPECT_DOUBLE_EQ(*kpi(m, "team_attainment").value, 550.0 / 1000.0);
  EXPECT_DOUBLE_EQ(*kpi(m, "reps_with_quota").value, 3);
  EXPECT_DOUBLE_EQ(*kpi(m, "reps_at_quota").value, 1);
}

TEST(QuotaAttainment, PerRepIncludingRepWithoutQuota) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("quota_attainment", kQ1);
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "by_rep");
  ASSERT_EQ(t.rows.size(), 4u);
  EXPECT_EQ(text(t, t.rows[0], "rep"), "Ann");
  EXPECT_EQ(text(t, t.rows[3], "rep"), "Dan");  // n/a last
  const auto& ann = row(t, "rep", "Ann");
  EXPECT_EQ(number(t, ann, "quota"), 300);
  EXPECT_DOUBLE_EQ(number(t, ann, "attainment"), 1.0);
  EXPECT_EQ(number(t, ann, "at_quota"), 1);
  EXPECT_DOUBLE_EQ(number(t, row(t, "rep", "Bob"), "attainment"), 0.5);
  const auto& cid = row(t, "rep", "Cid");
  EXPECT_EQ(number(t, cid, "won_amount"), 0);
  EXPECT_DOUBLE_EQ(number(t, cid, "attainment"), 0);
  const auto& dan = row(t, "rep", "Dan");
  EXPECT_EQ(number(t, dan, "won_amount"), 80);
  EXPECT_TRUE(is_na(t, dan, "quota"));
  EXPECT_TRUE(is_na(t, dan, "attainment"));
}

TEST(QuotaAttainment, ComparisonPeriod) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("quota_attainment", span("2025-01-01", "2025-04-01", "previous_period"));
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "share_at_quota").previous, 1.0);
  EXPECT_DOUBLE_EQ(*kpi(m, "team_attainment").previous, 1.5);
}

TEST(QuotaAttainment, EmptyPeriodIsNa) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("quota_attainment", span("2030-01-01", "2030-04-01"));
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_FALSE(kpi(m, "share_at_quota").value.has_value());
  EXPECT_FALSE(kpi(m, "team_attainment").value.has_value());
  EXPECT_DOUBLE_EQ(*kpi(m, "reps_with_quota").value, 0);
  EXPECT_TRUE(table(m, "by_rep").rows.empty());
}

TEST(QuotaAttainment, OneDayPeriodHasNoQuotaInside) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("quota_attainment", span("2025-01-15", "2025-01-16"));
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_FALSE(kpi(m, "share_at_quota").value.has_value());
  const auto& t = table(m, "by_rep");
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_TRUE(is_na(t, row(t, "rep", "Ann"), "attainment"));
}

TEST(QuotaAttainment, GroupByTeam) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("quota_attainment", span("2025-01-01", "2025-04-01", "none", "group_by: team"));
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "by_team");
  const auto& alpha = row(t, "team", "Alpha");
  EXPECT_EQ(number(t, alpha, "reps"), 2);
  EXPECT_EQ(number(t, alpha, "reps_at_quota"), 1);
  EXPECT_DOUBLE_EQ(number(t, alpha, "share_at_quota"), 0.5);
  EXPECT_DOUBLE_EQ(number(t, alpha, "attainment"), 300.0 / 500.0);
  const auto& beta = row(t, "team", "Beta");
  EXPECT_EQ(number(t, beta, "reps"), 2);
  EXPECT_EQ(number(t, beta, "reps_with_quota"), 1);
  EXPECT_DOUBLE_EQ(number(t, beta, "share_at_quota"), 0);
  EXPECT_EQ(text(table(m, "by_rep"), row(table(m, "by_rep"), "rep", "Dan"), "team"), "Beta");
}

TEST(QuotaAttainment, FilterByRegion) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("quota_attainment", span("2025-01-01", "2025-04-01", "none", "", "region: [NA]"));
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "share_at_quota").value, 0);  // Bob at 50 %; Dan has no quota
  EXPECT_DOUBLE_EQ(*kpi(m, "reps_with_quota").value, 1);
  EXPECT_EQ(table(m, "by_rep").rows.size(), 2u);
}
