// Drill-down (SDK 1.2): for every shipped metric plugin's headline KPIs on one
// small store, the records the plugin declares equal the set worked out by
// hand below; for a count KPI their number equals the KPI's value, for a
// ratio the numerator's and the denominator's records are both listed. Then
// `tally explain` end to end: text, JSON, --row, and its refusals.
// (Over 400 lines: one hand-worked fixture for every shipped plugin; split, each part would
// need the whole fixture and its worked values.)
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "plugins/registry.hpp"
#include "run/explain.hpp"
#include "store/backend.hpp"
#include "support/command.hpp"
#include "support/fixture.hpp"

using namespace tally;
using namespace tally::testing;
using Ids = std::set<int64_t>;

namespace {

// The period is Q1 2025: [2025-01-01, 2025-04-01).
// Deals: won in Q1: 1, 3, 8 (8 without amount); lost in Q1: 2 (Price), 9 (no
// reason); created in Q1: 2, 3, 4, 7, 8, 9; open at the end: 4 (open), 7
// (won after Q1); outside: 5 (lost in 2024), 6 (won in 2024).
void seed(const StoreFixture& f) {
  f.exec(
      "INSERT INTO teams(id,name,region) VALUES (1,'Alpha','EMEA'),(2,'Beta','NA');"
      "INSERT INTO reps(id,name,region,team_id) VALUES "
      "(1,'Ann','EMEA',1),(2,'Bob','EMEA',1),(3,'Cid','NA',2);"
      "INSERT INTO accounts(id,name,segment,owner_id) VALUES (1,'Acme','SMB',1),(2,'Bolt','MM',2),"
      " (3,'Core','ENT',3);"
      "INSERT INTO opportunities(id,name,owner_id,account_id,amount,type,source,stage,status,created_at,"
      " closed_at,loss_reason) VALUES"
      " (1,'Deal 1',1,1,100,'new_business','web','Closed Won','won','2024-11-01','2025-01-10',NULL),"
      " (2,'Deal 2',1,1,200,'renewal','web','Closed Lost','lost','2025-01-02','2025-02-01','Price'),"
      " (3,'Deal 3',2,2,300,'new_business','referral','Closed Won','won','2025-01-03','2025-03-01 "
      "15:00:00',NULL),"
      " (4,'Deal 4',3,3,400,'expansion','web','Proposal','open','2025-02-01',NULL,NULL),"
      " (5,'Deal 5',3,3,500,'new_business','web','Closed Lost','lost','2024-10-05','2024-12-01','Timing'),"
      " (6,'Deal 6',2,2,600,'new_business','web','Closed Won','won','2024-10-10','2024-11-10',NULL),"
      " (7,'Deal 7',1,1,700,'new_business','web','Closed Won','won','2025-03-10','2025-05-01',NULL),"
      " (8,'Deal 8',2,2,NULL,'new_business','web','Closed Won','won','2025-01-05','2025-03-15',NULL),"
      " (9,'Deal 9',3,3,900,'renewal','web','Closed Lost','lost','2025-02-10','2025-03-20',NULL);"
      // Leads of Q1: 1 answered in 3 minutes, MQL; 2 unanswered, SAL; 3 answered in
      // 2 hours, converted into deal 3 (won). Lead 4 is from 2024.
      "INSERT INTO leads(id,owner_id,source,created_at,first_response_at,mql_at,sal_at,sql_at,converted_at,"
      " opportunity_id) VALUES"
      " (1,1,'web','2025-01-05 09:00:00','2025-01-05 09:03:00','2025-01-06',NULL,NULL,NULL,NULL),"
      " (2,1,'web','2025-02-01 09:00:00',NULL,'2025-02-02','2025-02-03',NULL,NULL,NULL),"
      " (3,2,'web','2025-03-01 09:00:00','2025-03-01 11:00:00',NULL,NULL,'2025-03-05','2025-03-06',3),"
      " (4,2,'web','2024-12-01 09:00:00','2024-12-01 09:01:00',NULL,NULL,NULL,NULL,NULL);"
      "INSERT INTO activities(id,rep_id,type,occurred_at,account_id) VALUES"
      " (1,1,'call','2025-01-10 10:00:00',1),(2,2,'email','2025-02-10 10:00:00',2),"
      " (3,1,'call','2024-12-10 10:00:00',1);"
      "INSERT INTO time_entries(id,rep_id,day,category,minutes) VALUES"
      " (1,1,'2025-01-10','selling',120),(2,1,'2025-01-11','admin',60),(3,2,'2024-12-30','selling',30);"
      // Subscriptions: 1 (Acme) since 2024 and expanded in Q1; 2 (Bolt) since
      // 2024, churned in Q1; 3 (Core) new in Q1.
      "INSERT INTO subscriptions(id,account_id,started_at,ended_at,mrr) VALUES"
      " (1,1,'2024-06-01',NULL,150),(2,2,'2024-07-01','2025-02-15',0),(3,3,'2025-01-20',NULL,80);"
      "INSERT INTO subscription_events(id,subscription_id,account_id,type,occurred_at,mrr_delta) VALUES"
      " (1,1,1,'new','2024-06-01',100),(2,1,1,'expansion','2025-02-01',50),(3,2,2,'new','2024-07-01',200),"
      " (4,2,2,'churn','2025-02-15',-200),(5,3,3,'new','2025-01-20',80);"
      // Quotas for Q1: Ann 1000 (reaches 10 %), Bob 300 (reaches 100 %).
      "INSERT INTO quotas(id,rep_id,period_start,period_end,amount) VALUES"
      " (1,1,'2025-01-01','2025-04-01',1000),(2,2,'2025-01-01','2025-04-01',300);"
      // Collateral: item 1 used in Q1 on deal 3; item 2 never used.
      "INSERT INTO collateral(id,name,type,created_at) VALUES (1,'Deck','deck','2024-01-01'),"
      " (2,'Case study','case_study','2024-01-01');"
      "INSERT INTO collateral_usage(id,collateral_id,rep_id,opportunity_id,used_at) VALUES"
      " (1,1,2,3,'2025-02-01');");
}

class Explain : public ::testing::Test {
 protected:
  void SetUp() override { seed(f); }

  run::MetricResult metric(const std::string& plugin, const std::string& params = "") {
    auto m = f.run_metric(plugin, span("2025-01-01", "2025-04-01", "none", params));
    EXPECT_TRUE(m.ok) << plugin << ": " << m.error;
    return m;
  }

  // The ids of the records declared for a KPI (or a row of it).
  Ids ids(const run::MetricResult& m, const std::string& kpi, const std::string& row = "",
          int32_t part = TALLY_DRILLDOWN_RECORDS) {
    const run::Drilldown* d = m.find_drilldown(kpi, row, part);
    if (!d) {
      ADD_FAILURE() << m.plugin << " declares no drill-down for " << kpi << (row.empty() ? "" : " row " + row)
                    << (part == TALLY_DRILLDOWN_DENOMINATOR ? " (denominator)" : "");
      return {};
    }
    auto backend = store::open_backend(f.db_path());
    auto cursor = backend->connect()->execute(d->records);
    const auto id = std::find(d->records.columns.begin(), d->records.columns.end(), "id");
    EXPECT_NE(id, d->records.columns.end()) << "no id column";
    Ids out;
    while (cursor->next())
      out.insert(std::get<int64_t>(cursor->get(static_cast<size_t>(id - d->records.columns.begin()))));
    return out;
  }

  // A count KPI: its records are `expected`, as many as its value.
  void count_kpi(const run::MetricResult& m, const std::string& kpi, const Ids& expected) {
    EXPECT_EQ(ids(m, kpi), expected) << m.plugin << "." << kpi;
    ASSERT_TRUE(tally::testing::kpi(m, kpi).value.has_value()) << m.plugin << "." << kpi << " is n/a";
    EXPECT_EQ(*tally::testing::kpi(m, kpi).value, static_cast<double>(expected.size()))
        << m.plugin << "." << kpi;
  }

  void ratio_kpi(const run::MetricResult& m, const std::string& kpi, const Ids& numerator,
                 const Ids& denominator) {
    EXPECT_EQ(ids(m, kpi), numerator) << m.plugin << "." << kpi << " numerator";
    EXPECT_EQ(ids(m, kpi, "", TALLY_DRILLDOWN_DENOMINATOR), denominator)
        << m.plugin << "." << kpi << " denominator";
  }

  StoreFixture f;
};

}  // namespace

TEST_F(Explain, WinRateAndWinLossListTheClosedDeals) {
  auto w = metric("win_rate", "group_by: rep");
  ratio_kpi(w, "win_rate", {1, 3, 8}, {1, 2, 3, 8, 9});
  EXPECT_DOUBLE_EQ(*kpi(w, "win_rate").value, 3.0 / 5.0);
  count_kpi(w, "won", {1, 3, 8});
  count_kpi(w, "closed", {1, 2, 3, 8, 9});
  EXPECT_EQ(ids(w, "win_rate", "Ann"), (Ids{1}));  // a row of the breakdown
  EXPECT_EQ(ids(w, "win_rate", "Ann", TALLY_DRILLDOWN_DENOMINATOR), (Ids{1, 2}));

  auto l = metric("win_loss");
  ratio_kpi(l, "win_rate", {1, 3, 8}, {1, 2, 3, 8, 9});
  count_kpi(l, "won_deals", {1, 3, 8});
  count_kpi(l, "lost_deals", {2, 9});
  EXPECT_EQ(ids(l, "won_amount"), (Ids{1, 3, 8}));
  EXPECT_EQ(ids(l, "lost_deals", "Price"), (Ids{2}));
  EXPECT_EQ(ids(l, "lost_deals", "(none)"), (Ids{9}));
}

TEST_F(Explain, DealSizeCycleRevenueForecastAndVelocity) {
  auto a = metric("avg_deal_size");
  count_kpi(a, "won_deals", {1, 3, 8});
  // Deal 8 has no amount: unknown, not $0, so the average is over 1 and 3: 400 / 2.
  EXPECT_EQ(ids(a, "avg_deal_size"), (Ids{1, 3}));
  EXPECT_DOUBLE_EQ(*kpi(a, "avg_deal_size").value, 400.0 / 2.0);

  count_kpi(metric("sales_cycle"), "won_deals", {1, 3, 8});

  auto r = metric("revenue");
  EXPECT_EQ(ids(r, "revenue"), (Ids{1, 3, 8}));
  EXPECT_EQ(ids(r, "revenue_new_business"), (Ids{1, 3, 8}));
  EXPECT_EQ(ids(r, "revenue_renewal"), (Ids{}));  // deal 2 was lost
  EXPECT_DOUBLE_EQ(*kpi(r, "revenue").value, 400);

  EXPECT_EQ(ids(metric("forecast"), "closed_won"), (Ids{1, 3, 8}));

  auto v = metric("sales_velocity");
  count_kpi(v, "open_opportunities", {4, 7});
  ratio_kpi(v, "win_rate", {1, 3, 8}, {1, 2, 3, 8, 9});
}

TEST_F(Explain, PipelineNewOpportunitiesStagesAndTerritories) {
  auto p = metric("pipeline");
  count_kpi(p, "open_deals", {4, 7});
  EXPECT_EQ(ids(p, "open_pipeline"), (Ids{4, 7}));
  EXPECT_DOUBLE_EQ(*kpi(p, "open_pipeline").value, 1100);

  auto n = metric("new_opportunities", "group_by: source");
  count_kpi(n, "new_opportunities", {2, 3, 4, 7, 8, 9});
  EXPECT_EQ(ids(n, "new_opportunities", "referral"), (Ids{3}));

  count_kpi(metric("stage_conversion"), "cohort_deals", {2, 3, 4, 7, 8, 9});

  auto t = metric("territory_balance");
  EXPECT_EQ(ids(t, "open_pipeline"), (Ids{4, 7}));
  EXPECT_EQ(ids(t, "open_pipeline", "EMEA"), (Ids{7}));
  EXPECT_EQ(ids(t, "open_pipeline", "NA"), (Ids{4}));
}

TEST_F(Explain, LeadsActivitiesAndTime) {
  auto r = metric("lead_response");
  count_kpi(r, "leads", {1, 2, 3});
  count_kpi(r, "unanswered_leads", {2});
  EXPECT_EQ(ids(r, "median_response_minutes"), (Ids{1, 3}));
  ratio_kpi(r, "answered_within_threshold", {1}, {1, 3});

  auto f = metric("lead_funnel");
  count_kpi(f, "leads", {1, 2, 3});
  count_kpi(f, "customers", {3});
  ratio_kpi(f, "mql_to_sal", {2, 3}, {1, 2, 3});
  ratio_kpi(f, "lead_to_customer", {3}, {1, 2, 3});
  EXPECT_EQ(ids(f, "leads", "sql"), (Ids{3}));

  count_kpi(metric("activity"), "activities", {1, 2});

  auto t = metric("time_allocation");
  EXPECT_EQ(ids(t, "logged_hours"), (Ids{1, 2}));
  ratio_kpi(t, "selling_share", {1}, {1, 2});
}

TEST_F(Explain, RecurringRevenueCustomersQuotasAndCollateral) {
  auto a = metric("arr");
  EXPECT_EQ(ids(a, "starting_arr"), (Ids{1, 3}));
  EXPECT_EQ(ids(a, "new_arr"), (Ids{5}));
  EXPECT_EQ(ids(a, "expansion_arr"), (Ids{2}));
  EXPECT_EQ(ids(a, "churned_arr"), (Ids{4}));
  EXPECT_EQ(ids(a, "ending_arr"), (Ids{1, 2, 3, 4, 5}));

  auto c = metric("churn");
  count_kpi(c, "churned_customers", {2});
  ratio_kpi(c, "logo_churn_rate", {2}, {1, 2});
  EXPECT_EQ(ids(c, "churned_mrr"), (Ids{4}));

  count_kpi(metric("account_health"), "customers", {1, 2, 3});

  auto q = metric("quota_attainment");
  count_kpi(q, "reps_with_quota", {1, 2});
  count_kpi(q, "reps_at_quota", {2});
  ratio_kpi(q, "team_attainment", {1, 3, 8}, {1, 2});

  auto k = metric("collateral_usage");
  count_kpi(k, "items_used", {1});
  count_kpi(k, "items_unused", {2});

  auto b = metric("leaderboard");
  EXPECT_EQ(ids(b, "deals_won", "Bob"), (Ids{3, 8}));
}

// KPIs computed in C++ name the records they computed (ids, rep names), and
// the ones that are not counts say how their records make them.
TEST_F(Explain, ComputedKpisListTheRecordsTheyCounted) {
  auto l = metric("win_loss");
  ratio_kpi(l, "assisted_share", {}, {1, 3, 8});  // no activity has an assisting rep

  auto c = metric("sales_cycle");
  // Ann's median cycle (70 days) is not over 1.25 x her team's (69): no rep is flagged.
  count_kpi(c, "reps_flagged", {});
  EXPECT_EQ(ids(c, "mean_cycle_days"), (Ids{1, 3, 8}));

  auto p = metric("pipeline");
  count_kpi(p, "deals_at_risk", {});  // 4 and 7 are open at the end, neither overdue nor stalled

  auto s = metric("stage_conversion");
  count_kpi(s, "deals_without_history", {2, 3, 4, 7, 8, 9});  // the fixture has no stage history
  count_kpi(s, "deals_skipping_stages", {});

  auto a = metric("activity");
  // One call in Q1, to Acme (account 1), whose deal 1 was won in Q1.
  ratio_kpi(a, "call_close_rate", {1}, {1});
  EXPECT_DOUBLE_EQ(*kpi(a, "call_close_rate").value, 1.0);
  count_kpi(a, "reps_below_minimum", {});

  auto k = metric("collateral_usage");
  ratio_kpi(k, "win_rate_with_collateral", {3}, {3});  // item 1 was used on deal 3
  ratio_kpi(k, "win_rate_without_collateral", {1, 8}, {1, 2, 8, 9});
  EXPECT_DOUBLE_EQ(*kpi(k, "win_rate_without_collateral").value, 0.5);

  auto f = metric("forecast");
  EXPECT_EQ(ids(f, "commit_forecast"), (Ids{1, 3, 8}));  // no open deal has a commit category
}

// Sums, means, medians: the records' `value` column makes the KPI.
TEST_F(Explain, AggregatedKpisListTheValueTheyAddUp) {
  auto backend = store::open_backend(f.db_path());
  auto explained = [&](const std::string& plugin, const std::string& kpi) {
    run::RunResult r;
    r.period_from = "2025-01-01";
    r.period_to = "2025-04-01";
    r.metrics.push_back(metric(plugin));
    plugins::Registry registry(std::vector<std::string>{});
    return run::explain(r, plugin, kpi, "", registry, *backend, {});
  };
  auto values = [](const run::RecordList& list) {
    std::vector<double> out;
    const auto at = std::find(list.columns.begin(), list.columns.end(), "value") - list.columns.begin();
    EXPECT_LT(static_cast<size_t>(at), list.columns.size()) << "no value column";
    for (const auto& row : list.rows) {
      const Value& v = row.at(static_cast<size_t>(at));
      out.push_back(std::holds_alternative<double>(v) ? std::get<double>(v)
                                                      : static_cast<double>(std::get<int64_t>(v)));
    }
    return out;
  };
  auto near = [](const std::vector<double>& got, const std::vector<double>& want) {
    if (got.size() != want.size()) return false;
    for (size_t i = 0; i < got.size(); ++i)
      if (std::fabs(got[i] - want[i]) > 1e-9) return false;
    return true;
  };

  // Cycles of the won deals 1, 3 and 8: 70, 57.625 and 69 days.
  auto mean = explained("sales_cycle", "mean_cycle_days");
  EXPECT_EQ(mean.records.aggregate, "mean");
  EXPECT_TRUE(near(values(mean.records), {70.0, 57.625, 69.0}));
  EXPECT_NEAR(*mean.kpi.value, (70.0 + 57.625 + 69.0) / 3, 1e-9);
  EXPECT_EQ(explained("sales_cycle", "median_cycle_days").records.aggregate, "median");

  // Team attainment: the won amounts (100 + 300, deal 8 unknown) over the quotas (1000 + 300).
  auto team = explained("quota_attainment", "team_attainment");
  EXPECT_EQ(team.records.aggregate, "sum");
  ASSERT_TRUE(team.denominator.has_value());
  EXPECT_EQ(team.denominator->aggregate, "sum");
  EXPECT_TRUE(near(values(*team.denominator), {1000.0, 300.0}));
  EXPECT_NEAR(*team.kpi.value, 400.0 / 1300.0, 1e-12);

  // Logged hours: 120 + 60 minutes.
  auto hours = explained("time_allocation", "logged_hours");
  EXPECT_EQ(hours.records.aggregate, "sum");
  EXPECT_TRUE(near(values(hours.records), {2.0, 1.0}));

  // Starting ARR: 12 x (100 + 200) from the events before Q1.
  auto arr = explained("arr", "starting_arr");
  EXPECT_TRUE(near(values(arr.records), {1200.0, 2400.0}));
  EXPECT_DOUBLE_EQ(*arr.kpi.value, 3600.0);

  auto json = run::explanation_json(hours);
  EXPECT_EQ(json["aggregate"], "sum");
  EXPECT_EQ(json["records"][0]["value"], 2.0);
  EXPECT_NE(run::explanation_text(hours, "USD").find("(the KPI is the sum of their `value`):"),
            std::string::npos);
}

// The KPIs a plugin weights, projects or divides per rep, per day or per
// month, worked out by hand on the fixture (Q1 2025; the quotas, 1000 + 300,
// are the revenue target; won in Q1: 100 + 300, deal 8 unknown).
TEST_F(Explain, WeightedProjectedAndPerUnitKpisListTheRecordsThatMakeThem) {
  auto backend = store::open_backend(f.db_path());
  auto explained = [&](const std::string& plugin, const std::string& kpi, const std::string& row = "") {
    run::RunResult r;
    r.period_from = "2025-01-01";
    r.period_to = "2025-04-01";
    r.metrics.push_back(metric(plugin));
    plugins::Registry registry(std::vector<std::string>{});
    return run::explain(r, plugin, kpi, row, registry, *backend, {});
  };
  // id -> value of a list of records.
  auto values = [](const run::RecordList& list) {
    std::map<int64_t, double> out;
    const auto id = std::find(list.columns.begin(), list.columns.end(), "id") - list.columns.begin();
    const auto at = std::find(list.columns.begin(), list.columns.end(), "value") - list.columns.begin();
    EXPECT_LT(static_cast<size_t>(at), list.columns.size()) << "no value column";
    for (const auto& row : list.rows) {
      const Value& v = row.at(static_cast<size_t>(at));
      if (std::holds_alternative<std::monostate>(v)) continue;  // no value (an unknown amount)
      out[std::get<int64_t>(row.at(static_cast<size_t>(id)))] =
          std::holds_alternative<double>(v) ? std::get<double>(v) : static_cast<double>(std::get<int64_t>(v));
    }
    return out;
  };
  auto target = [](const run::RecordList& list) { return std::get<double>(list.constants.at("target")); };
  using Values = std::map<int64_t, double>;

  // Weighted pipeline: deal 4 is open in Proposal (0.5 x 400); deal 7, won since, has no stage
  // history covering the end: under "(no stage)", unweighted.
  auto w = explained("pipeline", "weighted_pipeline");
  EXPECT_EQ(w.records.aggregate, "sum");
  EXPECT_EQ(values(w.records), (Values{{4, 200.0}, {7, 0.0}}));
  EXPECT_DOUBLE_EQ(*w.kpi.value, 200.0);
  EXPECT_EQ(values(explained("pipeline", "by_stage", "Proposal").records), (Values{{4, 200.0}}));
  EXPECT_EQ(ids(metric("pipeline"), "by_stage", "(no stage)"), (Ids{7}));

  // Deals needed: ceil((1300 - 400) / 200) = 5; the won deals against the target, over the
  // won deals with an amount (the average deal).
  for (const char* plugin : {"pipeline", "forecast"}) {
    auto n = explained(plugin, "deals_needed");
    EXPECT_EQ(n.records.aggregate, "gap") << plugin;
    EXPECT_EQ(target(n.records), 1300.0) << plugin;
    EXPECT_EQ(values(n.records), (Values{{1, 100.0}, {3, 300.0}})) << plugin;  // and 8, unknown
    EXPECT_EQ(n.records.rows.size(), 3u) << plugin;
    ASSERT_TRUE(n.denominator.has_value()) << plugin;
    EXPECT_EQ(n.denominator->aggregate, "mean") << plugin;
    EXPECT_EQ(values(*n.denominator), (Values{{1, 100.0}, {3, 300.0}})) << plugin;
    EXPECT_DOUBLE_EQ(*n.kpi.value, 5.0) << plugin;
  }
  auto needed_row = metric("pipeline");
  EXPECT_EQ(ids(needed_row, "deals_needed", "quotas table, 2025-01-01 to 2025-03-31, sum of 2 reps"),
            (Ids{1, 3, 8}));

  // The forecast's target is the two quota rows; the gap, 1300 - 400.
  auto t = explained("forecast", "forecast_target");
  EXPECT_EQ(t.records.dataset, "quotas");
  EXPECT_EQ(values(t.records), (Values{{1, 1000.0}, {2, 300.0}}));
  auto gap = explained("forecast", "gap_to_target");
  EXPECT_EQ(gap.records.aggregate, "gap");
  EXPECT_DOUBLE_EQ(*gap.kpi.value, 900.0);
  // Leads needed: the lead window (2024) has lead 4, not won: each lead worth 0.
  auto leads = explained("forecast", "leads_needed");
  ASSERT_TRUE(leads.denominator.has_value());
  EXPECT_EQ(values(*leads.denominator), (Values{{4, 0.0}}));
  EXPECT_FALSE(leads.kpi.value.has_value());  // no lead converted: n/a

  // Velocity: 2 open deals x 3/5 x 200 / mean cycle (70 + 57.625 + 69) / 3 days, shared equally.
  const double per_deal = 0.6 * 200.0 / ((70.0 + 57.625 + 69.0) / 3.0);
  auto v = explained("sales_velocity", "sales_velocity");
  EXPECT_EQ(v.records.aggregate, "sum");
  EXPECT_EQ(values(v.records).size(), 2u);
  EXPECT_NEAR(values(v.records)[4], per_deal, 1e-9);
  EXPECT_NEAR(*v.kpi.value, 2 * per_deal, 1e-9);

  // Activities per rep per working day: 2 activities in Q1 over the roster (Ann, Bob, Cid) x 64
  // working days.
  auto a = explained("activity", "activities_per_rep_per_day");
  ASSERT_TRUE(a.denominator.has_value());
  EXPECT_EQ(a.records.rows.size(), 2u);
  EXPECT_EQ(values(*a.denominator), (Values{{1, 64.0}, {2, 64.0}, {3, 64.0}}));
  EXPECT_NEAR(*a.kpi.value, 2.0 / (3 * 64), 1e-12);

  // Conversations per customer per month: Acme's call over 3 customers x 3 months.
  auto c = explained("account_health", "conversations_per_customer_month");
  EXPECT_EQ(c.records.rows.size(), 1u);
  ASSERT_TRUE(c.denominator.has_value());
  EXPECT_EQ(values(*c.denominator), (Values{{1, 3.0}, {2, 3.0}, {3, 3.0}}));
  count_kpi(metric("account_health"), "active_users", {});  // no usage rows

  // Territories: EMEA (Ann, Bob; deal 7, 700) and NA (Cid; deal 4, 400), each listed as its
  // first rep; pipeline per rep 350 and 400, median 375, neither flagged.
  auto tb = metric("territory_balance");
  count_kpi(tb, "regions", {1, 3});
  count_kpi(tb, "regions_flagged", {});
  auto median = explained("territory_balance", "median_pipeline_per_rep");
  EXPECT_EQ(median.records.aggregate, "median");
  EXPECT_EQ(values(median.records), (Values{{1, 350.0}, {3, 400.0}}));
  EXPECT_DOUBLE_EQ(*median.kpi.value, 375.0);
}

TEST_F(Explain, ReportFiltersApplyToTheRecords) {
  auto m = f.run_metric("win_loss", span("2025-01-01", "2025-04-01", "none", "", "region: [NA]"));
  ASSERT_TRUE(m.ok) << m.error;
  count_kpi(m, "lost_deals", {9});
}

TEST_F(Explain, CommandPrintsFormulaAndRecordsAndRefusesWhatItCannotAnswer) {
  std::string config =
      f.dir().write("q1.yaml", "title: Q1\ndata: " + f.db_path() +
                                   "\nperiod: {from: 2025-01-01, to: 2025-04-01}\n"
                                   "metrics:\n  - use: win_loss\n    as: losses\n  - use: pipeline\n");
  auto json = run_tally("explain '" + config + "' --metric losses --kpi win_rate --format json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto doc = nlohmann::json::parse(json.out);
  EXPECT_EQ(doc["formula"], "won / (won + lost) among deals closed in the period");
  EXPECT_EQ(doc["record_count"], 3);
  ASSERT_EQ(doc["records"].size(), 3u);
  EXPECT_EQ(doc["records"][0]["id"], 1);
  EXPECT_EQ(doc["records"][0]["name"], "Deal 1");
  EXPECT_EQ(doc["records"][0]["amount"], 100);
  EXPECT_EQ(doc["records"][0]["closed_at"], "2025-01-10");
  EXPECT_EQ(doc["records"][2]["amount"], nullptr);  // deal 8 has no amount
  EXPECT_EQ(doc["denominator"]["record_count"], 5);
  EXPECT_DOUBLE_EQ(doc["value"].get<double>(), 0.6);

  auto text = run_tally("explain '" + config + "' --metric losses --kpi lost_deals --row Price");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("formula: count of deals lost"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("1 record(s) from opportunities"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Deal 2"), std::string::npos) << text.out;

  auto unknown_metric = run_tally("explain '" + config + "' --metric lossez --kpi win_rate");
  EXPECT_EQ(unknown_metric.exit_code, 2);
  EXPECT_NE(unknown_metric.err.find("did you mean 'losses'?"), std::string::npos) << unknown_metric.err;
  auto unknown_kpi = run_tally("explain '" + config + "' --metric losses --kpi win_rat");
  EXPECT_EQ(unknown_kpi.exit_code, 2);
  EXPECT_NE(unknown_kpi.err.find("did you mean 'win_rate'?"), std::string::npos) << unknown_kpi.err;
  // A projection states its target beside the won deals: (target - won) / average deal.
  auto needed = run_tally("explain '" + config + "' --metric pipeline --kpi deals_needed");
  EXPECT_EQ(needed.exit_code, 0) << needed.err;
  EXPECT_NE(needed.out.find("(constant) target = 1300"), std::string::npos) << needed.out;
  // --all: every KPI and row with records, from one run.
  auto all = run_tally("explain '" + config + "' --metric losses --all --format json");
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_GT(nlohmann::json::parse(all.out).size(), 5u);
  // A table's row, as the dashboard opens it: the by_reason table's Price row.
  auto table =
      run_tally("explain '" + config + "' --metric losses --table by_reason --row Price --format json");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  auto row = nlohmann::json::parse(table.out);
  EXPECT_EQ(row["kpi"], "by_reason");
  EXPECT_EQ(row["row"], "Price");
  EXPECT_EQ(row["record_count"], 1);
  EXPECT_EQ(row["records"][0]["id"], 2);
  EXPECT_EQ(row["value"], nullptr);
  auto no_row = run_tally("explain '" + config + "' --metric losses --table by_reason --row Prize");
  EXPECT_EQ(no_row.exit_code, 2);
  EXPECT_NE(no_row.err.find("table 'by_reason' of metric 'losses' has no row 'Prize'; its rows: "),
            std::string::npos)
      << no_row.err;
  auto neither = run_tally("explain '" + config + "' --metric losses");
  EXPECT_EQ(neither.exit_code, 2);
  EXPECT_NE(neither.err.find("give --kpi KPI"), std::string::npos) << neither.err;

  auto bad_row = run_tally("explain '" + config + "' --metric losses --kpi lost_deals --row Prize");
  EXPECT_EQ(bad_row.exit_code, 2);
  EXPECT_NE(bad_row.err.find("has no row 'Prize'; its rows: "), std::string::npos) << bad_row.err;
  EXPECT_NE(bad_row.err.find("Price"), std::string::npos) << bad_row.err;
}
