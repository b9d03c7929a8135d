// Hand-computed checks of lead_funnel on a tiny store.
#include <gtest/gtest.h>

#include "support/fixture.hpp"

using namespace tally::testing;

namespace {

// Leads created in Q1 2025 (L7 in Q4 2024):
//   L1 CEO    10 emp  EMEA      mql sal sql converted -> opp 101 won   (Ann)
//   L2 CEO    60 emp  -/US      mql sal sql converted -> opp 102 lost  (Ann)
//   L3 CTO   300 emp  EMEA      mql sal                                (Ann)
//   L4 CTO  5000 emp  NA        mql                                    (Cid)
//   L5 Intern  -      -/-       nothing                                (Ann)
//   L6 CTO  2000 emp  APAC      sql only (skipped mql, sal)            (Cid)
// Reached or passed: lead 6, mql 5, sal 4, sql 3, opportunity 2, customer 1.
// Won in Q1: opp 101 (1200) and 104 (800, no lead): average deal size 1000.
void seed(const StoreFixture& f) {
  f.exec(
      "INSERT INTO reps(id,name,region) VALUES (1,'Ann','EMEA'),(3,'Cid','NA');"
      "INSERT INTO "
      "leads(id,owner_id,source,title,industry,employees,country,region,created_at,mql_at,sal_at,sql_at,"
      "converted_at,opportunity_id) VALUES"
      " (1,1,'web','CEO','Software',10,'DE','EMEA','2025-01-05','2025-01-06','2025-01-07','2025-01-08','2025-"
      "02-01',101),"
      " (2,1,'web','CEO','Software',60,'US',NULL,'2025-01-10','2025-01-11','2025-01-12','2025-01-13','2025-"
      "02-02',102),"
      " (3,1,'web','CTO','Retail',300,'FR','EMEA','2025-02-01','2025-02-02','2025-02-03',NULL,NULL,NULL),"
      " (4,3,'event','CTO','Retail',5000,'US','NA','2025-02-05','2025-02-06',NULL,NULL,NULL,NULL),"
      " (5,1,'event','Intern','Retail',NULL,NULL,NULL,'2025-03-31 18:00:00',NULL,NULL,NULL,NULL,NULL),"
      " (6,3,'web','CTO','Software',2000,'JP','APAC','2025-03-01',NULL,NULL,'2025-03-02',NULL,NULL),"
      " (7,1,'web','CEO','Software',20,'DE','EMEA','2024-12-01','2024-12-02','2024-12-03','2024-12-04','2024-"
      "12-05',103);"
      "INSERT INTO opportunities(id,owner_id,lead_id,amount,status,created_at,closed_at) VALUES"
      " (101,1,1,1200,'won','2025-02-01','2025-02-15'),"
      " (102,1,2,900,'lost','2025-02-02','2025-03-01'),"
      " (103,1,7,500,'won','2024-12-05','2024-12-20'),"
      " (104,1,NULL,800,'won','2025-01-01','2025-03-01')");
}

}  // namespace

TEST(LeadFunnel, StepsAndCalledOutConversions) {
  StoreFixture f;
  seed(f);
  auto m =
      f.run_metric("lead_funnel", {.from = "2025-01-01", .to = "2025-04-01", .compare = "previous_period"});
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "funnel");
  EXPECT_EQ(t.chart, TALLY_CHART_FUNNEL);
  EXPECT_EQ(number(t, row(t, "step", "lead"), "leads"), 6);
  EXPECT_EQ(number(t, row(t, "step", "mql"), "leads"), 5);
  EXPECT_EQ(number(t, row(t, "step", "sal"), "leads"), 4);
  EXPECT_EQ(number(t, row(t, "step", "sql"), "leads"), 3);
  EXPECT_EQ(number(t, row(t, "step", "opportunity"), "leads"), 2);
  EXPECT_EQ(number(t, row(t, "step", "customer"), "leads"), 1);
  EXPECT_DOUBLE_EQ(number(t, row(t, "step", "customer"), "step_conversion"), 0.5);
  EXPECT_TRUE(is_na(t, row(t, "step", "lead"), "step_conversion"));
  EXPECT_DOUBLE_EQ(*kpi(m, "mql_to_sal").value, 0.8);
  EXPECT_DOUBLE_EQ(*kpi(m, "mql_to_sql").value, 0.6);
  EXPECT_DOUBLE_EQ(*kpi(m, "lead_to_customer").value, 1.0 / 6.0);
  // Previous period: L7 went all the way.
  EXPECT_DOUBLE_EQ(*kpi(m, "leads").previous, 1);
  EXPECT_DOUBLE_EQ(*kpi(m, "lead_to_customer").previous, 1.0);
  EXPECT_EQ(m.find_kpi("leads_needed"), nullptr);  // no revenue target given
}

TEST(LeadFunnel, ConversionByTitleAndBand) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("lead_funnel", {.from = "2025-01-01", .to = "2025-04-01"});
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "by_title");
  EXPECT_DOUBLE_EQ(number(t, row(t, "title", "CEO"), "lead_to_customer"), 0.5);
  EXPECT_EQ(number(t, row(t, "title", "CTO"), "leads"), 3);
  EXPECT_DOUBLE_EQ(number(t, row(t, "title", "CTO"), "lead_to_customer"), 0.0);
  EXPECT_EQ(number(t, row(t, "title", "Intern"), "leads"), 1);  // a group with a single lead

  auto b = f.run_metric("lead_funnel",
                        {.from = "2025-01-01", .to = "2025-04-01", .params_yaml = "profile: employee_band"});
  ASSERT_TRUE(b.ok) << b.error;
  const auto& bt = table(b, "by_employee_band");
  ASSERT_EQ(bt.rows.size(), 5u);
  EXPECT_EQ(text(bt, bt.rows[0], "employee_band"), "1-49");  // bands in size order
  EXPECT_DOUBLE_EQ(number(bt, row(bt, "employee_band", "1-49"), "lead_to_customer"), 1.0);
  EXPECT_EQ(number(bt, row(bt, "employee_band", "50-249"), "customers"), 0);
  EXPECT_EQ(number(bt, row(bt, "employee_band", "1000+"), "leads"), 2);
  EXPECT_EQ(number(bt, row(bt, "employee_band", "(none)"), "leads"), 1);
}

TEST(LeadFunnel, ConversionByGeographyAndIndustry) {
  StoreFixture f;
  seed(f);
  auto g = f.run_metric("lead_funnel",
                        {.from = "2025-01-01", .to = "2025-04-01", .params_yaml = "profile: geography"});
  ASSERT_TRUE(g.ok) << g.error;
  const auto& gt = table(g, "by_geography");
  EXPECT_EQ(number(gt, row(gt, "geography", "EMEA"), "leads"), 2);
  EXPECT_DOUBLE_EQ(number(gt, row(gt, "geography", "EMEA"), "lead_to_customer"), 0.5);
  EXPECT_EQ(number(gt, row(gt, "geography", "US"), "leads"), 1);  // no region: the country

  auto i = f.run_metric("lead_funnel",
                        {.from = "2025-01-01", .to = "2025-04-01", .params_yaml = "profile: industry"});
  ASSERT_TRUE(i.ok) << i.error;
  const auto& it = table(i, "by_industry");
  EXPECT_DOUBLE_EQ(number(it, row(it, "industry", "Software"), "lead_to_customer"), 1.0 / 3.0);
}

TEST(LeadFunnel, LeadsNeededForRevenueTarget) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("lead_funnel", {.from = "2025-01-01",
                                        .to = "2025-04-01",
                                        .compare = "previous_period",
                                        .params_yaml = "revenue_target: 10000"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "leads_needed").value, 60);     // 10000 / (1/6 x 1000)
  EXPECT_DOUBLE_EQ(*kpi(m, "leads_needed").previous, 20);  // 10000 / (1 x 500)
}

TEST(LeadFunnel, FilterAndZeroDenominators) {
  StoreFixture f;
  seed(f);
  auto na = f.run_metric("lead_funnel", {.from = "2025-01-01",
                                         .to = "2025-04-01",
                                         .params_yaml = "revenue_target: 10000",
                                         .filters_yaml = "region: [NA]"});
  ASSERT_TRUE(na.ok) << na.error;
  EXPECT_DOUBLE_EQ(*kpi(na, "leads").value, 2);         // L4, L6 (Cid)
  EXPECT_DOUBLE_EQ(*kpi(na, "mql_to_sal").value, 0.5);  // L6 passed SAL on its way to SQL
  EXPECT_DOUBLE_EQ(*kpi(na, "lead_to_customer").value, 0.0);
  EXPECT_FALSE(kpi(na, "leads_needed").value.has_value());  // no conversion, no average deal: n/a

  auto empty = f.run_metric("lead_funnel", {.from = "2023-01-01", .to = "2023-04-01"});
  ASSERT_TRUE(empty.ok) << empty.error;
  EXPECT_DOUBLE_EQ(*kpi(empty, "leads").value, 0);
  EXPECT_FALSE(kpi(empty, "mql_to_sal").value.has_value());
  EXPECT_FALSE(kpi(empty, "lead_to_customer").value.has_value());
  EXPECT_TRUE(table(empty, "by_title").rows.empty());

  auto day = f.run_metric("lead_funnel", {.from = "2025-03-31", .to = "2025-04-01"});
  ASSERT_TRUE(day.ok) << day.error;
  EXPECT_DOUBLE_EQ(*kpi(day, "leads").value, 1);  // L5
  EXPECT_FALSE(kpi(day, "mql_to_sql").value.has_value());
}

TEST(LeadFunnel, GroupBySourceIncludesNullGroup) {
  StoreFixture f;
  seed(f);
  // L8: no source, converted to opp 105, won -> the (none) group.
  f.exec(
      "INSERT INTO leads(id,owner_id,source,title,created_at,converted_at,opportunity_id) VALUES"
      " (8,1,NULL,'CFO','2025-03-10','2025-03-12',105);"
      "INSERT INTO opportunities(id,owner_id,lead_id,amount,status,created_at,closed_at) VALUES"
      " (105,1,8,700,'won','2025-03-12','2025-05-01')");
  auto m = f.run_metric("lead_funnel",
                        {.from = "2025-01-01", .to = "2025-04-01", .params_yaml = "group_by: source"});
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "by_source");
  EXPECT_EQ(t.chart, TALLY_CHART_BAR);
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(text(t, t.rows[2], "source"), "(none)");  // NULL group last, not dropped
  // web: L1, L2, L3, L6; MQL or later: all 4; SQL or later: L1, L2, L6; customer: L1 -> 1/4.
  const auto& web = row(t, "source", "web");
  EXPECT_EQ(number(t, web, "leads"), 4);
  EXPECT_EQ(number(t, web, "mqls"), 4);
  EXPECT_EQ(number(t, web, "sqls"), 3);
  EXPECT_EQ(number(t, web, "customers"), 1);
  EXPECT_DOUBLE_EQ(number(t, web, "lead_to_customer"), 0.25);
  // event: L4 (MQL), L5 (nothing) -> no customer.
  const auto& event = row(t, "source", "event");
  EXPECT_EQ(number(t, event, "leads"), 2);
  EXPECT_EQ(number(t, event, "mqls"), 1);
  EXPECT_EQ(number(t, event, "sqls"), 0);
  EXPECT_DOUBLE_EQ(number(t, event, "lead_to_customer"), 0.0);
  // (none): L8 converted (so passed MQL and SQL), its opp won (closed after the period: still a customer).
  const auto& none = row(t, "source", "(none)");
  EXPECT_EQ(number(t, none, "leads"), 1);
  EXPECT_EQ(number(t, none, "mqls"), 1);
  EXPECT_EQ(number(t, none, "sqls"), 1);
  EXPECT_EQ(number(t, none, "customers"), 1);
  EXPECT_DOUBLE_EQ(number(t, none, "lead_to_customer"), 1.0);
  // Headline: 7 leads, 2 customers.
  EXPECT_DOUBLE_EQ(*kpi(m, "lead_to_customer").value, 2.0 / 7.0);
  EXPECT_NE(m.find_table("by_title"), nullptr);  // the profile table stays

  // By rep under a region filter: only Cid's leads (L4, L6), one group.
  auto cid = f.run_metric("lead_funnel", {.from = "2025-01-01",
                                          .to = "2025-04-01",
                                          .params_yaml = "group_by: rep",
                                          .filters_yaml = "region: [NA]"});
  ASSERT_TRUE(cid.ok) << cid.error;
  const auto& rt = table(cid, "by_rep");
  ASSERT_EQ(rt.rows.size(), 1u);
  EXPECT_EQ(number(rt, row(rt, "rep", "Cid"), "leads"), 2);
  EXPECT_EQ(number(rt, row(rt, "rep", "Cid"), "sqls"), 1);

  // Empty period: the table is there, with no rows.
  auto empty = f.run_metric("lead_funnel",
                            {.from = "2023-01-01", .to = "2023-04-01", .params_yaml = "group_by: source"});
  ASSERT_TRUE(empty.ok) << empty.error;
  EXPECT_TRUE(table(empty, "by_source").rows.empty());
}

TEST(LeadFunnel, GroupByIndustryWithIndustryProfileKeepsOneTable) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric(
      "lead_funnel",
      {.from = "2025-01-01", .to = "2025-04-01", .params_yaml = "profile: industry, group_by: industry"});
  ASSERT_TRUE(m.ok) << m.error;
  int by_industry = 0;
  for (const auto& t : m.tables) by_industry += t.name == "by_industry";
  EXPECT_EQ(by_industry, 1);
  // Software: L1, L2, L6; SQL or later: all three; customer L1 -> 1/3. Retail: L3, L4, L5, no SQL.
  const auto& t = table(m, "by_industry");
  EXPECT_EQ(number(t, row(t, "industry", "Software"), "sqls"), 3);
  EXPECT_DOUBLE_EQ(number(t, row(t, "industry", "Software"), "lead_to_customer"), 1.0 / 3.0);
  EXPECT_EQ(number(t, row(t, "industry", "Retail"), "sqls"), 0);

  // group_by industry alone (profile title): by_industry comes from group_by, by_title stays.
  auto g = f.run_metric("lead_funnel",
                        {.from = "2025-01-01", .to = "2025-04-01", .params_yaml = "group_by: industry"});
  ASSERT_TRUE(g.ok) << g.error;
  const auto& gt = table(g, "by_industry");
  EXPECT_EQ(number(gt, row(gt, "industry", "Retail"), "leads"), 3);
  EXPECT_EQ(number(gt, row(gt, "industry", "Retail"), "mqls"), 2);  // L3, L4
  EXPECT_DOUBLE_EQ(number(gt, row(gt, "industry", "Retail"), "lead_to_customer"), 0.0);
  EXPECT_NE(g.find_table("by_title"), nullptr);
}

// Cohorts compared at the same age. as_of 2025-04-11: the Q1 2025 cohort is 10 days past its
// period's end, so the Q4 2024 cohort is measured as of 2025-01-11.
//   Q1: C1 mql 03-02, converted 04-05 -> opp 201 won 04-08 (before 04-11: a customer);
//       C2 nothing; C3 mql 04-20 (after as_of: not yet an MQL). Leads 3, MQLs 1, customers 1.
//   Q4: P1 mql 11-02, converted 12-01 -> opp 202 won 2025-01-05 (before 01-11: a customer);
//       P2 mql 12-02, converted 2025-01-20 -> opp 203 won 2025-02-01 (after 01-11: not yet).
//       Leads 2, MQLs 2, customers 1 (2 without the cutoff).
// With as_of 2025-03-15 the Q1 cohort is still forming: the cohort KPIs are not comparable.
TEST(LeadFunnel, CohortsCompareAtTheSameAge) {
  StoreFixture f;
  f.exec(
      "INSERT INTO leads(id,source,created_at,mql_at,converted_at,opportunity_id) VALUES"
      " (1,'web','2025-03-01','2025-03-02','2025-04-05',201),(2,'web','2025-03-10',NULL,NULL,NULL),"
      " (3,'web','2025-03-20','2025-04-20',NULL,NULL),"
      " (11,'web','2024-11-01','2024-11-02','2024-12-01',202),"
      " (12,'web','2024-12-01','2024-12-02','2025-01-20',203);"
      "INSERT INTO opportunities(id,lead_id,amount,status,created_at,closed_at) VALUES"
      " (201,1,100,'won','2025-04-05','2025-04-08'),(202,11,100,'won','2024-12-01','2025-01-05'),"
      " (203,12,100,'won','2025-01-20','2025-02-01')");
  auto config = [&](const std::string& as_of) {
    return "title: t\ndata: " + f.db_path() + "\nas_of: " + as_of +
           "\nperiod: {from: 2025-01-01, to: 2025-04-01, compare: previous_period}\nmetrics:\n  - use: "
           "lead_funnel\n";
  };
  auto r = f.run_config(config("2025-04-11"));
  const auto& m = r.metrics.at(0);
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "leads").value, 3);
  EXPECT_DOUBLE_EQ(*kpi(m, "leads").previous, 2);
  const auto& customers = kpi(m, "customers");
  EXPECT_DOUBLE_EQ(*customers.value, 1);
  EXPECT_DOUBLE_EQ(*customers.previous, 1);
  EXPECT_EQ(customers.compare_status, TALLY_COMPARE_OK);
  EXPECT_EQ(customers.note, "cohorts compared 10 days after period end");
  EXPECT_DOUBLE_EQ(*kpi(m, "lead_to_customer").value, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(*kpi(m, "lead_to_customer").previous, 1.0 / 2.0);
  const auto& funnel = table(m, "funnel");
  EXPECT_DOUBLE_EQ(number(funnel, row(funnel, "step", "mql"), "leads"), 1);

  r = f.run_config(config("2025-03-15"));
  const auto& running = r.metrics.at(0);
  ASSERT_TRUE(running.ok) << running.error;
  EXPECT_EQ(kpi(running, "customers").compare_status, TALLY_COMPARE_NOT_COMPARABLE);
  EXPECT_FALSE(kpi(running, "customers").previous.has_value());
  EXPECT_EQ(kpi(running, "customers").note, "cohort still maturing");
  EXPECT_DOUBLE_EQ(*kpi(running, "customers").value, 0);  // 201 was won after 03-15
  EXPECT_EQ(kpi(running, "leads").compare_status, TALLY_COMPARE_OK);
}
