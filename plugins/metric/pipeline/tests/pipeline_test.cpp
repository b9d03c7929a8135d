// Pipeline at the period end, deals at risk and deals needed, on a small store whose every
// figure is worked out by hand in the comments.
#include <gtest/gtest.h>

#include <algorithm>

#include "support/fixture.hpp"

using namespace tally::testing;

namespace {

// Period Q1 2025 = [2025-01-01, 2025-04-01); previous period [2024-10-01, 2025-01-01).
//   1 Ann  100 open  Proposal     own p NULL  created 2024-12-01  expected 2025-05-01
//   2 Ann  200 open  Negotiation  own p 0.9   created 2025-02-01  expected 2025-03-15 (overdue)
//   3 Bob  300 won   Closed Won               created 2025-01-10  closed 2025-03-01
//   4 Bob  400 lost  Closed Lost              created 2024-11-01  closed 2025-05-10 (open at Q1 end)
//   5 Ann   50 open  (no stage)               created 2025-01-05
//   6 Bob 1000 open  Proposal                 created 2025-04-05 (after the period)
//   7 Ann  500 won   Closed Won               created 2024-10-01  closed 2024-12-15
void seed(const StoreFixture& f) {
  f.exec(
      "INSERT INTO teams(id,name,region) VALUES (1,'Team A','EMEA');"
      "INSERT INTO reps(id,name,region,team_id) VALUES (1,'Ann','EMEA',1),(2,'Bob','NA',1);"
      "INSERT INTO "
      "opportunities(id,name,owner_id,amount,status,stage,probability,created_at,expected_close_at,"
      "closed_at) VALUES"
      " (1,'Alpha',1,100,'open','Proposal',NULL,'2024-12-01','2025-05-01',NULL),"
      " (2,'Beta',1,200,'open','Negotiation',0.9,'2025-02-01','2025-03-15',NULL),"
      " (3,'Gamma',2,300,'won','Closed Won',NULL,'2025-01-10','2025-02-15','2025-03-01'),"
      " (4,'Delta',2,400,'lost','Closed Lost',NULL,'2024-11-01','2025-06-01','2025-05-10'),"
      " (5,'Epsilon',1,50,'open',NULL,NULL,'2025-01-05',NULL,NULL),"
      " (6,'Zeta',2,1000,'open','Proposal',NULL,'2025-04-05','2025-09-01',NULL),"
      " (7,'Eta',1,500,'won','Closed Won',NULL,'2024-10-01','2024-12-01','2024-12-15');"
      // Proposal visits that ended: 10 days (opp 3) -> p90 10. Negotiation: 40 days -> p90 40.
      // Prospecting (opp 4) ended 2025-02-01 after 92 days. Qualification never ended before 2025-04-01.
      "INSERT INTO stage_history(opportunity_id,stage,entered_at,exited_at) VALUES"
      " (1,'Proposal','2024-12-01',NULL),"
      " (2,'Negotiation','2025-02-01',NULL),"
      " (3,'Proposal','2025-01-10','2025-01-20'),"
      " (3,'Negotiation','2025-01-20','2025-03-01'),"
      " (3,'Closed Won','2025-03-01',NULL),"
      " (4,'Prospecting','2024-11-01','2025-02-01'),"
      " (4,'Qualification','2025-02-01','2025-05-10'),"
      " (4,'Closed Lost','2025-05-10',NULL);");
}

MetricRun q1(std::string params = "", std::string filters = "") {
  return span("2025-01-01", "2025-04-01", "previous_period", std::move(params), std::move(filters));
}

}  // namespace

TEST(Pipeline, OpenAtPeriodEndByStage) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("pipeline", q1());
  ASSERT_TRUE(m.ok) << m.error;
  // Open at 2025-04-01: 1 (100), 2 (200), 4 (400, closed since), 5 (50); not 3 (closed), 6 (later).
  EXPECT_DOUBLE_EQ(*kpi(m, "open_deals").value, 4);
  EXPECT_DOUBLE_EQ(*kpi(m, "open_pipeline").value, 750);
  // 100*0.5 + 200*0.9 (own) + 400*0.2 (Qualification at the end, from history) + 50*n/a
  EXPECT_DOUBLE_EQ(*kpi(m, "weighted_pipeline").value, 50 + 180 + 80);

  const auto& t = table(m, "by_stage");
  ASSERT_EQ(t.rows.size(), 4u);
  // Pipeline order, "(no stage)" last.
  EXPECT_EQ(text(t, t.rows[0], "stage"), "Qualification");
  EXPECT_EQ(text(t, t.rows[1], "stage"), "Proposal");
  EXPECT_EQ(text(t, t.rows[2], "stage"), "Negotiation");
  EXPECT_EQ(text(t, t.rows[3], "stage"), "(no stage)");
  EXPECT_DOUBLE_EQ(number(t, row(t, "stage", "Qualification"), "amount"), 400);
  EXPECT_DOUBLE_EQ(number(t, row(t, "stage", "Qualification"), "weighted_amount"), 80);
  EXPECT_DOUBLE_EQ(number(t, row(t, "stage", "Negotiation"), "weighted_amount"), 180);
  EXPECT_DOUBLE_EQ(number(t, row(t, "stage", "(no stage)"), "deals"), 1);
  EXPECT_DOUBLE_EQ(number(t, row(t, "stage", "(no stage)"), "amount"), 50);
  EXPECT_DOUBLE_EQ(number(t, row(t, "stage", "Proposal"), "share_of_amount"), 100.0 / 750.0);
}

TEST(Pipeline, PreviousPeriodUsesStageAtItsEnd) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("pipeline", q1());
  ASSERT_TRUE(m.ok) << m.error;
  // Open at 2025-01-01: 1 (Proposal, 100) and 4 (Prospecting then, 400); 7 closed 2024-12-15.
  EXPECT_DOUBLE_EQ(*kpi(m, "open_deals").previous, 2);
  EXPECT_DOUBLE_EQ(*kpi(m, "open_pipeline").previous, 500);
  EXPECT_DOUBLE_EQ(*kpi(m, "weighted_pipeline").previous, 100 * 0.5 + 400 * 0.1);
  // No stage visit had ended before 2025-01-01: no p90, nothing overdue.
  EXPECT_DOUBLE_EQ(*kpi(m, "deals_at_risk").previous, 0);
}

TEST(Pipeline, DealsAtRisk) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("pipeline", q1());
  ASSERT_TRUE(m.ok) << m.error;
  // 2: expected 2025-03-15 passed, and 59 days in Negotiation > p90 40.
  // 1: 121 days in Proposal > p90 10. 4: Qualification has no p90. 5: no history, no date.
  EXPECT_DOUBLE_EQ(*kpi(m, "deals_at_risk").value, 2);
  EXPECT_FALSE(kpi(m, "deals_at_risk").higher_is_better);
  const auto& t = table(m, "at_risk");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(text(t, t.rows[0], "deal"), "Beta");  // largest first
  EXPECT_EQ(text(t, t.rows[1], "deal"), "Alpha");
  EXPECT_DOUBLE_EQ(number(t, t.rows[1], "days_in_stage"), 121);
  EXPECT_DOUBLE_EQ(number(t, t.rows[1], "stage_p90_days"), 10);
  EXPECT_NE(text(t, t.rows[0], "reason").find("past expected close"), std::string::npos);
  EXPECT_NE(text(t, t.rows[0], "reason").find("Negotiation"), std::string::npos);
  EXPECT_EQ(text(t, t.rows[0], "owner"), "Ann");

  auto top1 = f.run_metric("pipeline", q1("top_n: 1"));
  ASSERT_TRUE(top1.ok) << top1.error;
  EXPECT_EQ(table(top1, "at_risk").rows.size(), 1u);
  EXPECT_DOUBLE_EQ(*kpi(top1, "deals_at_risk").value, 2);  // the count is not cut
}

TEST(Pipeline, DealsNeededFromParamTarget) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("pipeline", q1("target: 1000"));
  ASSERT_TRUE(m.ok) << m.error;
  // Won 300 (one deal, average 300): ceil((1000 - 300) / 300) = 3.
  EXPECT_DOUBLE_EQ(*kpi(m, "deals_needed").value, 3);
  // Previous: won 500 (one deal): ceil((1000 - 500) / 500) = 1.
  EXPECT_DOUBLE_EQ(*kpi(m, "deals_needed").previous, 1);

  auto met = f.run_metric("pipeline", q1("target: 250"));
  ASSERT_TRUE(met.ok) << met.error;
  EXPECT_DOUBLE_EQ(*kpi(met, "deals_needed").value, 0);
}

TEST(Pipeline, DealsNeededFromQuotasAndLookback) {
  StoreFixture f;
  seed(f);
  f.exec(
      "INSERT INTO quotas(rep_id,team_id,period_start,period_end,amount) VALUES"
      " (1,NULL,'2025-01-01','2025-04-01',600),(2,NULL,'2025-01-01','2025-04-01',600),"
      " (NULL,1,'2025-01-01','2025-04-01',5000),"    // team level: ignored while rep quotas exist
      " (1,NULL,'2025-01-01','2026-01-01',9999);");  // not inside the period
  auto m = f.run_metric("pipeline", q1());
  ASSERT_TRUE(m.ok) << m.error;
  // Target 1200, won 300, average 300: ceil(900 / 300) = 3. No quota in the previous period: n/a.
  EXPECT_DOUBLE_EQ(*kpi(m, "deals_needed").value, 3);
  EXPECT_FALSE(kpi(m, "deals_needed").previous.has_value());
  const auto& t = table(m, "deals_needed");
  EXPECT_DOUBLE_EQ(number(t, t.rows[0], "target"), 1200);
  EXPECT_EQ(text(t, t.rows[0], "target_source"), "quotas table, 2025-01-01 to 2025-03-31, sum of 2 reps");

  // Average over the 6 months before 2025-04-01: deals 3 (300) and 7 (500) -> 400.
  // Target 1600, won in the period 300: ceil(1300 / 400) = 4.
  auto lb = f.run_metric("pipeline", q1("target: 1600, avg_deal_lookback: 6"));
  ASSERT_TRUE(lb.ok) << lb.error;
  EXPECT_DOUBLE_EQ(*kpi(lb, "deals_needed").value, 4);
  EXPECT_DOUBLE_EQ(number(table(lb, "deals_needed"), table(lb, "deals_needed").rows[0], "average_deal_size"),
                   400);
}

TEST(Pipeline, EmptyPeriod) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("pipeline", MetricRun{.from = "2020-01-01",
                                              .to = "2020-04-01",
                                              .compare = "previous_period",
                                              .params_yaml = "target: 1000"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "open_deals").value, 0);
  EXPECT_DOUBLE_EQ(*kpi(m, "open_pipeline").value, 0);
  EXPECT_DOUBLE_EQ(*kpi(m, "deals_at_risk").value, 0);
  EXPECT_FALSE(kpi(m, "deals_needed").value.has_value());  // no won deal: average deal size n/a
  EXPECT_TRUE(table(m, "by_stage").rows.empty());
  EXPECT_TRUE(table(m, "at_risk").rows.empty());
}

TEST(Pipeline, OneDayPeriod) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("pipeline", MetricRun{.from = "2025-03-01", .to = "2025-03-02"});
  ASSERT_TRUE(m.ok) << m.error;
  // Open at 2025-03-02: 1, 2, 4 (in Qualification), 5; 3 closed on 2025-03-01.
  EXPECT_DOUBLE_EQ(*kpi(m, "open_deals").value, 4);
  EXPECT_DOUBLE_EQ(*kpi(m, "open_pipeline").value, 750);
  EXPECT_FALSE(kpi(m, "open_deals").previous.has_value());
}

TEST(Pipeline, FilterAndGroupBy) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("pipeline", q1("group_by: rep", "region: [EMEA]"));
  ASSERT_TRUE(m.ok) << m.error;
  // Ann's open deals at the end: 1, 2, 5.
  EXPECT_DOUBLE_EQ(*kpi(m, "open_deals").value, 3);
  EXPECT_DOUBLE_EQ(*kpi(m, "open_pipeline").value, 350);
  const auto& t = table(m, "by_rep");
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_DOUBLE_EQ(number(t, row(t, "rep", "Ann"), "amount"), 350);

  auto all = f.run_metric("pipeline", q1("group_by: rep"));
  ASSERT_TRUE(all.ok) << all.error;
  const auto& g = table(all, "by_rep");
  EXPECT_DOUBLE_EQ(number(g, row(g, "rep", "Bob"), "deals"), 1);  // a group with a single deal
  EXPECT_DOUBLE_EQ(number(g, row(g, "rep", "Bob"), "amount"), 400);
}

TEST(Pipeline, ClosedSinceWithoutHistoryIsNoStage) {
  StoreFixture f;
  seed(f);
  // Open at 2025-04-01, closed later, no stage history at all.
  f.exec(
      "INSERT INTO opportunities(id,owner_id,amount,status,stage,created_at,closed_at) VALUES"
      " (8,2,70,'won','Closed Won','2025-03-10','2025-04-20');");
  auto m = f.run_metric("pipeline", q1());
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "open_deals").value, 5);
  const auto& t = table(m, "by_stage");
  EXPECT_DOUBLE_EQ(number(t, row(t, "stage", "(no stage)"), "deals"), 2);
  EXPECT_DOUBLE_EQ(number(t, row(t, "stage", "(no stage)"), "amount"), 120);
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

// Open pipeline at each period's end, every deal in the stage its history gives for that date:
//   2025-04-01: C (no history: its current Proposal, own 0.3) 60; D Proposal, still there (0.5) 150;
//               E Negotiation (0.8) 320; F Prospecting (0.1) 10, not today's Negotiation.
//   2025-01-01: A Negotiation 800; C 60; F Prospecting 10.
TEST(Pipeline, OpenAndWeightedPipelineAtEachPeriodsEndFromStageHistory) {
  StoreFixture f;
  seed_history(f);
  auto m = f.run_metric("pipeline", span("2025-01-01", "2025-04-01", "previous_period"));
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "open_pipeline").value, 200 + 300 + 400 + 100);
  EXPECT_DOUBLE_EQ(*kpi(m, "open_pipeline").previous, 1000 + 200 + 100);
  EXPECT_NEAR(*kpi(m, "weighted_pipeline").value, 60 + 150 + 320 + 10, 1e-9);
  EXPECT_NEAR(*kpi(m, "weighted_pipeline").previous, 800 + 60 + 10, 1e-9);
  EXPECT_DOUBLE_EQ(*kpi(m, "open_deals").value, 4);
  EXPECT_DOUBLE_EQ(*kpi(m, "open_deals").previous, 3);
  const auto& stages = table(m, "by_stage");
  EXPECT_DOUBLE_EQ(number(stages, row(stages, "stage", "Prospecting"), "amount"), 100);
  EXPECT_DOUBLE_EQ(number(stages, row(stages, "stage", "Negotiation"), "amount"), 400);
  int said = 0;
  for (const auto& n : m.notes) said += n.find("1 deal open on ") != std::string::npos;
  EXPECT_EQ(said, 2) << "C has no history at either end";
}

// Issue 11: an amount that is unknown stays unknown. At the end of Q1 2025
// deals 1 and 2 are open without an amount; at the end of Q4 2024 deal 3
// (500) was open (lost in February). Open pipeline is n/a, not $0.00, and
// its comparison is not "-100 %". With deal 4 (300) open too, the total is
// the known 300 and a note counts the two unknown.
TEST(Pipeline, UnknownAmountsAreNotZero) {
  StoreFixture f;
  f.exec(
      "INSERT INTO opportunities(id,amount,status,stage,created_at,closed_at) VALUES"
      " (1,NULL,'open','Proposal','2025-01-10',NULL),(2,NULL,'open','Proposal','2025-02-10',NULL),"
      " (3,500,'lost','Closed Lost','2024-11-01','2025-02-01')");
  auto m = f.run_metric("pipeline", q1());
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "open_deals").value, 2);
  EXPECT_FALSE(kpi(m, "open_pipeline").value.has_value());
  EXPECT_FALSE(kpi(m, "weighted_pipeline").value.has_value());
  EXPECT_DOUBLE_EQ(*kpi(m, "open_pipeline").previous, 500);
  EXPECT_FALSE(kpi(m, "open_pipeline").change_relative().has_value());
  const std::string note =
      "amount unknown on 2 open deals: Open and weighted pipeline count the known amounts only";
  EXPECT_NE(std::find(m.notes.begin(), m.notes.end(), note), m.notes.end());
  // A stage whose deals all lack an amount: n/a in the table, not $0.
  const auto& stages = table(m, "by_stage");
  EXPECT_DOUBLE_EQ(number(stages, row(stages, "stage", "Proposal"), "deals"), 2);
  EXPECT_TRUE(is_na(stages, row(stages, "stage", "Proposal"), "amount"));
  EXPECT_TRUE(is_na(stages, row(stages, "stage", "Proposal"), "weighted_amount"));

  f.exec(
      "INSERT INTO opportunities(id,amount,status,stage,created_at) VALUES "
      "(4,300,'open','Proposal','2025-03-01')");
  auto some = f.run_metric("pipeline", q1());
  ASSERT_TRUE(some.ok) << some.error;
  EXPECT_DOUBLE_EQ(*kpi(some, "open_pipeline").value, 300);
  EXPECT_NE(std::find(some.notes.begin(), some.notes.end(), note), some.notes.end());
  EXPECT_DOUBLE_EQ(
      number(table(some, "by_stage"), row(table(some, "by_stage"), "stage", "Proposal"), "amount"), 300);

  // An overdue deal without an amount is at risk with an n/a amount, listed after known ones.
  f.exec(
      "INSERT INTO opportunities(id,name,amount,status,stage,created_at,expected_close_at) VALUES "
      "(5,'Unpriced',NULL,'open','Proposal','2025-01-05','2025-02-01'),"
      "(6,'Priced',10,'open','Proposal','2025-01-05','2025-02-01')");
  auto risk = f.run_metric("pipeline", q1());
  ASSERT_TRUE(risk.ok) << risk.error;
  const auto& at_risk = table(risk, "at_risk");
  ASSERT_EQ(at_risk.rows.size(), 2u);
  EXPECT_EQ(text(at_risk, at_risk.rows[0], "deal"), "Priced");
  EXPECT_DOUBLE_EQ(number(at_risk, at_risk.rows[0], "amount"), 10);
  EXPECT_EQ(text(at_risk, at_risk.rows[1], "deal"), "Unpriced");
  EXPECT_TRUE(is_na(at_risk, at_risk.rows[1], "amount"));
}
