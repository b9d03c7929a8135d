// Numbers below are worked out by hand from the rows each test inserts.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "support/fixture.hpp"

using namespace tally::testing;

namespace {

// Q1 2025. Won: #1 100 and #2 300 (closed 400, average 200). Open, expected to close in Q1:
// #3 commit 1000 at Negotiation (0.8) -> 800 weighted; #4 best case 500 with its own 0.3 -> 150;
// #5 no category (pipeline) 200 at Prospecting (0.1) -> 20; #6 omitted 100 at Qualification
// (0.2) -> 20; #7 most likely 300 at Proposal (0.5) -> 150. #8 closes later, #9 is lost.
// Ann (EMEA) owns #1-#5 and #10-#12, Bob (NA) #6-#9. Quotas: Ann 1500 + Bob 1500 (the team row
// is not added). Leads (all Ann's): the 365 days before 2025-01-01 start on 2024-01-02 (2024 is
// a leap year), so L5 is outside; L1 (-> #10 won) and L4 (-> #1 won) of L1-L4 became customers.
void seed(const StoreFixture& f) {
  f.exec(
      "INSERT INTO teams(id,name,region) VALUES (10,'Alpha','EMEA');"
      "INSERT INTO reps(id,name,region,team_id) VALUES (1,'Ann','EMEA',10),(2,'Bob','NA',10);"
      "INSERT INTO quotas(rep_id,team_id,period_start,period_end,amount) VALUES"
      " (1,NULL,'2025-01-01','2025-04-01',1500),(2,NULL,'2025-01-01','2025-04-01',1500),"
      " (NULL,10,'2025-01-01','2025-04-01',9999);"
      "INSERT INTO opportunities(id,owner_id,lead_id,amount,status,stage,probability,forecast_category,"
      "created_at,expected_close_at,closed_at) VALUES"
      " (1,1,4,100,'won','Closed Won',NULL,'closed','2024-12-31','2025-01-20','2025-01-20'),"
      " (2,1,NULL,300,'won','Closed Won',NULL,'closed','2024-11-01','2025-03-01','2025-02-20'),"
      " (3,1,NULL,1000,'open','Negotiation',NULL,'commit','2024-11-01','2025-03-15',NULL),"
      " (4,1,NULL,500,'open','Proposal',0.3,'best_case','2024-11-01','2025-02-15',NULL),"
      " (5,1,NULL,200,'open','Prospecting',NULL,NULL,'2024-11-01','2025-03-31',NULL),"
      " (6,2,NULL,100,'open','Qualification',NULL,'omitted','2024-11-01','2025-01-10',NULL),"
      " (7,2,NULL,300,'open','Proposal',NULL,'most_likely','2024-11-01','2025-02-01',NULL),"
      " (8,2,NULL,999,'open','Negotiation',NULL,'commit','2024-11-01','2025-05-01',NULL),"
      " (9,2,NULL,777,'lost','Closed Lost',NULL,'omitted','2024-11-01','2025-02-01','2025-02-02'),"
      " (10,1,1,60,'won','Closed Won',NULL,'closed','2024-02-01','2024-03-01','2024-03-01'),"
      " (11,1,2,90,'lost','Closed Lost',NULL,'omitted','2024-07-01','2024-08-01','2024-08-01'),"
      " (12,1,5,40,'won','Closed Won',NULL,'closed','2024-01-15','2024-02-01','2024-02-01');"
      "INSERT INTO leads(id,owner_id,source,created_at,opportunity_id) VALUES"
      " (1,1,'web','2024-01-02',10),(2,1,'web','2024-06-01',11),(3,1,'web','2024-07-01',NULL),"
      " (4,1,'web','2024-12-31',1),(5,1,'web','2024-01-01',12),(6,1,'web','2025-01-05',NULL);");
}

const MetricRun kQ1 = span("2025-01-01", "2025-04-01");

}  // namespace

TEST(Forecast, WeightedPipelineAndCategories) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("forecast", kQ1);
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "weighted_pipeline").value, 800 + 150 + 20 + 20 + 150);
  EXPECT_DOUBLE_EQ(*kpi(m, "closed_won").value, 400);
  EXPECT_DOUBLE_EQ(*kpi(m, "commit_forecast").value, 1000 + 400);
  EXPECT_DOUBLE_EQ(*kpi(m, "best_case_forecast").value, 500 + 300 + 1000 + 400);
  EXPECT_DOUBLE_EQ(*kpi(m, "open_pipeline").value, 200 + 500 + 300 + 1000);
  const auto& t = table(m, "categories");
  EXPECT_EQ(number(t, row(t, "category", "closed"), "forecast"), 400);
  EXPECT_EQ(number(t, row(t, "category", "most_likely"), "forecast"), 300 + 1000 + 400);
  EXPECT_EQ(number(t, row(t, "category", "pipeline"), "deals"), 1);
  EXPECT_EQ(number(t, row(t, "category", "best_case"), "weighted_amount"), 150);
  EXPECT_TRUE(is_na(t, row(t, "category", "omitted"), "forecast"));
}

TEST(Forecast, DealsAndLeadsNeededFromQuotas) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("forecast", kQ1);
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "forecast_target").value, 3000);
  EXPECT_DOUBLE_EQ(*kpi(m, "closed_won").target, 3000);
  EXPECT_DOUBLE_EQ(*kpi(m, "gap_to_target").value, 2600);
  EXPECT_DOUBLE_EQ(*kpi(m, "avg_deal_size").value, 200);
  EXPECT_DOUBLE_EQ(*kpi(m, "deals_needed").value, 13);  // 2600 / 200
  EXPECT_DOUBLE_EQ(*kpi(m, "lead_to_win_conversion").value, 0.5);
  EXPECT_DOUBLE_EQ(*kpi(m, "leads_needed").value, 26);  // 2600 / (0.5 x 200)
}

TEST(Forecast, LookbackDealSize) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("forecast", span("2025-01-01", "2025-04-01", "none", "deal_size_basis: lookback"));
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "avg_deal_size").value, 50);  // #10 60 and #12 40 won in 2024
  EXPECT_DOUBLE_EQ(*kpi(m, "deals_needed").value, 52);
  EXPECT_DOUBLE_EQ(*kpi(m, "leads_needed").value, 104);
}

TEST(Forecast, TargetParamAlreadyReached) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("forecast", span("2025-01-01", "2025-04-01", "none", "target: 300"));
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "forecast_target").value, 300);
  EXPECT_DOUBLE_EQ(*kpi(m, "gap_to_target").value, 0);
  EXPECT_DOUBLE_EQ(*kpi(m, "deals_needed").value, 0);
  EXPECT_DOUBLE_EQ(*kpi(m, "leads_needed").value, 0);
}

TEST(Forecast, ShorterLookbackWindow) {
  StoreFixture f;
  seed(f);
  // 30 days: [2024-12-02, 2025-01-01) holds only L4, which was won.
  auto m = f.run_metric("forecast", span("2025-01-01", "2025-04-01", "none", "lookback_days: 30"));
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "lead_to_win_conversion").value, 1.0);
  EXPECT_DOUBLE_EQ(*kpi(m, "leads_needed").value, 13);
}

TEST(Forecast, EmptyPeriodIsNa) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("forecast", span("2030-01-01", "2030-04-01"));
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "weighted_pipeline").value, 0);
  EXPECT_DOUBLE_EQ(*kpi(m, "closed_won").value, 0);
  EXPECT_FALSE(kpi(m, "forecast_target").value.has_value());
  EXPECT_FALSE(kpi(m, "deals_needed").value.has_value());
  EXPECT_FALSE(kpi(m, "lead_to_win_conversion").value.has_value());
  EXPECT_FALSE(kpi(m, "leads_needed").value.has_value());
}

TEST(Forecast, OneDayPeriod) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("forecast", span("2025-03-15", "2025-03-16", "none", "target: 1000"));
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "weighted_pipeline").value, 800);  // #3
  EXPECT_DOUBLE_EQ(*kpi(m, "commit_forecast").value, 1000);
  EXPECT_FALSE(kpi(m, "deals_needed").value.has_value());  // nothing won that day: no average
}

TEST(Forecast, ComparisonPeriod) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("forecast", span("2025-01-01", "2025-04-01", "previous_year"));
  ASSERT_TRUE(m.ok) << m.error;
  // Q1 2024: #10 60 and #12 40 won; no quota, no open deal expected then.
  EXPECT_DOUBLE_EQ(*kpi(m, "closed_won").previous, 100);
  EXPECT_DOUBLE_EQ(*kpi(m, "weighted_pipeline").previous, 0);
  EXPECT_FALSE(kpi(m, "forecast_target").previous.has_value());
}

TEST(Forecast, FilterByRegion) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("forecast", span("2025-01-01", "2025-04-01", "none", "", "region: [EMEA]"));
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "weighted_pipeline").value, 800 + 150 + 20);
  EXPECT_DOUBLE_EQ(*kpi(m, "forecast_target").value, 1500);
  EXPECT_DOUBLE_EQ(*kpi(m, "deals_needed").value, 6);   // ceil(1100 / 200)
  EXPECT_DOUBLE_EQ(*kpi(m, "leads_needed").value, 11);  // 1100 / (0.5 x 200)
}

// By region in Q1: EMEA (Ann) won 100 + 300 = 400; open commit 1000 (800 weighted), best case 500
// (150), pipeline 200 (20) -> commit 400 + 1000 = 1400, best case 1400 + 500 = 1900, weighted 970.
// NA (Bob): nothing won; omitted 100 (20 weighted) and most likely 300 (150); #8 closes in May ->
// commit 0, best case 300, weighted 170. The extra ownerless commit deal of 50 at Proposal (0.5)
// has no region: "(none)" with commit 50, best case 50, weighted 25.
TEST(Forecast, GroupByRegion) {
  StoreFixture f;
  seed(f);
  f.exec(
      "INSERT INTO opportunities(id,owner_id,amount,status,stage,forecast_category,created_at,"
      "expected_close_at) VALUES (13,NULL,50,'open','Proposal','commit','2024-12-01','2025-03-01');");
  auto m = f.run_metric("forecast", span("2025-01-01", "2025-04-01", "none", "group_by: region"));
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "by_region");
  ASSERT_EQ(t.rows.size(), 3u);
  const auto& emea = row(t, "region", "EMEA");
  EXPECT_DOUBLE_EQ(number(t, emea, "closed_won"), 400);
  EXPECT_DOUBLE_EQ(number(t, emea, "commit_forecast"), 1400);
  EXPECT_DOUBLE_EQ(number(t, emea, "best_case_forecast"), 1900);
  EXPECT_DOUBLE_EQ(number(t, emea, "weighted_pipeline"), 970);
  const auto& na = row(t, "region", "NA");
  EXPECT_DOUBLE_EQ(number(t, na, "closed_won"), 0);
  EXPECT_DOUBLE_EQ(number(t, na, "commit_forecast"), 0);
  EXPECT_DOUBLE_EQ(number(t, na, "best_case_forecast"), 300);
  EXPECT_DOUBLE_EQ(number(t, na, "weighted_pipeline"), 170);
  const auto& none = row(t, "region", "(none)");
  EXPECT_DOUBLE_EQ(number(t, none, "commit_forecast"), 50);
  EXPECT_DOUBLE_EQ(number(t, none, "best_case_forecast"), 50);
  EXPECT_DOUBLE_EQ(number(t, none, "weighted_pipeline"), 25);
  // The groups add up to the headline: 970 + 170 + 25.
  EXPECT_DOUBLE_EQ(*kpi(m, "weighted_pipeline").value, 1165);
}

// Both reps are in team Alpha: one group with the headline figures; the filter keeps EMEA only.
TEST(Forecast, GroupByTeamWithFilter) {
  StoreFixture f;
  seed(f);
  auto all = f.run_metric("forecast", span("2025-01-01", "2025-04-01", "none", "group_by: team"));
  ASSERT_TRUE(all.ok) << all.error;
  const auto& t = table(all, "by_team");
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_DOUBLE_EQ(number(t, row(t, "team", "Alpha"), "best_case_forecast"), 1900 + 300);
  EXPECT_DOUBLE_EQ(number(t, row(t, "team", "Alpha"), "weighted_pipeline"), 1140);
  auto emea =
      f.run_metric("forecast", span("2025-01-01", "2025-04-01", "none", "group_by: team", "region: [EMEA]"));
  ASSERT_TRUE(emea.ok) << emea.error;
  const auto& te = table(emea, "by_team");
  EXPECT_DOUBLE_EQ(number(te, row(te, "team", "Alpha"), "best_case_forecast"), 1900);
}

TEST(Forecast, NoGroupTableByDefaultAndEmptyPeriod) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("forecast", kQ1);
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_EQ(m.find_table("by_region"), nullptr);
  EXPECT_EQ(m.tables.size(), 1u);
  auto empty = f.run_metric("forecast", span("2030-01-01", "2030-04-01", "none", "group_by: rep"));
  ASSERT_TRUE(empty.ok) << empty.error;
  EXPECT_TRUE(table(empty, "by_rep").rows.empty());
}

namespace {
// Point-in-time state from stage history. Q1 2025 against Q4 2024, as_of 2026-01-01: both
// periods are over, so the state is taken at each period's end (2025-04-01 and 2025-01-01).
//   A 1000 won 2025-01-10, expected 2024-12-15: Qualification 09-01, Negotiation 11-01 .. 01-10.
//   B  500 lost 2024-12-28, expected 2024-12-20: closed before 2025-01-01.
//   C  200 open, Proposal, own probability 0.3, expected 2024-11-30: no stage history.
//   D  300 open, Proposal, expected 2025-03-20, commit: Prospecting 01-05, Proposal 02-01 .. now.
//   E  400 won 2025-04-15, expected 2025-03-25: Negotiation 02-01 .. 04-15, Closed Won 04-15.
//   F  100 open, Negotiation now, expected 2025-06-30: Prospecting 2024-12-01 .. 2025-05-01.
void seed_history(const StoreFixture& f) {
  f.exec(
      "INSERT INTO opportunities(id,amount,status,stage,probability,forecast_category,created_at,"
      "expected_close_at,closed_at) VALUES"
      " (21,1000,'won','Closed Won',NULL,'closed','2024-09-01','2024-12-15','2025-01-10'),"
      " (22,500,'lost','Closed Lost',NULL,'omitted','2024-10-05','2024-12-20','2024-12-28'),"
      " (23,200,'open','Proposal',0.3,'pipeline','2024-10-10','2024-11-30',NULL),"
      " (24,300,'open','Proposal',NULL,'commit','2025-01-05','2025-03-20',NULL),"
      " (25,400,'won','Closed Won',NULL,'closed','2025-01-10','2025-03-25','2025-04-15'),"
      " (26,100,'open','Negotiation',NULL,'pipeline','2024-12-01','2025-06-30',NULL);"
      "INSERT INTO stage_history(opportunity_id,stage,entered_at,exited_at) VALUES"
      " (21,'Qualification','2024-09-01','2024-11-01'),(21,'Negotiation','2024-11-01','2025-01-10'),"
      " (21,'Closed Won','2025-01-10',NULL),"
      " (22,'Proposal','2024-10-05','2024-12-28'),(22,'Closed Lost','2024-12-28',NULL),"
      " (24,'Prospecting','2025-01-05','2025-02-01'),(24,'Proposal','2025-02-01',NULL),"
      " (25,'Negotiation','2025-02-01','2025-04-15'),(25,'Closed Won','2025-04-15',NULL),"
      " (26,'Prospecting','2024-12-01','2025-05-01'),(26,'Negotiation','2025-05-01',NULL)");
}
}  // namespace

// Open deals expected to close in the period, as they stood at the period's end:
//   Q1 at 2025-04-01: D in Proposal, still open there -> 300 x 0.5 = 150; E in Negotiation -> 400 x 0.8 =
//   320. Q4 at 2025-01-01: A in Negotiation -> 1000 x 0.8 = 800; C without history -> 200 x 0.3 (its own)
//   = 60.
// F is expected in Q2, B closed before the end. Commit and best case rest on today's categories:
// not comparable.
TEST(Forecast, PointInTimeKpisCompareWithTheStateAtTheComparisonPeriodsEnd) {
  StoreFixture f;
  seed_history(f);
  auto m = f.run_metric("forecast", span("2025-01-01", "2025-04-01", "previous_period"));
  ASSERT_TRUE(m.ok) << m.error;
  const auto& open = kpi(m, "open_pipeline");
  EXPECT_EQ(open.label, "Open pipeline closing in period");
  EXPECT_DOUBLE_EQ(*open.value, 300 + 400);
  EXPECT_DOUBLE_EQ(*open.previous, 1000 + 200);
  EXPECT_EQ(open.compare_status, TALLY_COMPARE_OK);
  const auto& weighted = kpi(m, "weighted_pipeline");
  EXPECT_EQ(weighted.label, "Weighted pipeline closing in period");
  EXPECT_DOUBLE_EQ(*weighted.value, 150 + 320);
  EXPECT_DOUBLE_EQ(*weighted.previous, 800 + 60);
  EXPECT_DOUBLE_EQ(*kpi(m, "closed_won").value, 1000);  // A, won in Q1
  const auto& commit = kpi(m, "commit_forecast");
  EXPECT_DOUBLE_EQ(*commit.value, 1000 + 300);
  EXPECT_EQ(commit.compare_status, TALLY_COMPARE_NOT_COMPARABLE);
  EXPECT_FALSE(commit.previous.has_value());
  EXPECT_EQ(commit.note, "forecast categories have no history");
  bool said = false;
  for (const auto& n : m.notes)
    said = said || n.find("No stage history covers 1 of 2 deals open on 2025-01-01") != std::string::npos;
  EXPECT_TRUE(said) << "no note counts the deal without history";
}
