// Hand-computed checks of the activity plugin. The fixture's main period is
// 2025-03-03 (Mon) .. 2025-03-17 (Mon): two weeks, 10 working days.
#include <gtest/gtest.h>

#include "support/fixture.hpp"

// MetricRun is filled with designated initializers; the fields left out keep their defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

using namespace tally::testing;

namespace {

void seed(StoreFixture& f) {
  f.exec(
      "INSERT INTO reps(id,name,region,role,hired_at) VALUES"
      " (1,'Ann','EMEA','rep',NULL),(2,'Bob','NA','rep',NULL),(3,'Meg','EMEA','manager',NULL),"
      " (4,'Cat','EMEA','rep','2025-01-01');"
      "INSERT INTO accounts(id,name,industry) VALUES"
      " (10,'Acme','Retail'),(11,'Beta','Finance'),(12,'Gamma','Retail'),(13,'Delta','Retail');"
      "INSERT INTO activities(id,rep_id,type,occurred_at,account_id) VALUES"
      " (1,1,'call','2025-03-03 09:00:00',10),(2,1,'call','2025-03-04 09:00:00',10),"
      " (3,1,'call','2025-03-05 09:00:00',11),(4,1,'email','2025-03-05 10:00:00',10),"
      " (5,1,'email','2025-03-06 10:00:00',NULL),(6,1,'meeting','2025-03-07 10:00:00',10),"
      " (7,2,'call','2025-03-10 10:00:00',12),(8,2,'call','2025-03-11 10:00:00',NULL),"
      " (9,2,'demo','2025-03-12 10:00:00',12),(10,3,'email','2025-03-13 10:00:00',11),"
      " (11,1,'call','2025-03-17 09:00:00',10),(12,1,'call','2025-02-28 09:00:00',11);"
      "INSERT INTO opportunities(id,owner_id,account_id,amount,status,created_at,closed_at,stage) VALUES"
      " (1,1,10,100,'won','2025-01-05','2025-03-10','Closed Won'),"
      " (2,1,10,200,'won','2025-01-05','2025-03-12','Closed Won'),"
      " (3,2,12,300,'lost','2025-01-05','2025-03-12','Closed Lost'),"
      " (4,1,11,400,'won','2025-01-05','2025-04-02','Closed Won'),"
      " (5,2,12,500,'won','2025-01-05','2025-03-20','Closed Won'),"
      " (6,1,11,600,'won','2025-01-05','2025-02-20','Closed Won'),"
      " (7,2,13,700,'won','2025-01-05','2025-03-11','Closed Won');");
}

}  // namespace

TEST(Activity, VolumesAndMinimums) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("activity", {.from = "2025-03-03",
                                     .to = "2025-03-17",
                                     .compare = "previous_period",
                                     .params_yaml = "daily_minimums: [call=0.2, email=0.1]"});
  ASSERT_TRUE(m.ok) << m.error;
  // Activities 1..10 are in the period.
  EXPECT_DOUBLE_EQ(*kpi(m, "activities").value, 10);
  // Roster: Ann, Bob, Cat (non-managers employed) + Meg (logged an email) = 4 reps x 10 days.
  EXPECT_DOUBLE_EQ(*kpi(m, "activities_per_rep_per_day").value, 10.0 / 40.0);
  // Ann: calls 0.3/day, emails 0.2/day: fine. Bob: 0 emails. Meg: 0 calls. Cat: nothing.
  EXPECT_DOUBLE_EQ(*kpi(m, "reps_below_minimum").value, 3);
  // Prospects called: accounts 10, 11, 12; won in period among them: opps 1 and 2 (account 10).
  EXPECT_DOUBLE_EQ(*kpi(m, "call_close_rate").value, 2.0 / 3.0);

  // Previous period 2025-02-17..03-03: one call (account 11), opp 6 won there; roster Ann, Bob, Cat.
  EXPECT_DOUBLE_EQ(*kpi(m, "activities").previous, 1);
  EXPECT_DOUBLE_EQ(*kpi(m, "activities_per_rep_per_day").previous, 1.0 / 30.0);
  EXPECT_DOUBLE_EQ(*kpi(m, "call_close_rate").previous, 1.0);
  EXPECT_FALSE(kpi(m, "reps_below_minimum").higher_is_better);

  const auto& reps = table(m, "by_rep");
  const auto& ann = row(reps, "rep", "Ann");
  EXPECT_EQ(number(reps, ann, "activities"), 6);
  EXPECT_DOUBLE_EQ(number(reps, ann, "per_day"), 0.6);
  EXPECT_DOUBLE_EQ(number(reps, ann, "call_per_day"), 0.3);
  EXPECT_EQ(number(reps, ann, "below_minimum"), 0);
  const auto& bob = row(reps, "rep", "Bob");
  EXPECT_EQ(number(reps, bob, "below_minimum"), 1);
  EXPECT_NE(text(reps, bob, "shortfall").find("email"), std::string::npos);
  const auto& cat = row(reps, "rep", "Cat");
  EXPECT_EQ(number(reps, cat, "activities"), 0);
  EXPECT_EQ(number(reps, cat, "below_minimum"), 1);

  const auto& types = table(m, "by_type");
  const auto& call = row(types, "type", "call");
  EXPECT_EQ(number(types, call, "activities"), 5);
  EXPECT_DOUBLE_EQ(number(types, call, "per_rep_per_day"), 5.0 / 40.0);
  EXPECT_DOUBLE_EQ(number(types, call, "daily_minimum"), 0.2);
  EXPECT_EQ(number(types, call, "reps_below"), 2);  // Meg, Cat
  EXPECT_TRUE(is_na(types, row(types, "type", "social"), "daily_minimum"));

  const auto& trend = table(m, "trend");
  const auto& mar5 = row(trend, "day", "2025-03-05");
  EXPECT_EQ(number(trend, mar5, "call"), 1);
  EXPECT_EQ(number(trend, mar5, "email"), 1);
  EXPECT_EQ(number(trend, mar5, "total"), 2);
}

TEST(Activity, CallOutcomesByRepAndIndustry) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("activity", {.from = "2025-03-03", .to = "2025-03-17"});
  ASSERT_TRUE(m.ok) << m.error;
  const auto& by_rep = table(m, "calls_by_rep");
  const auto& ann = row(by_rep, "rep", "Ann");
  EXPECT_EQ(number(by_rep, ann, "calls"), 3);
  EXPECT_EQ(number(by_rep, ann, "prospects_called"), 2);
  EXPECT_EQ(number(by_rep, ann, "won_deals"), 2);
  EXPECT_DOUBLE_EQ(number(by_rep, ann, "close_rate"), 1.0);
  const auto& bob = row(by_rep, "rep", "Bob");
  EXPECT_EQ(number(by_rep, bob, "calls"), 2);  // one call has no account
  EXPECT_EQ(number(by_rep, bob, "prospects_called"), 1);
  EXPECT_DOUBLE_EQ(number(by_rep, bob, "close_rate"), 0.0);  // opp 5 is won after the period

  const auto& by_industry = table(m, "calls_by_industry");
  const auto& retail = row(by_industry, "industry", "Retail");
  EXPECT_EQ(number(by_industry, retail, "calls"), 3);
  EXPECT_EQ(number(by_industry, retail, "prospects_called"), 2);  // accounts 10, 12; 13 was never called
  EXPECT_DOUBLE_EQ(number(by_industry, retail, "close_rate"), 1.0);
  const auto& finance = row(by_industry, "industry", "Finance");
  EXPECT_DOUBLE_EQ(number(by_industry, finance, "close_rate"), 0.0);
  EXPECT_FALSE(kpi(m, "call_close_rate").previous.has_value());  // no comparison asked
}

TEST(Activity, PerWeek) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("activity", {.from = "2025-03-03", .to = "2025-03-17", .params_yaml = "per: week"});
  ASSERT_TRUE(m.ok) << m.error;
  const auto& reps = table(m, "by_rep");
  EXPECT_DOUBLE_EQ(number(reps, row(reps, "rep", "Ann"), "per_week"), 3.0);  // 6 over 2 weeks
  const auto& trend = table(m, "trend");
  EXPECT_EQ(number(trend, row(trend, "week", "2025-03-03"), "total"), 6);
  EXPECT_EQ(number(trend, row(trend, "week", "2025-03-10"), "total"), 4);
}

TEST(Activity, EmptyPeriod) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("activity", {.from = "2024-01-01", .to = "2024-01-08"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "activities").value, 0);
  EXPECT_DOUBLE_EQ(*kpi(m, "activities_per_rep_per_day").value, 0);  // Ann and Bob, 5 days, nothing logged
  EXPECT_DOUBLE_EQ(*kpi(m, "reps_below_minimum").value, 0);          // no minimums configured
  EXPECT_FALSE(kpi(m, "call_close_rate").value.has_value());         // nobody called: 0/0
}

TEST(Activity, OneDayPeriods) {
  StoreFixture f;
  seed(f);
  auto monday = f.run_metric(
      "activity", {.from = "2025-03-03", .to = "2025-03-04", .params_yaml = "daily_minimums: [call=1]"});
  ASSERT_TRUE(monday.ok) << monday.error;
  EXPECT_DOUBLE_EQ(*kpi(monday, "activities").value, 1);
  EXPECT_DOUBLE_EQ(*kpi(monday, "reps_below_minimum").value, 2);  // Bob and Cat made no call
  EXPECT_DOUBLE_EQ(*kpi(monday, "call_close_rate").value, 0.0);   // account 10 called, nothing won that day

  auto saturday = f.run_metric(
      "activity", {.from = "2025-03-08", .to = "2025-03-09", .params_yaml = "daily_minimums: [call=1]"});
  ASSERT_TRUE(saturday.ok) << saturday.error;
  // No working day: per-day averages and minimums are n/a.
  EXPECT_FALSE(kpi(saturday, "activities_per_rep_per_day").value.has_value());
  EXPECT_FALSE(kpi(saturday, "reps_below_minimum").value.has_value());
}

TEST(Activity, RegionFilter) {
  StoreFixture f;
  seed(f);
  auto m =
      f.run_metric("activity", {.from = "2025-03-03", .to = "2025-03-17", .filters_yaml = "region: [EMEA]"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "activities").value, 7);  // Ann 6 + Meg 1
  // Roster Ann, Cat + Meg with an activity.
  EXPECT_DOUBLE_EQ(*kpi(m, "activities_per_rep_per_day").value, 7.0 / 30.0);
}

TEST(Activity, BadMinimumIsNamed) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric(
      "activity",
      {.from = "2025-03-03", .to = "2025-03-17", .params_yaml = "daily_minimums: [call=5, calls=5]"});
  ASSERT_FALSE(m.ok);
  EXPECT_NE(m.error.find("calls=5"), std::string::npos) << m.error;
  auto n = f.run_metric(
      "activity", {.from = "2025-03-03", .to = "2025-03-17", .params_yaml = "daily_minimums: [call=lots]"});
  ASSERT_FALSE(n.ok);
  EXPECT_NE(n.error.find("call=lots"), std::string::npos) << n.error;
}

TEST(Activity, IndustryFilterFallsBackToRepsWithActivities) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("activity",
                        {.from = "2025-03-03", .to = "2025-03-17", .filters_yaml = "industry: [Retail]"});
  ASSERT_TRUE(m.ok) << m.error;
  // Activities on Retail accounts 10 and 12: Ann 1, 2, 4, 6 and Bob 7, 9.
  EXPECT_DOUBLE_EQ(*kpi(m, "activities").value, 6);
  // The reps dataset has no industry: the roster is the reps with activities (Ann, Bob).
  EXPECT_DOUBLE_EQ(*kpi(m, "activities_per_rep_per_day").value, 6.0 / 20.0);
  // Prospects 10 and 12; won in period: opps 1 and 2 on account 10.
  EXPECT_DOUBLE_EQ(*kpi(m, "call_close_rate").value, 1.0);
}

TEST(Activity, GroupByIndustry) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("activity",
                        {.from = "2025-03-03", .to = "2025-03-17", .params_yaml = "group_by: industry"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "activities").value, 10);  // KPIs are not sliced
  const auto& t = table(m, "by_industry");
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(std::get<std::string>(t.rows[0][0]), "Retail");  // most activities first
  // Retail: activities 1, 2, 4, 6 (Ann, Acme) and 7, 9 (Bob, Gamma); calls 1, 2, 7 reach Acme and
  // Gamma; Acme's opps 1 and 2 are won in the period, Gamma's only win closes 2025-03-20.
  const auto& retail = row(t, "industry", "Retail");
  EXPECT_EQ(number(t, retail, "activities"), 6);
  EXPECT_EQ(number(t, retail, "reps"), 2);
  EXPECT_DOUBLE_EQ(number(t, retail, "per_rep_per_day"), 6.0 / 20.0);
  EXPECT_EQ(number(t, retail, "calls"), 3);
  EXPECT_EQ(number(t, retail, "prospects_called"), 2);
  EXPECT_EQ(number(t, retail, "won_deals"), 2);
  EXPECT_DOUBLE_EQ(number(t, retail, "call_close_rate"), 1.0);
  // Finance: Ann's call 3 and Meg's email 10 on Beta, which wins nothing in the period.
  const auto& finance = row(t, "industry", "Finance");
  EXPECT_EQ(number(t, finance, "activities"), 2);
  EXPECT_DOUBLE_EQ(number(t, finance, "per_rep_per_day"), 2.0 / 20.0);
  EXPECT_EQ(number(t, finance, "prospects_called"), 1);
  EXPECT_DOUBLE_EQ(number(t, finance, "call_close_rate"), 0.0);
  // No account: Ann's email 5 and Bob's call 8; a call without account is no prospect, so n/a.
  const auto& none = row(t, "industry", "(none)");
  EXPECT_EQ(number(t, none, "activities"), 2);
  EXPECT_EQ(number(t, none, "calls"), 1);
  EXPECT_EQ(number(t, none, "prospects_called"), 0);
  EXPECT_TRUE(is_na(t, none, "call_close_rate"));
}

TEST(Activity, GroupByRegionWeekly) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric(
      "activity", {.from = "2025-03-03", .to = "2025-03-17", .params_yaml = "group_by: region, per: week"});
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "by_region");
  // EMEA: Ann's 6 and Meg's 1 over 2 reps x 2 weeks; NA: Bob's 3 over 1 rep x 2 weeks.
  EXPECT_DOUBLE_EQ(number(t, row(t, "region", "EMEA"), "per_rep_per_week"), 7.0 / 4.0);
  EXPECT_DOUBLE_EQ(number(t, row(t, "region", "NA"), "per_rep_per_week"), 1.5);
  // EMEA calls reach Acme (2 wins) and Beta (none); NA reaches Gamma (none in the period).
  EXPECT_DOUBLE_EQ(number(t, row(t, "region", "EMEA"), "call_close_rate"), 1.0);
  EXPECT_DOUBLE_EQ(number(t, row(t, "region", "NA"), "call_close_rate"), 0.0);
}
