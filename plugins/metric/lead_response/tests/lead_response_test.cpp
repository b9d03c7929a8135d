// Hand-computed checks of lead_response. In March 2025 four leads are answered
// after 2, 10, 4 and 60 minutes and one is never answered.
#include <gtest/gtest.h>

#include "support/fixture.hpp"

// MetricRun is filled with designated initializers; the fields left out keep their defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

using namespace tally::testing;

namespace {

constexpr double kEps = 1e-6;  // minutes come from timestamp arithmetic

void seed(StoreFixture& f) {
  f.exec(
      "INSERT INTO reps(id,name,region) VALUES (1,'Ann','EMEA'),(2,'Bob','NA');"
      "INSERT INTO leads(id,owner_id,source,region,created_at,first_response_at) VALUES"
      " (1,1,'web','EMEA','2025-03-02 10:00:00','2025-03-02 10:02:00'),"
      " (2,1,'web','EMEA','2025-03-03 10:00:00','2025-03-03 10:10:00'),"
      " (3,2,'referral','NA','2025-03-10 09:00:00','2025-03-10 09:04:00'),"
      " (4,2,'web','NA','2025-03-15 09:00:00','2025-03-15 10:00:00'),"
      " (5,1,'referral','EMEA','2025-03-20 09:00:00',NULL),"
      " (6,2,'web','NA','2025-02-20 09:00:00','2025-02-20 09:01:00'),"
      " (7,1,'web','EMEA','2025-04-01 00:00:00','2025-04-01 00:30:00');");
}

}  // namespace

TEST(LeadResponse, HeadlineStatistics) {
  StoreFixture f;
  seed(f);
  auto m =
      f.run_metric("lead_response", {.from = "2025-03-01", .to = "2025-04-01", .compare = "previous_period"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "leads").value, 5);
  EXPECT_DOUBLE_EQ(*kpi(m, "unanswered_leads").value, 1);  // lead 5 counted, not dropped
  EXPECT_NEAR(*kpi(m, "mean_response_minutes").value, (2 + 10 + 4 + 60) / 4.0, kEps);
  EXPECT_NEAR(*kpi(m, "median_response_minutes").value, 7.0, kEps);  // 2 4 | 10 60
  // p90 of 2,4,10,60 by linear interpolation: rank 0.9*3 = 2.7 -> 10 + 0.7*50.
  EXPECT_NEAR(*kpi(m, "p90_response_minutes").value, 45.0, kEps);
  EXPECT_DOUBLE_EQ(*kpi(m, "answered_within_threshold").value, 0.5);  // 2 and 4 of 4 answered
  EXPECT_FALSE(kpi(m, "median_response_minutes").higher_is_better);
  // Previous period holds lead 6 only: answered in 1 minute.
  EXPECT_NEAR(*kpi(m, "mean_response_minutes").previous, 1.0, kEps);
  EXPECT_DOUBLE_EQ(*kpi(m, "unanswered_leads").previous, 0);
  EXPECT_DOUBLE_EQ(*kpi(m, "answered_within_threshold").previous, 1.0);
}

TEST(LeadResponse, BySourceAndTrend) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("lead_response", {.from = "2025-03-01", .to = "2025-04-01"});
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "by_source");
  const auto& web = row(t, "source", "web");
  EXPECT_EQ(number(t, web, "leads"), 3);
  EXPECT_EQ(number(t, web, "unanswered"), 0);
  EXPECT_NEAR(number(t, web, "mean_minutes"), 24.0, kEps);  // 2, 10, 60
  EXPECT_NEAR(number(t, web, "median_minutes"), 10.0, kEps);
  EXPECT_DOUBLE_EQ(number(t, web, "within_threshold"), 1.0 / 3.0);
  const auto& referral = row(t, "source", "referral");  // a single answered lead
  EXPECT_EQ(number(t, referral, "leads"), 2);
  EXPECT_EQ(number(t, referral, "unanswered"), 1);
  EXPECT_NEAR(number(t, referral, "p90_minutes"), 4.0, kEps);
  EXPECT_DOUBLE_EQ(number(t, referral, "within_threshold"), 1.0);

  const auto& trend = table(m, "trend");
  ASSERT_EQ(trend.rows.size(), 1u);
  EXPECT_EQ(number(trend, row(trend, "month", "2025-03-01"), "leads"), 5);
}

TEST(LeadResponse, ThresholdAndGroupBy) {
  StoreFixture f;
  seed(f);
  auto m =
      f.run_metric("lead_response", {.from = "2025-03-01",
                                     .to = "2025-04-01",
                                     .params_yaml = "threshold_minutes: 10, group_by: rep, trend: none"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "answered_within_threshold").value, 0.75);  // 2, 10, 4 are <= 10
  const auto& t = table(m, "by_rep");
  const auto& ann = row(t, "rep", "Ann");
  EXPECT_EQ(number(t, ann, "leads"), 3);
  EXPECT_EQ(number(t, ann, "answered"), 2);
  EXPECT_EQ(m.find_table("trend"), nullptr);
}

TEST(LeadResponse, EmptyPeriodIsNotAvailable) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("lead_response", {.from = "2024-01-01", .to = "2024-02-01"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "leads").value, 0);
  EXPECT_DOUBLE_EQ(*kpi(m, "unanswered_leads").value, 0);
  EXPECT_FALSE(kpi(m, "mean_response_minutes").value.has_value());
  EXPECT_FALSE(kpi(m, "p90_response_minutes").value.has_value());
  EXPECT_FALSE(kpi(m, "answered_within_threshold").value.has_value());
}

TEST(LeadResponse, OnlyUnansweredLeadsGiveNoTimes) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("lead_response", {.from = "2025-03-20", .to = "2025-03-21"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "unanswered_leads").value, 1);
  EXPECT_FALSE(kpi(m, "median_response_minutes").value.has_value());
  EXPECT_FALSE(kpi(m, "answered_within_threshold").value.has_value());  // 0 answered: n/a
}

TEST(LeadResponse, OneDayPeriod) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("lead_response", {.from = "2025-03-10", .to = "2025-03-11"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_NEAR(*kpi(m, "mean_response_minutes").value, 4.0, kEps);
  EXPECT_DOUBLE_EQ(*kpi(m, "answered_within_threshold").value, 1.0);
}

TEST(LeadResponse, RegionFilter) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("lead_response",
                        {.from = "2025-03-01", .to = "2025-04-01", .filters_yaml = "region: [EMEA]"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "leads").value, 3);  // 1, 2, 5
  EXPECT_DOUBLE_EQ(*kpi(m, "unanswered_leads").value, 1);
  EXPECT_NEAR(*kpi(m, "mean_response_minutes").value, 6.0, kEps);
}

// Issue 11: a first response before the lead was created (lead 8: answered
// 2 days earlier) is a data error. Without it, the figures are the seed's:
// mean 19, within threshold 2 of 4; it is neither answered nor unanswered,
// and a note counts it. Counted as -2,880 minutes it would have been "within
// 5 minutes" and dragged the mean below zero.
TEST(LeadResponse, ResponseBeforeTheLeadIsExcludedWithANote) {
  StoreFixture f;
  seed(f);
  f.exec(
      "INSERT INTO leads(id,owner_id,source,region,created_at,first_response_at) VALUES"
      " (8,1,'web','EMEA','2025-03-25 09:00:00','2025-03-23 09:00:00')");
  auto m = f.run_metric("lead_response", {.from = "2025-03-01", .to = "2025-04-01"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "leads").value, 6);
  EXPECT_DOUBLE_EQ(*kpi(m, "unanswered_leads").value, 1);
  EXPECT_NEAR(*kpi(m, "mean_response_minutes").value, 19.0, kEps);
  EXPECT_DOUBLE_EQ(*kpi(m, "answered_within_threshold").value, 0.5);
  ASSERT_EQ(m.notes.size(), 1u);
  EXPECT_EQ(m.notes[0],
            "1 lead answered before created: left out of the response times and the threshold share (data "
            "error)");
}
