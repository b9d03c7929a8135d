// Tests for `tally demo`: determinism, realistic shape, internal consistency
// and the error paths of the demo company generator.
#include "demo/demo.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "store/backend.hpp"

namespace fs = std::filesystem;
using tally::demo::DemoOptions;
using tally::demo::DemoSummary;

namespace {

const std::vector<std::string> kDataTables = {"teams",           "reps",
                                              "accounts",        "contacts",
                                              "products",        "stages",
                                              "leads",           "opportunities",
                                              "stage_history",   "activities",
                                              "collateral",      "collateral_usage",
                                              "subscriptions",   "subscription_events",
                                              "quotas",          "targets",
                                              "time_entries",    "product_usage",
                                              "support_tickets", "metadata"};

// FNV-1a over every value of every row, in primary-key order.
uint64_t table_checksum(SQLite::Database& db, const std::string& table) {
  SQLite::Statement q(db, "SELECT * FROM " + table + " ORDER BY 1");
  uint64_t hash = 1469598103934665603ULL;
  auto mix = [&](const std::string& text) {
    for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ULL;
    hash = (hash ^ 0x1f) * 1099511628211ULL;  // column separator
  };
  while (q.executeStep())
    for (int i = 0; i < q.getColumnCount(); ++i)
      mix(q.getColumn(i).isNull() ? "\x01NULL" : q.getColumn(i).getString());
  return hash;
}

double scalar(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement q(db, sql);
  if (!q.executeStep() || q.getColumn(0).isNull()) return 0;
  return q.getColumn(0).getDouble();
}

std::set<std::string> distinct(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement q(db, sql);
  std::set<std::string> out;
  while (q.executeStep()) out.insert(q.getColumn(0).getString());
  return out;
}

class DemoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("tally_demo_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    DemoOptions opts;
    opts.db_path = (dir_ / "first.db").string();
    first_ = tally::demo::generate(opts);
    opts.db_path = (dir_ / "second.db").string();
    second_ = tally::demo::generate(opts);
  }
  static void TearDownTestSuite() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  static SQLite::Database open(const std::string& name) { return SQLite::Database((dir_ / name).string()); }

  static fs::path dir_;
  static DemoSummary first_, second_;
};
fs::path DemoTest::dir_;
DemoSummary DemoTest::first_, DemoTest::second_;

TEST_F(DemoTest, SameSeedGivesIdenticalTables) {
  SQLite::Database a = open("first.db"), b = open("second.db");
  for (const auto& table : kDataTables) {
    EXPECT_EQ(scalar(a, "SELECT count(*) FROM " + table), scalar(b, "SELECT count(*) FROM " + table))
        << table;
    EXPECT_EQ(table_checksum(a, table), table_checksum(b, table)) << table;
  }
  EXPECT_EQ(first_.opportunities, second_.opportunities);
  EXPECT_EQ(first_.activities, second_.activities);
}

TEST_F(DemoTest, DifferentSeedGivesDifferentData) {
  DemoOptions opts;
  opts.db_path = (dir_ / "other_seed.db").string();
  opts.seed = 7;
  tally::demo::generate(opts);
  SQLite::Database a = open("first.db"), c = open("other_seed.db");
  EXPECT_NE(table_checksum(a, "opportunities"), table_checksum(c, "opportunities"));
  EXPECT_NE(table_checksum(a, "activities"), table_checksum(c, "activities"));
  EXPECT_EQ(distinct(c, "SELECT value FROM metadata WHERE key = 'demo_seed'"), std::set<std::string>{"7"});
}

TEST_F(DemoTest, SummaryMatchesTheTables) {
  SQLite::Database db = open("first.db");
  EXPECT_EQ(first_.reps, scalar(db, "SELECT count(*) FROM reps"));
  EXPECT_EQ(first_.teams, scalar(db, "SELECT count(*) FROM teams"));
  EXPECT_EQ(first_.opportunities, scalar(db, "SELECT count(*) FROM opportunities"));
  EXPECT_EQ(first_.stage_history, scalar(db, "SELECT count(*) FROM stage_history"));
  EXPECT_EQ(first_.activities, scalar(db, "SELECT count(*) FROM activities"));
  EXPECT_EQ(first_.subscription_events, scalar(db, "SELECT count(*) FROM subscription_events"));
  EXPECT_EQ(first_.product_usage, scalar(db, "SELECT count(*) FROM product_usage"));
  EXPECT_GT(first_.seconds, 0);
}

// The planner needs row counts per index to start joins from the few closed
// deals rather than the millions of activities; the demo ships them.
TEST_F(DemoTest, StoreHasPlannerStatistics) {
  SQLite::Database db = open("first.db");
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM sqlite_stat1 WHERE idx = 'opportunities_closed'"), 1);
  EXPECT_EQ(
      scalar(db, "SELECT CAST(stat AS INTEGER) FROM sqlite_stat1 WHERE idx = 'stage_history_opportunity'"),
      first_.stage_history);
}

TEST_F(DemoTest, CompanyHasTheExpectedShape) {
  SQLite::Database db = open("first.db");
  for (const auto& table : kDataTables) EXPECT_GT(scalar(db, "SELECT count(*) FROM " + table), 0) << table;
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM teams"), 6);
  EXPECT_NEAR(scalar(db, "SELECT count(*) FROM reps"), 40, 5);
  EXPECT_EQ(scalar(db, "SELECT count(DISTINCT region) FROM teams"), 3);
  EXPECT_EQ(
      scalar(db, "SELECT count(*) FROM teams t JOIN reps r ON r.id = t.manager_id AND r.role = 'manager'"),
      6);
  EXPECT_GE(scalar(db, "SELECT count(*) FROM reps WHERE role = 'sdr'"), 2);
  EXPECT_GE(scalar(db, "SELECT count(*) FROM reps WHERE hired_at >= '2024-01-01'"), 1);
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM stages"), 7);
  EXPECT_NEAR(scalar(db, "SELECT count(*) FROM accounts"), 1500, 200);
  EXPECT_NEAR(scalar(db, "SELECT count(*) FROM leads"), 20000, 2000);
  EXPECT_NEAR(scalar(db, "SELECT count(*) FROM opportunities"), 9000, 1500);
  EXPECT_NEAR(scalar(db, "SELECT count(*) FROM activities"), 100000, 20000);

  const double win_rate =
      scalar(db, "SELECT avg(status = 'won') FROM opportunities WHERE status IN ('won', 'lost')");
  EXPECT_GE(win_rate, 0.20);
  EXPECT_LE(win_rate, 0.35);
  const double selling = scalar(db,
                                "SELECT sum(CASE WHEN category = 'selling' THEN minutes END) / sum(minutes) "
                                "FROM time_entries t JOIN reps r ON r.id = t.rep_id WHERE r.role = 'rep'");
  EXPECT_GE(selling, 0.33);
  EXPECT_LE(selling, 0.45);
}

TEST_F(DemoTest, VocabulariesAreTheSchemas) {
  SQLite::Database db = open("first.db");
  using S = std::set<std::string>;
  EXPECT_EQ(distinct(db, "SELECT DISTINCT type FROM opportunities"),
            (S{"new_business", "renewal", "expansion"}));
  EXPECT_EQ(distinct(db, "SELECT DISTINCT status FROM opportunities"), (S{"open", "won", "lost"}));
  EXPECT_EQ(distinct(db, "SELECT DISTINCT forecast_category FROM opportunities"),
            (S{"pipeline", "best_case", "commit", "closed", "omitted"}));
  EXPECT_EQ(distinct(db, "SELECT DISTINCT segment FROM accounts"), (S{"smb", "mid_market", "enterprise"}));
  EXPECT_EQ(distinct(db, "SELECT DISTINCT type FROM activities"),
            (S{"call", "email", "reply", "conversation", "meeting", "demo", "proposal", "referral_request",
               "social"}));
  EXPECT_EQ(distinct(db, "SELECT DISTINCT type FROM subscription_events"),
            (S{"new", "expansion", "contraction", "churn", "reactivation"}));
  EXPECT_EQ(distinct(db, "SELECT DISTINCT category FROM time_entries"),
            (S{"selling", "prospecting", "presenting", "data_entry", "admin", "internal_meetings", "travel",
               "training", "prep"}));
  EXPECT_EQ(distinct(db, "SELECT DISTINCT role FROM reps"), (S{"rep", "manager", "sdr"}));
  EXPECT_EQ(distinct(db, "SELECT DISTINCT kpi FROM targets"),
            (S{"revenue", "revenue_new_business", "win_rate", "new_opportunities"}));
  EXPECT_EQ(distinct(db, "SELECT DISTINCT stage FROM stage_history"),
            distinct(db, "SELECT name FROM stages"));
  EXPECT_EQ(distinct(db, "SELECT key FROM metadata"),
            (S{"demo_seed", "demo_scale", "demo_start", "demo_end", "generator_version"}));
  EXPECT_EQ(distinct(db, "SELECT value FROM metadata WHERE key = 'demo_end'"), S{"2026-01-01"});
}

TEST_F(DemoTest, RowsAreConsistent) {
  SQLite::Database db = open("first.db");
  auto none = [&](const std::string& sql) { EXPECT_EQ(scalar(db, sql), 0) << sql; };
  none("SELECT count(*) FROM stage_history WHERE opportunity_id NOT IN (SELECT id FROM opportunities)");
  none(
      "SELECT count(*) FROM activities WHERE opportunity_id IS NOT NULL AND opportunity_id NOT IN "
      "(SELECT id FROM opportunities)");
  // Converted leads and their deals point at each other.
  none(
      "SELECT count(*) FROM leads l LEFT JOIN opportunities o ON o.id = l.opportunity_id "
      "WHERE l.opportunity_id IS NOT NULL AND (o.id IS NULL OR o.lead_id IS NOT l.id)");
  none(
      "SELECT count(*) FROM opportunities o LEFT JOIN leads l ON l.id = o.lead_id "
      "WHERE o.lead_id IS NOT NULL AND (l.id IS NULL OR l.opportunity_id IS NOT o.id)");
  none("SELECT count(*) FROM opportunities WHERE amount IS NULL OR amount < 0");
  none("SELECT count(*) FROM quotas WHERE amount <= 0 OR period_end <= period_start");
  none("SELECT count(*) FROM opportunities WHERE closed_at < created_at");
  none("SELECT count(*) FROM opportunities WHERE (status = 'open') <> (closed_at IS NULL)");
  none("SELECT count(*) FROM opportunities WHERE closed_at >= '2026-01-01' OR created_at >= '2026-01-01'");
  none("SELECT count(*) FROM activities WHERE occurred_at < '2024-01-01' OR occurred_at >= '2026-01-01'");
  none("SELECT count(*) FROM stage_history WHERE exited_at < entered_at");
  // Within a deal, stages are entered in order and each one ends when the next begins.
  none(
      "SELECT count(*) FROM stage_history a JOIN stage_history b ON b.opportunity_id = a.opportunity_id "
      "AND b.id = a.id + 1 WHERE b.entered_at < a.entered_at OR a.exited_at IS NULL OR a.exited_at <> "
      "b.entered_at");
  none(
      "SELECT count(*) FROM stage_history WHERE exited_at IS NULL AND id NOT IN "
      "(SELECT max(id) FROM stage_history GROUP BY opportunity_id)");
  none(
      "SELECT count(*) FROM opportunities o WHERE EXISTS (SELECT 1 FROM stage_history h WHERE "
      "h.opportunity_id = "
      "o.id) AND o.stage <> (SELECT stage FROM stage_history h WHERE h.opportunity_id = o.id ORDER BY id "
      "DESC LIMIT 1)");
  none(
      "SELECT count(*) FROM leads WHERE first_response_at < created_at OR mql_at < created_at OR sal_at < "
      "mql_at "
      "OR sql_at < sal_at OR converted_at < sql_at OR (converted_at IS NOT NULL) <> (opportunity_id IS NOT "
      "NULL)");
  // A subscription's MRR is the sum of its events, to the cent; churned ones are at 0 with an end date.
  none(
      "SELECT count(*) FROM subscriptions s WHERE abs(s.mrr - (SELECT sum(mrr_delta) FROM "
      "subscription_events e "
      "WHERE e.subscription_id = s.id)) > 0.005");
  none("SELECT count(*) FROM subscriptions WHERE (ended_at IS NOT NULL) <> (mrr = 0)");
  none("SELECT count(*) FROM subscription_events WHERE type = 'churn' AND reason IS NULL");
  none("SELECT count(*) FROM opportunities WHERE status = 'lost' AND loss_reason IS NULL");
  none("SELECT count(*) FROM time_entries WHERE minutes <= 0 OR strftime('%w', day) IN ('0', '6')");
}

TEST_F(DemoTest, EveryKpiHasItsEdgeCases) {
  SQLite::Database db = open("first.db");
  auto some = [&](const std::string& sql) { EXPECT_GT(scalar(db, sql), 0) << sql; };
  some(
      "SELECT count(DISTINCT o.id) FROM opportunities o JOIN activities a ON a.opportunity_id = o.id "
      "WHERE o.status = 'won' AND a.assisting_rep_id IS NOT NULL");
  some("SELECT count(*) FROM opportunities WHERE id NOT IN (SELECT opportunity_id FROM stage_history)");
  some("SELECT count(*) FROM opportunities WHERE status = 'open' AND expected_close_at < '2026-01-01'");
  some("SELECT count(*) FROM opportunities WHERE status = 'open' AND probability IS NOT NULL");
  some("SELECT count(*) FROM opportunities WHERE status = 'lost' AND competitor IS NOT NULL");
  some("SELECT count(*) FROM collateral WHERE id NOT IN (SELECT collateral_id FROM collateral_usage)");
  some("SELECT count(*) FROM leads WHERE disqualified_at IS NOT NULL");
  some("SELECT count(*) FROM leads WHERE (julianday(first_response_at) - julianday(created_at)) * 1440 <= 5");
  some("SELECT count(*) FROM subscriptions WHERE started_at < '2024-01-01'");  // a starting ARR base
  // Deals skipping a stage: a won deal that never entered one of the middle stages.
  some(
      "SELECT count(*) FROM opportunities o WHERE status = 'won' AND EXISTS (SELECT 1 FROM stage_history h "
      "WHERE "
      "h.opportunity_id = o.id) AND (SELECT count(*) FROM stage_history h WHERE h.opportunity_id = o.id) < 6 "
      "AND type = 'new_business'");
  // Quota attainment spreads around 100%.
  const double in_band =
      scalar(db,
             "WITH a AS (SELECT q.amount, (SELECT coalesce(sum(o.amount), 0) FROM opportunities o "
             "WHERE o.owner_id = q.rep_id AND o.status = 'won' AND o.closed_at >= q.period_start "
             "AND o.closed_at < q.period_end) AS won FROM quotas q WHERE q.rep_id IS NOT NULL "
             "AND q.period_end <= '2026-01-01') SELECT avg(won / amount BETWEEN 0.6 AND 1.3) FROM a");
  EXPECT_GT(in_band, 0.6);
  // Monthly logo churn in 2025 is in the 1-3% band.
  const double churned =
      scalar(db,
             "SELECT count(*) FROM subscription_events WHERE type = 'churn' AND occurred_at >= "
             "'2025-01-01' AND occurred_at < '2026-01-01'");
  const double active =
      scalar(db,
             "SELECT count(*) FROM subscriptions WHERE started_at < '2025-01-01' AND (ended_at IS "
             "NULL OR ended_at >= '2025-01-01')");
  EXPECT_GT(churned / active / 12, 0.01);
  EXPECT_LT(churned / active / 12, 0.03);
}

TEST_F(DemoTest, ReplacesAnExistingFileAndLeavesNoTemporaryFiles) {
  const fs::path target = dir_ / "replaced.db";
  std::ofstream(target) << "not a database";
  DemoOptions opts;
  opts.db_path = target.string();
  tally::demo::generate(opts);
  SQLite::Database db(target.string());
  EXPECT_GT(scalar(db, "SELECT count(*) FROM opportunities"), 0);
  for (const auto& entry : fs::directory_iterator(dir_))
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
}

TEST(DemoErrors, MissingDirectoryNamesTheDirectory) {
  const std::string dir = (fs::temp_directory_path() / "tally_no_such_dir_for_demo").string();
  DemoOptions opts;
  opts.db_path = dir + "/demo.db";
  try {
    tally::demo::generate(opts);
    FAIL() << "expected a StoreError";
  } catch (const tally::store::StoreError& e) {
    EXPECT_NE(std::string(e.what()).find(dir), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir));
}

TEST(DemoErrors, ScaleBelowOneIsRefusedBeforeWriting) {
  const fs::path target =
      fs::temp_directory_path() / ("tally_demo_scale0_" + std::to_string(::getpid()) + ".db");
  DemoOptions opts;
  opts.db_path = target.string();
  opts.scale = 0;
  EXPECT_THROW(tally::demo::generate(opts), std::invalid_argument);
  EXPECT_FALSE(fs::exists(target));
}

}  // namespace
