// Issue 11, run side: what the host says about the data a run rests on, and
// what the dataset layer completes for every plugin. Values worked out by hand.
//   - the latest import feeding a table the metrics read had rejects: a run warning;
//   - the period lies outside the data's dates (the stale cron report): a run warning;
//   - the lead-to-deal link counts from either side;
//   - subscriptions without events stand in with derived events (snapshot churn).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <thread>

#include "run/compare_data.hpp"
#include "run/data_checks.hpp"
#include "store/backend.hpp"
#include "support/command.hpp"
#include "support/fixture.hpp"

using namespace tally;
using namespace tally::testing;

namespace {

std::string config(const StoreFixture& f, const std::string& period, const std::string& metrics,
                   const std::string& as_of = "2026-01-01") {
  return "title: t\ndata: " + f.db_path() + "\nas_of: " + as_of + "\nperiod: " + period +
         "\nmetrics: " + metrics + "\n";
}

bool mentions(const std::vector<std::string>& lines, const std::string& part) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.find(part) != l.npos; });
}

std::string all(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += "\n  " + l;
  return out;
}

// Four deals won in Q1 2025 (created in January, closed by 2025-03-20).
void seed_deals(const StoreFixture& f) {
  f.exec(
      "INSERT INTO opportunities(id,amount,status,created_at,closed_at) VALUES"
      " (1,100,'won','2025-01-02','2025-02-01'),(2,200,'won','2025-01-03','2025-03-20'),"
      " (3,300,'lost','2025-01-04','2025-03-01'),(4,400,'open','2025-01-05',NULL)");
}

// Imports: an old clean one of opportunities, the latest of opportunities
// (with accounts) rejecting 4,511 of 8,800 rows, and one of leads.
void seed_imports(const StoreFixture& f) {
  f.exec(
      "INSERT INTO imports(id,started_at,finished_at,files,tables,mapping_sha256,rows_read,inserted,updated,"
      "rejected) VALUES"
      " (1,'2026-01-04 09:00:00','2026-01-04 "
      "09:01:00','[\"old.csv\"]','[\"opportunities\"]','a',100,100,0,0),"
      " (2,'2026-01-05 10:00:00','2026-01-05 10:02:00','[\"/tmp/in/deals.csv\"]',"
      "'[\"accounts\",\"opportunities\"]','b',8800,4289,0,4511),"
      " (3,'2026-01-06 08:00:00','2026-01-06 08:00:30','[\"leads.csv\"]','[\"leads\"]','c',10,7,0,3)");
}

}  // namespace

TEST(RunDataChecks, LatestImportWithRejectsOfATableReadIsAWarning) {
  StoreFixture f;
  seed_deals(f);
  seed_imports(f);
  auto r = f.run_config(config(f, "{from: 2025-01-01, to: 2025-04-01}", "[{use: win_rate}]"));
  ASSERT_TRUE(r.all_ok());
  EXPECT_TRUE(
      mentions(r.warnings,
               "the last import of opportunities (deals.csv, 2026-01-05 10:02:00 UTC) rejected 4,511 of "
               "8,800 rows: figures rest on the rows kept"))
      << all(r.warnings);
  // win_rate reads no leads: the leads import is not its business.
  EXPECT_FALSE(mentions(r.warnings, "leads")) << all(r.warnings);

  // lead_funnel reads leads (and deals through them): the leads import is named too.
  auto funnel = f.run_config(config(f, "{from: 2025-01-01, to: 2025-04-01}", "[{use: lead_funnel}]"));
  EXPECT_TRUE(mentions(funnel.warnings,
                       "the last import of leads (leads.csv, 2026-01-06 08:00:30 UTC) rejected "
                       "3 of 10 rows"))
      << all(funnel.warnings);

  // A later clean import of opportunities decides for it: no warning any more.
  f.exec(
      "INSERT INTO "
      "imports(started_at,finished_at,files,tables,mapping_sha256,rows_read,inserted,updated,rejected)"
      " VALUES ('2026-01-07 10:00:00','2026-01-07 10:05:00','[\"deals.csv\"]','[\"opportunities\"]','d',8800,"
      "4511,4289,0)");
  auto clean = f.run_config(config(f, "{from: 2025-01-01, to: 2025-04-01}", "[{use: win_rate}]"));
  EXPECT_FALSE(mentions(clean.warnings, "import")) << all(clean.warnings);
}

TEST(RunDataChecks, NoImportsNoWarning) {
  StoreFixture f;
  seed_deals(f);
  auto r = f.run_config(config(f, "{from: 2025-01-01, to: 2025-04-01}", "[{use: win_rate}]", "2025-03-21"));
  EXPECT_TRUE(r.warnings.empty()) << all(r.warnings);
}

TEST(RunDataChecks, PeriodAfterTheDataIsTheStaleCronReport) {
  StoreFixture f;
  seed_deals(f);
  // The data's last day is 2025-03-20 (deal 2 closed).
  auto after = f.run_config(config(f, "{last: quarter}", "[{use: win_rate}]", "2025-07-15"));
  EXPECT_TRUE(mentions(after.warnings,
                       "no data after 2025-03-20; the period 1 Apr 2025 – 30 Jun 2025 (inclusive) "
                       "starts after it: its figures are empty, not zero"))
      << all(after.warnings);

  // The period runs past the data: its figures stop at the data's last day.
  auto partial =
      f.run_config(config(f, "{from: 2025-01-01, to: 2025-07-01}", "[{use: win_rate}]", "2025-07-15"));
  EXPECT_TRUE(mentions(partial.warnings,
                       "no data after 2025-03-20; the period 1 Jan 2025 – 30 Jun 2025 "
                       "(inclusive) runs to 30 Jun 2025: its figures stop at 20 Mar 2025"))
      << all(partial.warnings);

  // While the period runs, only the days before as_of count: data to yesterday is current.
  auto running =
      f.run_config(config(f, "{from: 2025-01-01, to: 2025-07-01}", "[{use: win_rate}]", "2025-03-21"));
  EXPECT_FALSE(mentions(running.warnings, "no data")) << all(running.warnings);
  auto lagging =
      f.run_config(config(f, "{from: 2025-01-01, to: 2025-07-01}", "[{use: win_rate}]", "2025-03-23"));
  EXPECT_TRUE(mentions(lagging.warnings, "runs to 22 Mar 2025: its figures stop at 20 Mar 2025"))
      << all(lagging.warnings);

  // A period that ends before the first day (2025-01-02).
  auto before = f.run_config(config(f, "{from: 2024-01-01, to: 2025-01-01}", "[{use: win_rate}]"));
  EXPECT_TRUE(mentions(before.warnings,
                       "no data before 2025-01-02; the period 1 Jan 2024 – 31 Dec 2024 "
                       "(inclusive) ends before it"))
      << all(before.warnings);
}

// With metrics running side by side, a worker out of metrics reads the date
// ranges of the datasets already queried (sales cycle's opportunities, lead
// funnel's leads) while the others run: the warning is the same, once.
TEST(RunDataChecks, DatesReadBesideTheMetricsGiveTheSameWarning) {
  StoreFixture f;
  seed_deals(f);
  f.exec("INSERT INTO leads(id,created_at) VALUES (1,'2025-01-01 09:00:00')");
  const std::string metrics = "[{use: win_rate}, {use: lead_funnel}, {use: win_rate, as: win_rate_again}]";
  for (unsigned jobs : {1u, 2u, 3u}) {
    auto r = f.run_config(config(f, "{last: quarter}", metrics, "2025-07-15"), jobs);
    const std::string expected =
        "no data after 2025-03-20; the period 1 Apr 2025 – 30 Jun 2025 (inclusive) starts after it";
    EXPECT_EQ(std::count_if(r.warnings.begin(), r.warnings.end(),
                            [&](const std::string& w) { return w.find(expected) != w.npos; }),
              1)
        << jobs << " jobs:" << all(r.warnings);
    auto early = f.run_config(config(f, "{from: 2024-01-01, to: 2025-01-01}", metrics), jobs);
    EXPECT_TRUE(mentions(early.warnings, "no data before 2025-01-01; the period 1 Jan 2024"))
        << jobs << " jobs:" << all(early.warnings);
  }
}

TEST(RunDataChecks, PeriodWarningRules) {
  // Inside the data: nothing.
  EXPECT_FALSE(run::period_warning("2025-01-01", "2025-04-01", "2026-01-01", "2024-01-01", "2025-12-31"));
  // The data ends on the period's last day: nothing.
  EXPECT_FALSE(run::period_warning("2025-01-01", "2025-04-01", "2026-01-01", "2024-01-01", "2025-03-31"));
  // Ends the day before: warned.
  EXPECT_TRUE(run::period_warning("2025-01-01", "2025-04-01", "2026-01-01", "2024-01-01", "2025-03-30"));
  // Starts on the data's last day: not after it.
  EXPECT_FALSE(run::period_warning("2025-03-31", "2025-04-01", "2026-01-01", "2024-01-01", "2025-03-31"));
  // A period starting inside the data is not flagged at its start (history starts somewhere).
  EXPECT_FALSE(run::period_warning("2023-01-01", "2025-04-01", "2026-01-01", "2024-01-01", "2025-12-31"));
}

TEST(RunDataChecks, StaleWarningReachesStderrAndJson) {
  StoreFixture f;
  seed_deals(f);
  const std::string path = f.dir().write(
      "stale.yaml", config(f, "{from: 2026-01-01, to: 2026-04-01}", "[{use: win_rate}]", "2026-04-02"));
  auto r = run_tally("run " + path + " --format json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("no data after 2025-03-20"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("\"warnings\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("no data after 2025-03-20"), std::string::npos) << r.out;
  auto md = run_tally("run " + path + " --format markdown");
  EXPECT_NE(md.out.find("no data after 2025-03-20"), std::string::npos) << md.out;
}

// Leads 1-4 created in Q1 2025. Lead 1 names its won deal 10; deal 11 (won)
// names lead 2; deal 12 (open) names lead 3; lead 4 has no deal. Opportunity
// step: 3 leads; customers: 2 (leads 1 and 2); lead -> customer 2/4.
TEST(RunDataChecks, LeadToDealLinkCountsFromEitherSide) {
  StoreFixture f;
  f.exec(
      "INSERT INTO opportunities(id,lead_id,amount,status,created_at,closed_at) VALUES"
      " (10,NULL,100,'won','2025-01-10','2025-02-01'),(11,2,200,'won','2025-01-11','2025-02-02'),"
      " (12,3,300,'open','2025-01-12',NULL);"
      "INSERT INTO leads(id,created_at,opportunity_id) VALUES"
      " (1,'2025-01-01',10),(2,'2025-01-02',NULL),(3,'2025-01-03',NULL),(4,'2025-01-04',NULL)");
  auto m = f.run_metric("lead_funnel", span("2025-01-01", "2025-04-01"));
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "customers").value, 2);
  EXPECT_DOUBLE_EQ(*kpi(m, "lead_to_customer").value, 0.5);
  const auto& t = table(m, "funnel");
  EXPECT_DOUBLE_EQ(number(t, row(t, "step", "opportunity"), "leads"), 3);
  EXPECT_DOUBLE_EQ(number(t, row(t, "step", "customer"), "leads"), 2);
}

// Q1 2025. Subscriptions without events: s1 (account 1, 100/month since
// 2024-06-01), s2 (account 2, 50, 2024-03-01 to 2025-02-15), s3 (account 3,
// 30, new on 2025-01-10). s4 (account 4) has real events: new 80 on
// 2024-01-01, contraction -20 on 2024-07-01, churn -60 on 2025-03-01; its
// row (mrr 80, ended 2025-03-01) must not add derived events.
// MRR at start: 100 + 50 + 60 = 210. Churned in Q1: 50 + 60 = 110.
// Gross revenue churn 110 / 210; NRR (210 - 110) / 210; logo churn 2 / 3.
// ARR: start 2,520, new 360, churned 1,320, end 1,560.
void seed_snapshot(const StoreFixture& f) {
  f.exec(
      "INSERT INTO accounts(id,name) VALUES (1,'A'),(2,'B'),(3,'C'),(4,'D');"
      "INSERT INTO subscriptions(id,account_id,started_at,ended_at,mrr) VALUES"
      " (1,1,'2024-06-01',NULL,100),(2,2,'2024-03-01','2025-02-15',50),(3,3,'2025-01-10',NULL,30),"
      " (4,4,'2024-01-01','2025-03-01',80);"
      "INSERT INTO subscription_events(subscription_id,account_id,type,occurred_at,mrr_delta) VALUES"
      " (4,4,'new','2024-01-01',80),(4,4,'contraction','2024-07-01',-20),(4,4,'churn','2025-03-01',-60)");
}

TEST(RunDataChecks, SubscriptionsWithoutEventsGiveRevenueChurn) {
  StoreFixture f;
  seed_snapshot(f);
  auto churn = f.run_metric("churn", span("2025-01-01", "2025-04-01"));
  ASSERT_TRUE(churn.ok) << churn.error;
  EXPECT_NEAR(*kpi(churn, "churned_mrr").value, 110, 1e-9);
  EXPECT_NEAR(*kpi(churn, "gross_revenue_churn").value, 110.0 / 210.0, 1e-9);
  EXPECT_NEAR(*kpi(churn, "net_revenue_retention").value, 100.0 / 210.0, 1e-9);
  EXPECT_NEAR(*kpi(churn, "logo_churn_rate").value, 2.0 / 3.0, 1e-9);
  EXPECT_TRUE(std::find(churn.notes.begin(), churn.notes.end(),
                        "3 subscriptions have no events: their starts count as new events with their MRR, "
                        "their ends as churn") != churn.notes.end());

  auto arr = f.run_metric("arr", span("2025-01-01", "2025-04-01"));
  ASSERT_TRUE(arr.ok) << arr.error;
  EXPECT_NEAR(*kpi(arr, "starting_arr").value, 2520, 1e-9);
  EXPECT_NEAR(*kpi(arr, "new_arr").value, 360, 1e-9);
  EXPECT_NEAR(*kpi(arr, "churned_arr").value, 1320, 1e-9);
  EXPECT_NEAR(*kpi(arr, "ending_arr").value, 1560, 1e-9);
}

TEST(RunDataChecks, RealEventsEverywhereDeriveNothing) {
  StoreFixture f;
  f.exec(
      "INSERT INTO accounts(id,name) VALUES (1,'A');"
      "INSERT INTO subscriptions(id,account_id,started_at,ended_at,mrr) VALUES "
      "(1,1,'2024-01-01','2025-02-01',10);"
      "INSERT INTO subscription_events(subscription_id,account_id,type,occurred_at,mrr_delta) VALUES"
      " (1,1,'new','2024-01-01',10),(1,1,'churn','2025-02-01',-10)");
  auto arr = f.run_metric("arr", span("2025-01-01", "2025-04-01"));
  ASSERT_TRUE(arr.ok) << arr.error;
  EXPECT_NEAR(*kpi(arr, "starting_arr").value, 120, 1e-9);
  EXPECT_NEAR(*kpi(arr, "churned_arr").value, 120, 1e-9);
  EXPECT_TRUE(arr.notes.empty());
}

// Deals 1-4 default to USD; two more in EUR and one in lower-case gbp. Tally
// does not convert, so a USD report says which deals it sums as dollars; a
// EUR report says the same of the USD ones.
TEST(RunDataChecks, DealsInAnotherCurrencyThanTheReportsAreAWarning) {
  StoreFixture f;
  seed_deals(f);
  const std::string period = "{from: 2025-01-01, to: 2025-04-01}";
  const std::string usd_only = f.dir().write("usd.yaml", config(f, period, "[{use: avg_deal_size}]"));
  auto clean = run_tally("run " + usd_only + " --format json");
  EXPECT_EQ(clean.exit_code, 0) << clean.err;
  EXPECT_EQ(clean.err.find("currency"), std::string::npos) << clean.err;

  f.exec(
      "INSERT INTO opportunities(id,amount,currency,status,created_at,closed_at) VALUES"
      " (5,500,'EUR','won','2025-01-06','2025-02-02'),(6,600,'EUR','open','2025-01-07',NULL),"
      " (7,700,'gbp','won','2025-01-08','2025-02-03')");
  auto mixed = run_tally("run " + usd_only + " --format json");
  EXPECT_EQ(mixed.exit_code, 0) << mixed.err;
  const std::string expected =
      "3 of 7 deals are in another currency than the report's USD (EUR 2, GBP 1): Tally does not convert, "
      "so their amounts count as USD";
  EXPECT_NE(mixed.err.find(expected), std::string::npos) << mixed.err;
  EXPECT_NE(mixed.out.find(expected), std::string::npos) << mixed.out;

  // A metric that reads no deal amounts gets no such warning.
  const std::string leads_only = f.dir().write("leads.yaml", config(f, period, "[{use: lead_response}]"));
  auto leads = run_tally("run " + leads_only);
  EXPECT_EQ(leads.err.find("currency"), std::string::npos) << leads.err;

  const std::string eur =
      f.dir().write("eur.yaml", "currency: EUR\n" + config(f, period, "[{use: avg_deal_size}]"));
  auto in_eur = run_tally("run " + eur);
  EXPECT_NE(in_eur.err.find("5 of 7 deals are in another currency than the report's EUR (USD 4, GBP 1)"),
            std::string::npos)
      << in_eur.err;
}

namespace {

// Counts the queries a check sends to the store.
class CountingConnection : public store::Connection {
 public:
  explicit CountingConnection(store::Connection& inner) : inner_(inner) {}
  std::unique_ptr<store::Cursor> execute(const query::CompiledQuery& q) override {
    ++queries;
    return inner_.execute(q);
  }
  int queries = 0;

 private:
  store::Connection& inner_;
};

}  // namespace

// A run without filters reads each dataset's dates once: the comparison's
// "no data" check and the period warning share the query. A run with filters
// reads the comparison's ranges under them (they may differ from the store's).
TEST(RunDataChecks, DatasetDatesAreReadOncePerRun) {
  StoreFixture f;
  seed_deals(f);
  f.exec(
      "INSERT INTO reps(id,name,region) VALUES (1,'Ann','EMEA'),(2,'Bob','NA');"
      "UPDATE opportunities SET owner_id = CASE WHEN id = 1 THEN 1 ELSE 2 END");
  auto backend = store::open_backend(f.db_path());
  auto connection = backend->connect();
  CountingConnection counted(*connection);

  query::Scope whole;
  run::DatasetDates dates;
  run::DataRanges ranges(whole, dates);
  auto range = ranges.range("opportunities", counted, backend->dialect());
  ASSERT_TRUE(range);
  EXPECT_EQ(range->first, "2025-01-02");
  EXPECT_EQ(range->second, "2025-01-05");  // created_at's own range, not the closing dates
  EXPECT_EQ(counted.queries, 1);
  auto span = dates.span({"opportunities"}, counted, backend->dialect());
  ASSERT_TRUE(span);
  EXPECT_EQ(span->first, "2025-01-02");
  EXPECT_EQ(span->second, "2025-03-20");  // the last closing date ends the span
  EXPECT_EQ(counted.queries, 1) << "the period warning read the dates again";
  EXPECT_FALSE(ranges.range("reps", counted, backend->dialect()));  // no time: no query
  EXPECT_EQ(counted.queries, 1);

  query::Scope filtered;
  filtered.filters["region"] = {"EMEA"};
  run::DataRanges emea(filtered, dates);
  auto emea_range = emea.range("opportunities", counted, backend->dialect());
  ASSERT_TRUE(emea_range);
  EXPECT_EQ(emea_range->first, "2025-01-02");
  EXPECT_EQ(emea_range->second, "2025-01-02");  // Ann's one deal
  EXPECT_EQ(counted.queries, 2);
}

namespace {

// A connection whose first query waits until the test lets it go on.
class HeldConnection : public store::Connection {
 public:
  explicit HeldConnection(store::Connection& inner) : inner_(inner) {}
  std::unique_ptr<store::Cursor> execute(const query::CompiledQuery& q) override {
    entered.set_value();
    release.get_future().wait();
    return inner_.execute(q);
  }
  std::promise<void> entered, release;

 private:
  store::Connection& inner_;
};

}  // namespace

// The reader beside the metrics and a metric's no-data check may ask for the
// same dataset at once: the second waits for the first's scan, sends none.
TEST(RunDataChecks, DatesAskedForAtOnceAreReadOnce) {
  StoreFixture f;
  seed_deals(f);
  auto backend = store::open_backend(f.db_path());
  auto first_connection = backend->connect();
  auto second_connection = backend->connect();
  HeldConnection held(*first_connection);
  CountingConnection counted(*second_connection);
  run::DatasetDates dates;

  std::thread first([&] { dates.read({"opportunities"}, held, backend->dialect()); });
  held.entered.get_future().wait();  // the first read is under way
  std::promise<void> second_started;
  std::optional<std::pair<std::string, std::string>> second_range;
  std::thread second([&] {
    second_started.set_value();
    second_range = dates.own_range("opportunities", counted, backend->dialect());
  });
  second_started.get_future().wait();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // room to send a query of its own
  held.release.set_value();
  first.join();
  second.join();
  EXPECT_EQ(counted.queries, 0);
  ASSERT_TRUE(second_range);
  EXPECT_EQ(second_range->first, "2025-01-02");
  EXPECT_EQ(second_range->second, "2025-01-05");
}
