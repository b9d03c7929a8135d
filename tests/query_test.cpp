// The query layer end to end: expressions compiled for SQLite and run through
// the real backend on a small store whose answers are worked out by hand,
// plus the PostgreSQL/ClickHouse SQL text and every error a plugin can meet.
#include "query/query.hpp"
#include "query/internal.hpp"  // make_clickhouse_dialect(database)

#include <SQLiteCpp/Database.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "store/backend.hpp"
#include "store/schema.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "util/date.hpp"

namespace tally {
namespace {

namespace fs = std::filesystem;
using query::QueryBuilder;
using query::QueryError;
using query::Scope;
using query::Which;
using Rows = std::vector<std::vector<Value>>;

// Three reps in two teams, two accounts, four deals with amounts 1000..4000.
constexpr const char* kSeed = R"SQL(
INSERT INTO teams (id, name, region, manager_id) VALUES (1, 'East', 'NA', 10), (2, 'West', 'EMEA', 10);
INSERT INTO reps (id, name, team_id, manager_id, region, hired_at) VALUES
  (10, 'Mia', 1, NULL, 'NA', '2018-01-01'),
  (1, 'Ann', 1, 10, 'NA', '2020-01-01'),
  (2, 'Bob', 2, 10, 'EMEA', '2021-06-01');
INSERT INTO accounts (id, name, industry, segment, region, owner_id, created_at) VALUES
  (1, 'Acme', 'tech', 'enterprise', 'US', 1, '2019-01-01'),
  (2, 'Beta', 'retail', 'smb', 'DE', 2, '2020-01-01');
INSERT INTO products (id, name) VALUES (1, 'Core'), (2, 'Addon');
INSERT INTO stages (id, name, position, probability, is_closed, is_won) VALUES
  (1, 'prospect', 1, 0.1, 0, 0), (2, 'proposal', 2, 0.5, 0, 0),
  (3, 'won', 3, 1.0, 1, 1), (4, 'lost', 4, 0, 1, 0);
INSERT INTO opportunities (id, account_id, owner_id, product_id, amount, source, stage, probability, status,
                           created_at, closed_at) VALUES
  (1, 1, 1, 1, 1000, 'web', 'won', NULL, 'won', '2025-01-10 09:00:00', '2025-02-10 09:00:00'),
  (2, 1, 1, 2, 2000, 'referral', 'lost', NULL, 'lost', '2025-01-15', '2025-03-01 12:00:00'),
  (3, 2, 2, 1, 3000, 'web', 'won', NULL, 'won', '2025-02-01', '2025-04-01 00:00:00'),
  (4, 2, 2, 1, 4000, 'web', 'proposal', 0.8, 'open', '2025-03-31 23:59:59', NULL);
INSERT INTO leads (id, owner_id, account_id, source, industry, region, created_at) VALUES
  (1, 1, 1, 'web', 'tech', 'APAC', '2025-01-05'), (2, 2, NULL, 'event', 'retail', 'APAC', '2025-01-06');
INSERT INTO subscriptions (id, account_id, product_id, started_at, mrr) VALUES (1, 2, 2, '2024-01-01', 50);
INSERT INTO subscription_events (id, subscription_id, account_id, type, occurred_at, mrr_delta) VALUES
  (1, 1, 2, 'new', '2024-01-01', 50);
INSERT INTO quotas (id, rep_id, team_id, period_start, period_end, amount) VALUES
  (1, 1, NULL, '2025-01-01', '2025-04-01', 5000), (2, NULL, 2, '2025-01-01', '2025-04-01', 9000);
)SQL";

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "tally_query_test_XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (fs::path(path_) / name).string(); }

 private:
  std::string path_;
};

double number(const Value& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  if (auto* d = std::get_if<double>(&v)) return *d;
  ADD_FAILURE() << "not a number";
  return 0;
}

std::string text(const Value& v) {
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  ADD_FAILURE() << "not text";
  return "";
}

// Runs `body` and returns the QueryError's message ("" when nothing was thrown).
template <typename Body>
std::string query_error(Body&& body) {
  try {
    body();
  } catch (const QueryError& e) {
    return e.what();
  }
  return "";
}

class QueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.file("store.db");
    {
      SQLite::Database db = store::open_for_writing(path_, true);
      db.exec(kSeed);
    }
    backend_ = store::open_backend(path_);
    connection_ = backend_->connect();
    scope_.period_from = "2025-01-01";
    scope_.period_to = "2025-04-01";
  }

  Rows run(const QueryBuilder& q, const Scope& scope) {
    const auto compiled = q.compile(backend_->dialect(), scope);
    auto cursor = connection_->execute(compiled);
    EXPECT_EQ(cursor->column_count(), compiled.columns.size());
    Rows rows;
    while (cursor->next()) {
      std::vector<Value> row;
      for (size_t i = 0; i < cursor->column_count(); ++i) row.push_back(cursor->get(i));
      rows.push_back(std::move(row));
    }
    return rows;
  }
  Rows run(const QueryBuilder& q) { return run(q, scope_); }

  // The value of one scalar expression (evaluated on a single stage row).
  Value scalar(const std::string& expr, const Scope& scope) {
    QueryBuilder q("stages");
    q.select("v", expr);
    q.where("id = 1");
    const Rows rows = run(q, scope);
    EXPECT_EQ(rows.size(), 1u);
    return rows.empty() ? Value{} : rows[0][0];
  }
  Value scalar(const std::string& expr) { return scalar(expr, scope_); }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<store::Backend> backend_;
  std::unique_ptr<store::Connection> connection_;
  Scope scope_;
};

TEST_F(QueryTest, GroupsByDimensionsThroughJoins) {
  QueryBuilder q("opportunities");
  q.group_by("team", "team");
  q.group_by("manager", "manager");
  q.group_by("region", "region");
  q.group_by("rep", "rep");
  q.select("deals", "count(*)");
  q.select("amount", "sum(amount)");
  const Rows rows = run(q);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (std::vector<Value>{"East", "Mia", "NA", "Ann", int64_t{2}, 3000.0}));
  EXPECT_EQ(rows[1], (std::vector<Value>{"West", "Mia", "EMEA", "Bob", int64_t{2}, 7000.0}));
}

TEST_F(QueryTest, ResultColumnsAreGroupsThenSelects) {
  QueryBuilder q("opportunities");
  q.select("n", "count(*)");
  q.group_by("segment", "segment");
  q.select("products", "count_distinct(product)");
  const auto compiled = q.compile(backend_->dialect(), scope_);
  EXPECT_EQ(compiled.columns, (std::vector<std::string>{"segment", "n", "products"}));
  const Rows rows = run(q);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (std::vector<Value>{"enterprise", int64_t{2}, int64_t{2}}));
  EXPECT_EQ(rows[1], (std::vector<Value>{"smb", int64_t{2}, int64_t{1}}));
}

TEST_F(QueryTest, OrderByAndLimit) {
  QueryBuilder q("opportunities");
  q.group_by("product", "product");
  q.select("amount", "sum(amount)");
  q.order_by("amount", true);
  q.limit(1);
  const Rows rows = run(q);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (std::vector<Value>{"Core", 8000.0}));
}

// A filter list of 100k values is ONE parameter (a JSON array), not 100k:
// SQLite's variable limit is 32766. Each dialect spells the expansion.
// A constant group is one group, not a column position (the expression
// fuzzer's `GROUP BY 0`: "1st GROUP BY term out of range" on SQLite; later
// `GROUP BY (-(-(-1)))`: SQLite reads signs and parentheses around an integer
// as that integer too).
TEST_F(QueryTest, ConstantGroupsAreNotColumnPositions) {
  for (const char* constant :
       {"0", "1", "-2", "7 - 7", "-(-(-1))", "-(-2)", "(((3)))", "-true", "-(-(-true))", "--true"}) {
    SCOPED_TRACE(constant);
    QueryBuilder q("opportunities");
    q.group_by("g", constant);
    q.select("n", "count(*)");
    const Rows rows = run(q, scope_);
    ASSERT_EQ(rows.size(), 1u);
    for (const auto& dialect : {query::make_postgres_dialect(), query::make_clickhouse_dialect()})
      EXPECT_EQ(q.compile(*dialect, scope_).sql.find(std::string("GROUP BY ") + constant + " "),
                std::string::npos);
  }
}

TEST_F(QueryTest, LongFilterListsAreOneParameter) {
  Scope scope = scope_;
  std::vector<std::string> regions;
  for (int i = 0; i < 100000; ++i) regions.push_back("R" + std::to_string(i));
  regions[77777] = "EMEA";
  scope.filters["region"] = regions;
  QueryBuilder q("opportunities");
  q.select("n", "count(*)");
  q.select("amount", "sum(amount)");
  const auto compiled = q.compile(backend_->dialect(), scope);
  EXPECT_EQ(compiled.params.size(), 1u);  // the list
  EXPECT_NE(compiled.sql.find("IN (SELECT value FROM json_each(?))"), std::string::npos) << compiled.sql;
  EXPECT_LT(compiled.sql.size(), 2000u);
  EXPECT_EQ(run(q, scope), (Rows{{int64_t{2}, 7000.0}}));  // the same as region: [EMEA]

  // 64 values stay one placeholder each; 65 become the list.
  scope.filters["region"] = std::vector<std::string>(regions.begin() + 77714, regions.begin() + 77778);
  EXPECT_EQ(q.compile(backend_->dialect(), scope).params.size(), 64u);
  EXPECT_EQ(run(q, scope), (Rows{{int64_t{2}, 7000.0}}));
  scope.filters["region"] = std::vector<std::string>(regions.begin() + 77713, regions.begin() + 77778);
  EXPECT_EQ(q.compile(backend_->dialect(), scope).params.size(), 1u);
  EXPECT_EQ(run(q, scope), (Rows{{int64_t{2}, 7000.0}}));

  scope.filters["region"] = regions;
  const auto pg = q.compile(*query::make_postgres_dialect(), scope);
  EXPECT_NE(pg.sql.find("= ANY(ARRAY(SELECT json_array_elements_text(CAST($1 AS json))))"), std::string::npos)
      << pg.sql;
  // ClickHouse inlines values (no parameter limit) and 18.16 has no JSONExtract: one IN list.
  const auto ch = q.compile(*query::make_clickhouse_dialect(), scope);
  EXPECT_NE(ch.sql.find("j_owner__region IN (?, ?"), std::string::npos) << ch.sql.substr(0, 300);
  EXPECT_EQ(pg.params.size(), 1u);
  EXPECT_EQ(ch.params.size(), regions.size());
}

// A plugin's drill-down names the records it computed: `id in (...)` with
// any number of literals. Past kMaxInlineValues they are ONE parameter (a
// JSON array, compared as integers), so 45,000 ids fit where SQLite allows
// 32766 variables; `not in`, text and negative numbers too.
TEST_F(QueryTest, LongInListsOfLiteralsAreOneParameter) {
  {
    SQLite::Database db = store::open_for_writing(path_, false);
    db.exec(
        "WITH RECURSIVE n(i) AS (SELECT 100 UNION ALL SELECT i + 1 FROM n WHERE i < 41099) "
        "INSERT INTO opportunities (id, account_id, owner_id, amount, status, created_at) "
        "SELECT i, 1, 1, 1, 'open', '2025-01-20' FROM n");
  }
  std::string ids;
  for (int i = 1; i <= 45000; ++i) ids += (i > 1 ? ", " : "") + std::to_string(i);
  QueryBuilder q("opportunities");
  q.select("n", "count(*)");
  q.where("id in (" + ids + ")");
  const auto compiled = q.compile(backend_->dialect(), scope_);
  EXPECT_EQ(compiled.params.size(), 1u);
  EXPECT_LT(compiled.sql.size(), 2000u);
  EXPECT_EQ(run(q), (Rows{{int64_t{41004}}}));  // the seed's 4 and the 41,000 added

  QueryBuilder outside("opportunities");
  outside.select("n", "count(*)");
  outside.where("id not in (" + ids + ")");
  EXPECT_EQ(run(outside), (Rows{{int64_t{0}}}));

  // Text and negative numbers; a list with an expression in it stays item by item.
  std::string names = "'Ann'", numbers = "-5", mixed = "id";
  for (int i = 0; i < 100; ++i) {
    names += ", 'nobody" + std::to_string(i) + "'";
    numbers += ", " + std::to_string(-i) + ", " + std::to_string(i + 2) + ".5";
    mixed += ", " + std::to_string(i + 200000);
  }
  QueryBuilder by_name("reps");
  by_name.select("n", "count(*)");
  by_name.where("name in (" + names + ")");
  EXPECT_EQ(by_name.compile(backend_->dialect(), scope_).params.size(), 1u);
  EXPECT_EQ(run(by_name), (Rows{{int64_t{1}}}));
  QueryBuilder by_number("opportunities");
  by_number.select("n", "count(*)");
  by_number.where("id in (" + numbers + ", 1, 3)");  // reals and integers: compared as numbers
  EXPECT_EQ(run(by_number), (Rows{{int64_t{2}}}));
  QueryBuilder by_expression("opportunities");
  by_expression.select("n", "count(*)");
  by_expression.where("id in (" + mixed + ")");
  EXPECT_EQ(by_expression.compile(backend_->dialect(), scope_).params.size(), 100u);
  EXPECT_EQ(run(by_expression), (Rows{{int64_t{41004}}}));

  const auto pg = q.compile(*query::make_postgres_dialect(), scope_);
  EXPECT_NE(
      pg.sql.find("IN (SELECT CAST(v AS bigint) FROM json_array_elements_text(CAST($1 AS json)) AS j(v))"),
      std::string::npos)
      << pg.sql;
  EXPECT_EQ(pg.params.size(), 1u);
  const auto ch = q.compile(*query::make_clickhouse_dialect(), scope_);
  // ClickHouse 18.16 has no JSONExtract and no server-side parameters: the
  // values are inlined as literals by the client, one per item, however many.
  EXPECT_EQ(ch.sql.find("JSONExtract"), std::string::npos) << ch.sql.substr(0, 200);
  EXPECT_NE(ch.sql.find("`id` IN (?, ?"), std::string::npos) << ch.sql.substr(0, 200);
  EXPECT_EQ(ch.params.size(), 45000u);
}

// A drill-down's records keep the one value per record a KPI aggregates
// (select drilldown_sum / _mean / _median / _p90) under its alias, last.
TEST_F(QueryTest, RecordsQueryKeepsTheAggregatedValue) {
  QueryBuilder q("opportunities");
  q.where("status = 'won'");
  q.select("drilldown_sum", "amount / 1000");
  q.select("other", "count(*)");
  const auto records = q.records_query();
  const auto compiled = records.compile(backend_->dialect(), scope_);
  EXPECT_EQ(compiled.columns.front(), "id");
  EXPECT_EQ(compiled.columns.back(), "drilldown_sum");
  EXPECT_EQ(std::count(compiled.columns.begin(), compiled.columns.end(), "other"), 0);
  const Rows rows = run(records);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].back(), Value{1.0});
  EXPECT_EQ(rows[1].back(), Value{3.0});

  QueryBuilder bad("opportunities");
  bad.select("drilldown_mean", "avg(amount)");
  EXPECT_THROW(bad.records_query(), QueryError);
}

// A failed query names its SQL in at most ~300 characters.
TEST_F(QueryTest, FailedQueriesPrintAShortenedSql) {
  query::CompiledQuery bad;
  bad.sql = "SELECT no_such_column FROM opportunities WHERE " + std::string(5000, ' ') + "1 = 1";
  try {
    connection_->execute(bad);
    FAIL() << "the query ran";
  } catch (const store::StoreError& e) {
    const std::string text = e.what();
    EXPECT_LT(text.size(), 500u) << text;
    EXPECT_NE(text.find("more characters)"), std::string::npos) << text;
  }
}

TEST_F(QueryTest, ReportFiltersApplyToEveryQuery) {
  Scope scope = scope_;
  scope.filters["region"] = {"EMEA"};
  QueryBuilder q("opportunities");
  q.select("n", "count(*)");
  q.select("amount", "sum(amount)");
  EXPECT_EQ(run(q, scope), (Rows{{int64_t{2}, 7000.0}}));

  scope.filters["source"] = {"web", "referral"};
  scope.filters["segment"] = {"smb"};
  EXPECT_EQ(run(q, scope), (Rows{{int64_t{2}, 7000.0}}));
  scope.filters["region"] = {"NA", "EMEA"};
  scope.filters["segment"] = {};  // an empty allow-list lets nothing through
  EXPECT_EQ(run(q, scope), (Rows{{int64_t{0}, Value{}}}));

  // The filter is bound, and its join is added once even when a group needs it too.
  Scope by_team = scope_;
  by_team.filters["team"] = {"East"};
  QueryBuilder t("opportunities");
  t.group_by("team", "team");
  t.select("n", "count(*)");
  const auto compiled = t.compile(backend_->dialect(), by_team);
  EXPECT_EQ(compiled.sql.find("LEFT JOIN teams AS j_owner_team"),
            compiled.sql.rfind("LEFT JOIN teams AS j_owner_team"));
  EXPECT_EQ(compiled.sql.find("East"), std::string::npos);
  EXPECT_EQ(run(t, by_team), (Rows{{"East", int64_t{2}}}));
}

TEST_F(QueryTest, QuotaTeamFallsBackToTheRowsTeam) {
  QueryBuilder q("quotas");
  q.group_by("team", "team");
  q.select("quota", "sum(amount)");
  EXPECT_EQ(run(q), (Rows{{"East", 5000.0}, {"West", 9000.0}}));
}

TEST_F(QueryTest, ConditionalAggregates) {
  QueryBuilder q("opportunities");
  q.select("won", "count_if(status = 'won')");
  q.select("won_amount", "sum_if(amount, status = 'won')");
  q.select("avg_won", "avg_if(amount, status = 'won')");
  q.select("none", "sum_if(amount, status = 'nope')");  // 0, not NULL, when nothing matches
  q.select("closed", "count_if(status in ('won', 'lost'))");
  q.select("open", "count_if(closed_at is null)");
  q.select("weighted", "sum(amount * effective_probability)");
  EXPECT_EQ(
      run(q),
      (Rows{{int64_t{2}, 4000.0, 2000.0, int64_t{0}, int64_t{3}, int64_t{1}, 1000.0 + 3000.0 + 3200.0}}));
}

TEST_F(QueryTest, QuantileAndMedian) {
  QueryBuilder q("opportunities");
  q.select("median", "median(amount / 1000)");
  q.select("p90", "quantile(amount / 1000, 0.9)");
  q.select("p10", "quantile(amount, :level)");
  q.bind("level", 0.1);
  const Rows rows = run(q);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_DOUBLE_EQ(number(rows[0][0]), 2.5);
  EXPECT_DOUBLE_EQ(number(rows[0][1]), 3.7);
  EXPECT_DOUBLE_EQ(number(rows[0][2]), 1300.0);
}

TEST_F(QueryTest, DurationsBetweenTimestamps) {
  QueryBuilder q("opportunities");
  q.select("days", "days_between(created_at, closed_at)");
  q.select("hours", "hours_between(created_at, closed_at)");
  q.select("minutes", "minutes_between(created_at, closed_at)");
  q.where("id = 1");
  const Rows rows = run(q);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_NEAR(number(rows[0][0]), 31.0, 1e-6);
  EXPECT_NEAR(number(rows[0][1]), 744.0, 1e-4);
  EXPECT_NEAR(number(rows[0][2]), 44640.0, 1e-3);
  EXPECT_NEAR(number(scalar("days_between('2025-01-01', '2025-01-02 12:00:00')")), 1.5, 1e-9);
  EXPECT_TRUE(is_null(scalar("days_between('2025-01-01', null)")));
}

// SQLite's days_between is a registered function with its own parser for
// the store's timestamp forms; it must agree with julianday() on every form,
// and hand everything else to julianday().
TEST_F(QueryTest, DaysBetweenAgreesWithJulianday) {
  SQLite::Database db(path_, SQLite::OPEN_READONLY);
  store::register_functions(db);
  const std::vector<std::string> stamps = {"2025-01-01",
                                           "2024-02-29",
                                           "2024-12-31 23:59:59",
                                           "2025-03-01 00:00",
                                           "2025-06-04T10:30:00",
                                           "2025-06-04 10:30:00.5",
                                           "2025-06-04 10:30:00.123456",
                                           "1999-12-31 12:00:00",
                                           "2000-02-29 06:00:00",
                                           "2025-06-04 10:30:00Z",
                                           "2025-06-04 10:30:00+02:00",
                                           "2025-02-30",
                                           "2025-13-01",
                                           "2025-06-04 24:00:00",
                                           "yesterday",
                                           "",
                                           "2025-6-4",
                                           "2460000.5"};
  for (const auto& a : stamps) {
    for (const auto& b : stamps) {
      SQLite::Statement q(db, "SELECT tally_days_between(?1, ?2), julianday(?2) - julianday(?1)");
      q.bind(1, a);
      q.bind(2, b);
      ASSERT_TRUE(q.executeStep());
      SCOPED_TRACE(a + " -> " + b);
      ASSERT_EQ(q.getColumn(0).isNull(), q.getColumn(1).isNull());
      if (!q.getColumn(1).isNull()) {
        EXPECT_NEAR(q.getColumn(0).getDouble(), q.getColumn(1).getDouble(), 1e-8);
      }
    }
  }
  SQLite::Statement exact(db,
                          "SELECT tally_days_between('2025-01-01 00:00:00', '2025-01-02 12:00:00'), "
                          "tally_days_between(NULL, '2025-01-01'), tally_days_between(2460000.5, 2460001)");
  ASSERT_TRUE(exact.executeStep());
  EXPECT_EQ(exact.getColumn(0).getDouble(), 1.5);  // whole milliseconds, so exact
  EXPECT_TRUE(exact.getColumn(1).isNull());
  EXPECT_DOUBLE_EQ(exact.getColumn(2).getDouble(), 0.5);  // numbers are Julian day numbers, as in julianday()
}

TEST_F(QueryTest, BucketsAndDates) {
  EXPECT_EQ(scalar("bucket('day', '2025-06-04 10:00:00')"), Value{"2025-06-04"});
  EXPECT_EQ(scalar("bucket('month', '2025-02-28 13:00:00')"), Value{"2025-02-01"});
  EXPECT_EQ(scalar("date('2025-02-28 13:00:00')"), Value{"2025-02-28"});
  // 2025-06-01 is a Sunday: weeks start on Monday.
  EXPECT_EQ(scalar("bucket('week', '2025-06-04')"), Value{"2025-06-02"});
  EXPECT_EQ(scalar("bucket('week', '2025-06-02 08:00:00')"), Value{"2025-06-02"});
  EXPECT_EQ(scalar("bucket('week', '2025-06-01 23:59:59')"), Value{"2025-05-26"});
  EXPECT_EQ(scalar("bucket('quarter', '2025-05-20')"), Value{"2025-04-01"});
  EXPECT_EQ(scalar("bucket('year', '2025-07-04')"), Value{"2025-01-01"});

  Scope fiscal = scope_;
  fiscal.fiscal_year_start = 4;
  EXPECT_EQ(scalar("bucket('quarter', '2025-03-31 23:00:00')", fiscal), Value{"2025-01-01"});
  EXPECT_EQ(scalar("bucket('quarter', '2025-04-01')", fiscal), Value{"2025-04-01"});
  EXPECT_EQ(scalar("bucket('quarter', '2025-06-30')", fiscal), Value{"2025-04-01"});
  EXPECT_EQ(scalar("bucket('quarter', '2025-12-15')", fiscal), Value{"2025-10-01"});
  EXPECT_EQ(scalar("bucket('year', '2025-03-31')", fiscal), Value{"2024-04-01"});
  EXPECT_EQ(scalar("bucket('year', '2025-04-01')", fiscal), Value{"2025-04-01"});
  EXPECT_EQ(scalar("bucket('month', '2025-03-31')", fiscal), Value{"2025-03-01"});

  fiscal.fiscal_year_start = 13;
  EXPECT_NE(query_error([&] { scalar("bucket('year', '2025-03-31')", fiscal); }).find("fiscal_year_start"),
            std::string::npos);
}

// Every day of two years, every fiscal start: SQLite buckets agree with util/date.
TEST_F(QueryTest, BucketsAgreeWithCalendarMaths) {
  {
    SQLite::Database db(path_, SQLite::OPEN_READWRITE);
    SQLite::Transaction tx(db);
    SQLite::Statement insert(
        db, "INSERT INTO time_entries (rep_id, day, category, minutes) VALUES (1, ?, 'admin', 1)");
    for (Date d{2023, 12, 25}; d < Date{2026, 1, 8}; d = d.add_days(1)) {
      insert.bind(1, d.iso() + (d.day % 2 ? " 13:45:00" : ""));
      insert.exec();
      insert.reset();
    }
    tx.commit();
  }
  for (int fs = 1; fs <= 12; ++fs) {
    Scope scope = scope_;
    scope.fiscal_year_start = fs;
    QueryBuilder q("time_entries");
    q.select("day", "day");
    q.select("week", "bucket('week', day)");
    q.select("month", "bucket('month', day)");
    q.select("quarter", "bucket('quarter', day)");
    q.select("year", "bucket('year', day)");
    const Rows rows = run(q, scope);
    ASSERT_GT(rows.size(), 700u);
    for (const auto& row : rows) {
      const Date d = *Date::parse(text(row[0]));
      ASSERT_EQ(text(row[1]), week_start(d).iso()) << text(row[0]);
      ASSERT_EQ(text(row[2]), month_start(d).iso()) << text(row[0]);
      ASSERT_EQ(text(row[3]), quarter_start(d, fs).iso()) << text(row[0]) << " fiscal start " << fs;
      ASSERT_EQ(text(row[4]), year_start(d, fs).iso()) << text(row[0]) << " fiscal start " << fs;
    }
  }
}

TEST_F(QueryTest, InPeriodIsHalfOpen) {
  Scope scope = scope_;
  scope.period_from = "2025-02-10";
  scope.period_to = "2025-04-01";
  QueryBuilder q("opportunities");
  q.select("ids", "sum(id)");
  q.where("in_period(closed_at)");
  // 1 closed on the first day (included); 3 closed at midnight of `to` (excluded).
  EXPECT_EQ(run(q, scope), (Rows{{int64_t{1 + 2}}}));

  QueryBuilder bounds("opportunities");
  bounds.select("ids", "sum(id)");
  bounds.where("created_at >= period_from and created_at < period_to");
  EXPECT_EQ(run(bounds, scope), (Rows{{int64_t{4}}}));
}

TEST_F(QueryTest, ComparePeriod) {
  Scope scope = scope_;
  scope.compare_from = "2025-04-01";
  scope.compare_to = "2025-07-01";
  QueryBuilder q("opportunities");
  q.select("won", "count_if(in_period(closed_at))");
  q.select("from", "min(period_from)");
  EXPECT_EQ(run(q, scope), (Rows{{int64_t{2}, "2025-01-01"}}));
  q.use_period(Which::Compare);
  EXPECT_EQ(run(q, scope), (Rows{{int64_t{1}, "2025-04-01"}}));

  const std::string message = query_error([&] { q.compile(backend_->dialect(), scope_); });
  EXPECT_NE(message.find("no comparison period"), std::string::npos) << message;
}

TEST_F(QueryTest, DivisionIsRealEverywhere) {
  EXPECT_EQ(scalar("3 / 2"), Value{1.5});
  EXPECT_EQ(scalar("position / 4"), Value{0.25});
  EXPECT_TRUE(is_null(scalar("1 / 0")));
  EXPECT_EQ(scalar("7 - 2 * 3"), Value{int64_t{1}});
  EXPECT_EQ(scalar("-(2 + 3) * 2"), Value{int64_t{-10}});

  QueryBuilder q("opportunities");
  q.select("win_rate", "count_if(status = 'won') / count_if(status in ('won', 'lost'))");
  const Rows rows = run(q);
  EXPECT_DOUBLE_EQ(number(rows.at(0).at(0)), 2.0 / 3.0);
}

TEST_F(QueryTest, ScalarFunctions) {
  EXPECT_EQ(scalar("coalesce(null, null, 'x')"), Value{"x"});
  EXPECT_EQ(scalar("if(position > 0, 'yes', 'no')"), Value{"yes"});
  EXPECT_TRUE(is_null(scalar("nullif(position, 1)")));
  EXPECT_EQ(scalar("abs(-4)"), Value{int64_t{4}});
  EXPECT_EQ(scalar("round(2.345, 2)"), Value{2.35});
  EXPECT_EQ(scalar("round(2.5)"), Value{3.0});
  EXPECT_EQ(scalar("lower('AbC')"), Value{"abc"});
  EXPECT_EQ(scalar("UPPER(name)"), Value{"PROSPECT"});
  EXPECT_EQ(scalar("least(3, 5)"), Value{int64_t{3}});
  EXPECT_EQ(scalar("greatest(3, 5)"), Value{int64_t{5}});
  EXPECT_EQ(scalar("true and not false"), Value{int64_t{1}});
  EXPECT_EQ(scalar("position not in (2, 3) AND name IS NOT NULL"), Value{int64_t{1}});
  EXPECT_EQ(scalar("'it''s'"), Value{"it's"});
  EXPECT_EQ(scalar("1.5e3"), Value{1500.0});
}

TEST_F(QueryTest, LiteralsAreBoundNeverSpliced) {
  const std::string evil = "'; DROP TABLE opportunities; --";
  QueryBuilder q("opportunities");
  q.select("echo", "min('''; DROP TABLE opportunities; --')");
  q.select("n", "count_if(name = '''; DROP TABLE opportunities; --' or source = :source)");
  q.bind("source", evil);
  const auto compiled = q.compile(backend_->dialect(), scope_);
  EXPECT_EQ(compiled.sql.find("DROP"), std::string::npos) << compiled.sql;
  EXPECT_EQ(compiled.params, (std::vector<Value>{evil, evil, evil}));
  EXPECT_EQ(run(q), (Rows{{evil, int64_t{0}}}));

  QueryBuilder count("opportunities");
  count.select("n", "count(*)");
  EXPECT_EQ(run(count), (Rows{{int64_t{4}}}));  // the table is still there
}

TEST_F(QueryTest, RelatedColumnsOfOtherDatasets) {
  QueryBuilder leads("leads");
  leads.group_by("region", "region");  // the owner's region, not the lead's own
  leads.select("lead_region", "min(lead_region)");
  leads.select("segment", "min(segment)");
  EXPECT_EQ(run(leads), (Rows{{"EMEA", "APAC", Value{}}, {"NA", "APAC", "enterprise"}}));

  QueryBuilder events("subscription_events");
  events.group_by("rep", "rep");
  events.group_by("product", "product");
  events.select("started", "min(subscription_started_at)");
  events.select("mrr", "sum(mrr_delta)");
  EXPECT_EQ(run(events), (Rows{{"Bob", "Addon", "2024-01-01", 50.0}}));
}

// Every dataset's columns and dimensions compile and run, and every schema
// column is reachable from its dataset.
TEST_F(QueryTest, EveryDatasetColumnAndDimensionRuns) {
  SQLite::Database db(path_, SQLite::OPEN_READONLY);
  for (const auto& info : query::datasets()) {
    std::set<std::string> names(info.columns.begin(), info.columns.end());
    names.insert(info.dimensions.begin(), info.dimensions.end());
    SQLite::Statement pragma(db, "SELECT name FROM pragma_table_info(?)");
    pragma.bind(1, info.table);
    int table_columns = 0;
    while (pragma.executeStep()) {
      std::string column = pragma.getColumn(0).getString();
      ++table_columns;
      if (column == "region" && (info.name == "leads" || info.name == "accounts"))
        column = (info.name == "leads" ? "lead_" : "account_") + column;
      EXPECT_TRUE(names.count(column)) << info.name << " lacks " << column;
    }
    EXPECT_GT(table_columns, 0) << info.table;

    QueryBuilder q(info.name);
    for (const auto& dim : info.dimensions) q.group_by("d_" + dim, dim);
    for (const auto& column : info.columns) q.select("c_" + column, "count(" + column + ")");
    EXPECT_NO_THROW(run(q)) << info.name;
  }
}

TEST_F(QueryTest, ConnectionsWorkFromSeveralThreads) {
  std::vector<std::thread> threads;
  std::vector<double> totals(4);
  for (size_t i = 0; i < totals.size(); ++i) {
    threads.emplace_back([&, i] {
      auto connection = backend_->connect();
      QueryBuilder q("opportunities");
      q.select("amount", "sum(amount)");
      auto cursor = connection->execute(q.compile(backend_->dialect(), scope_));
      if (cursor->next()) totals[i] = number(cursor->get(0));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(totals, std::vector<double>(4, 10000.0));
}

TEST_F(QueryTest, ConnectionsAreReadOnly) {
  store::Connection& c = *connection_;
  query::CompiledQuery write{"DELETE FROM opportunities", {}, {}};
  EXPECT_THROW(c.execute(write)->next(), store::StoreError);
}

// ---- errors a plugin author meets ----

TEST(QueryErrors, UnknownColumnNamesDatasetAndValidNames) {
  QueryBuilder q("opportunities");
  const std::string message = query_error([&] { q.select("x", "sum(amout)"); });
  EXPECT_NE(message.find("in expression \"sum(amout)\": unknown column 'amout' in dataset 'opportunities'"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("did you mean 'amount'?"), std::string::npos) << message;
  EXPECT_NE(message.find("at offset 4"), std::string::npos) << message;
  EXPECT_NE(message.find("valid: id, external_id, name"), std::string::npos) << message;
  EXPECT_NE(message.find("effective_probability"), std::string::npos) << message;
  EXPECT_NE(message.find("period_from"), std::string::npos) << message;
}

TEST(QueryErrors, UnknownFunctionAndWrongArity) {
  QueryBuilder q("opportunities");
  std::string message = query_error([&] { q.select("x", "summ(amount)"); });
  EXPECT_NE(message.find("unknown function 'summ' (did you mean 'sum'?) at offset 0; valid: count,"),
            std::string::npos)
      << message;
  message = query_error([&] { q.select("x", "sum(amount, 2)"); });
  EXPECT_NE(message.find("function 'sum' takes 1 argument, got 2 at offset 0"), std::string::npos) << message;
  message = query_error([&] { q.select("x", "sum(*)"); });
  EXPECT_NE(message.find("'*' is only allowed as count(*)"), std::string::npos) << message;
  message = query_error([&] { q.select("x", "bucket('fortnight', created_at)"); });
  EXPECT_NE(message.find("unknown bucket unit 'fortnight'"), std::string::npos) << message;
  message = query_error([&] { q.select("x", "bucket(:unit, created_at)"); });
  EXPECT_NE(message.find("must be a unit in quotes"), std::string::npos) << message;
  message = query_error([&] { q.select("x", "quantile(amount, 1.5)"); });
  EXPECT_NE(message.find("between 0 and 1"), std::string::npos) << message;
  message = query_error([&] { q.select("x", "sum(count(*))"); });
  EXPECT_NE(message.find("cannot contain another aggregate"), std::string::npos) << message;
  message = query_error([&] { q.where("count(*) > 1"); });
  EXPECT_NE(message.find("where() cannot use aggregate functions"), std::string::npos) << message;
}

TEST(QueryErrors, SyntaxErrorsGiveTheOffset) {
  QueryBuilder q("opportunities");
  EXPECT_EQ(query_error([&] { q.where("amount > > 5"); }),
            "in expression \"amount > > 5\": unexpected '>' at offset 9");
  EXPECT_EQ(query_error([&] { q.where("name = 'open"); }),
            "in expression \"name = 'open\": unterminated string (strings end with ') at offset 7");
  EXPECT_EQ(query_error([&] { q.where("(amount > 5"); }),
            "in expression \"(amount > 5\": expected ')', found the end at offset 11");
  EXPECT_EQ(query_error([&] { q.where("amount > 5; drop"); }),
            "in expression \"amount > 5; drop\": ';' is not allowed: an expression is not a statement at "
            "offset 10");
  EXPECT_EQ(query_error([&] { q.where("name = \"x\""); }),
            "in expression \"name = \"x\"\": double quotes are not allowed; write strings in single quotes "
            "at offset 7");
  EXPECT_EQ(query_error([&] { q.where(""); }), "in expression \"\": empty expression at offset 0");
  EXPECT_EQ(query_error([&] { q.where("amount is 5"); }),
            "in expression \"amount is 5\": expected 'null' after 'is' at offset 10");
  EXPECT_NE(
      query_error([&] { q.where(std::string(5000, '(') + "1" + std::string(5000, ')')); }).find("too deeply"),
      std::string::npos);
}

TEST(QueryErrors, UnboundParameter) {
  auto dialect = query::make_sqlite_dialect();
  QueryBuilder q("opportunities");
  q.select("n", "count_if(amount > :min_amount)");
  const std::string message = query_error([&] { q.compile(*dialect, Scope{}); });
  EXPECT_EQ(message,
            "in expression \"count_if(amount > :min_amount)\": parameter ':min_amount' is not bound; call "
            "bind(\"min_amount\", value) at offset 18");
  q.bind(":min_amount", int64_t{5});
  EXPECT_NO_THROW(q.compile(*dialect, Scope{}));
}

TEST(QueryErrors, FilterOnAMissingOrUnknownDimension) {
  auto dialect = query::make_sqlite_dialect();
  QueryBuilder q("subscription_events");
  q.select("n", "count(*)");
  Scope scope;
  scope.filters["source"] = {"web"};
  EXPECT_EQ(
      query_error([&] { q.compile(*dialect, scope); }),
      "filter on 'source' cannot apply to dataset 'subscription_events'; its dimensions: rep, team, manager, "
      "region, segment, industry, product");
  scope.filters = {{"territory", {"x"}}};
  EXPECT_EQ(
      query_error([&] { q.compile(*dialect, scope); }),
      "unknown dimension 'territory' in the report's filters; valid: rep, team, manager, region, segment, "
      "industry, source, product");
  QueryBuilder stages("stages");
  stages.select("n", "count(*)");
  // Reference tables describe facts; the report's filters narrow facts only.
  scope.filters = {{"rep", {"Ann"}}};
  auto compiled = stages.compile(*dialect, scope);
  EXPECT_TRUE(compiled.params.empty());
  EXPECT_EQ(compiled.sql.find("Ann"), std::string::npos);
}

TEST(QueryErrors, AliasesDatasetsAndOrder) {
  EXPECT_NE(query_error([] { QueryBuilder q("oportunities"); })
                .find("unknown dataset 'oportunities' (did you mean "
                      "'opportunities'?); valid: opportunities,"),
            std::string::npos);
  QueryBuilder q("opportunities");
  EXPECT_NE(query_error([&] { q.select("Won Deals", "count(*)"); }).find("must be a lower-case identifier"),
            std::string::npos);
  q.select("won", "count(*)");
  EXPECT_NE(query_error([&] { q.group_by("won", "rep"); }).find("alias 'won' is already used"),
            std::string::npos);
  EXPECT_EQ(
      query_error([&] { q.order_by("lost", false); }),
      "order_by: 'lost' is not an alias of this query (order_by names a select or group_by alias defined "
      "before it); aliases: won");
  EXPECT_NE(query_error([&] { q.limit(-1); }).find("limit must be 0 or more"), std::string::npos);
  EXPECT_NE(query_error([&] { q.bind("1x", int64_t{1}); }).find("not a parameter name"), std::string::npos);
  QueryBuilder empty("opportunities");
  auto dialect = query::make_sqlite_dialect();
  EXPECT_NE(query_error([&] { empty.compile(*dialect, Scope{}); }).find("selects nothing"),
            std::string::npos);
}

TEST(QueryDialects, SqliteScansForUpperBoundsOnTimestampsButKeepsIndexedRanges) {
  auto sqlite = query::make_sqlite_dialect();
  auto pg = query::make_postgres_dialect();
  Scope scope{"2025-01-01", "2025-04-01", std::nullopt, std::nullopt, 1, {}, {}};
  QueryBuilder q("opportunities");
  q.select("n", "count(*)");
  q.where("created_at < period_to and in_period(closed_at) and amount < 10");
  const auto lite = q.compile(*sqlite, scope).sql;
  // "Everything before the end" matches most history: scan, don't walk the index.
  EXPECT_NE(lite.find("(+t.created_at < ?)"), std::string::npos) << lite;
  // A two-sided period range stays indexable, and non-timestamps are untouched.
  EXPECT_NE(lite.find("(t.closed_at >= ? AND t.closed_at < ?)"), std::string::npos) << lite;
  EXPECT_NE(lite.find("(t.amount < ?)"), std::string::npos) << lite;
  // Engines with range statistics get the plain comparison.
  EXPECT_EQ(q.compile(*pg, scope).sql.find("+t."), std::string::npos);

  // The same for a joined table's columns, and a range written out by hand
  // (a lower bound anywhere in the same AND chain) stays indexable.
  QueryBuilder joined("stage_history");
  joined.select("n", "count(*)");
  joined.where("opportunity_created_at < period_to");
  joined.where(
      "(opportunity_closed_at >= :a and stage = 'x' and opportunity_closed_at < :b) or entered_at < :b");
  joined.bind("a", "2024-01-01");
  joined.bind("b", "2024-04-01");
  const auto sql = joined.compile(*sqlite, scope).sql;
  EXPECT_NE(sql.find("(+j_opportunity.created_at < ?)"), std::string::npos) << sql;
  EXPECT_NE(sql.find("(j_opportunity.closed_at < ?)"), std::string::npos) << sql;
  EXPECT_EQ(sql.find("+j_opportunity.closed_at"), std::string::npos) << sql;
  EXPECT_NE(sql.find("(+t.entered_at < ?)"), std::string::npos) << sql;
}

// ---- SQL for the other engines ----

TEST(QueryDialects, PostgresNumbersParametersAndReusesThemInGroupBy) {
  auto pg = query::make_postgres_dialect();
  Scope scope{"2025-01-01", "2025-04-01", std::nullopt, std::nullopt, 4, {{"region", {"EMEA"}}}, {}};
  QueryBuilder q("opportunities");
  q.group_by("month", "bucket('month', coalesce(closed_at, 'x'))");
  q.select("p90", "quantile(amount, 0.9)");
  q.select("rate", "count_if(status = 'won') / count(*)");
  q.where("in_period(created_at)");
  const auto c = q.compile(*pg, scope);
  EXPECT_EQ(
      c.sql,
      "SELECT to_char(date_trunc('month', CAST(coalesce(t.closed_at, $1) AS timestamp)), 'YYYY-MM-DD') AS "
      "\"month\", percentile_cont($2) WITHIN GROUP (ORDER BY t.amount) AS \"p90\", (CAST(sum(CASE WHEN "
      "(t.status = $3) THEN 1 ELSE 0 END) AS double precision) / NULLIF(count(*), 0)) AS \"rate\" FROM "
      "opportunities AS t LEFT JOIN reps AS j_owner ON j_owner.id = t.owner_id WHERE (j_owner.region IN "
      "($4)) "
      "AND ((t.created_at >= $5 AND t.created_at < $6)) GROUP BY to_char(date_trunc('month', "
      "CAST(coalesce(t.closed_at, $1) AS timestamp)), 'YYYY-MM-DD') ORDER BY \"month\" ASC NULLS LAST");
  EXPECT_EQ(c.params, (std::vector<Value>{"x", 0.9, "won", "EMEA", "2025-01-01", "2025-04-01"}));

  QueryBuilder fiscal("opportunities");
  fiscal.select("q", "bucket('quarter', created_at)");
  EXPECT_EQ(
      fiscal.compile(*pg, scope).sql,
      "SELECT to_char((date_trunc('quarter', CAST(t.created_at AS timestamp) - INTERVAL '3 months') + "
      "INTERVAL "
      "'3 months'), 'YYYY-MM-DD') AS \"q\" FROM opportunities AS t LEFT JOIN reps AS j_owner ON j_owner.id = "
      "t.owner_id WHERE (j_owner.region IN ($1))");
}

// Issue 9: what PostgreSQL refused or answered differently with the SQL of
// the shipped configs.
TEST(QueryDialects, PostgresTruthValuesAreNumbersWhereValuesAreExpected) {
  auto pg = query::make_postgres_dialect();
  auto sqlite = query::make_sqlite_dialect();
  Scope scope{"2025-01-01", "2025-04-01", std::nullopt, std::nullopt, 1, {}, {}};
  QueryBuilder q("opportunities");
  q.select("won", "count_if(stage_is_won = true)");
  q.select("open", "sum(stage_is_closed = false)");
  q.select("flag", "if(stage_is_won, 1, 0)");
  q.select("both", "(amount > 1) = (amount > 2)");
  q.where("stage_is_closed or status = 'open'");
  const auto c = q.compile(*pg, scope);
  EXPECT_NE(c.sql.find("sum(CASE WHEN (j_stage.is_won = 1) THEN 1 ELSE 0 END)"), std::string::npos) << c.sql;
  EXPECT_NE(c.sql.find("sum(CAST((j_stage.is_closed = 0) AS integer))"), std::string::npos) << c.sql;
  EXPECT_NE(c.sql.find("(CASE WHEN (j_stage.is_won <> 0) THEN $1 ELSE $2 END)"), std::string::npos) << c.sql;
  EXPECT_NE(c.sql.find("CAST(((t.amount > $3) = (t.amount > $4)) AS integer)"), std::string::npos) << c.sql;
  EXPECT_NE(c.sql.find("WHERE (((j_stage.is_closed <> 0) OR (t.status = $5)))"), std::string::npos) << c.sql;
  // SQLite's SQL is what it was: truth values are numbers there.
  const auto s = q.compile(*sqlite, scope);
  EXPECT_NE(s.sql.find("sum(CASE WHEN (j_stage.is_won = 1) THEN 1 ELSE 0 END)"), std::string::npos) << s.sql;
  EXPECT_NE(s.sql.find("WHERE ((j_stage.is_closed OR (t.status = ?)))"), std::string::npos) << s.sql;
}

TEST(QueryDialects, NullParametersAreTheNullLiteral) {
  auto pg = query::make_postgres_dialect();
  Scope scope{"2025-01-01", "2025-04-01", std::nullopt, std::nullopt, 1, {}, {}};
  QueryBuilder q("opportunities");
  q.select("capped", "least(amount, :cap)");
  q.select("no_cap", ":cap is null");
  q.select("owner", "coalesce(owner_id, -:none)");
  q.bind("cap", Value{});
  q.bind("none", int64_t{1});
  const auto c = q.compile(*pg, scope);
  EXPECT_NE(c.sql.find("LEAST(t.amount, NULL)"), std::string::npos) << c.sql;
  EXPECT_NE(c.sql.find("(NULL IS NULL)"), std::string::npos) << c.sql;
  EXPECT_NE(c.sql.find("coalesce(t.owner_id, (-$1))"), std::string::npos) << c.sql;
  EXPECT_EQ(c.params, (std::vector<Value>{int64_t{1}}));
}

TEST(QueryDialects, PostgresDaysBetweenStaysInDoublePrecision) {
  auto pg = query::make_postgres_dialect();
  Scope scope{"2025-01-01", "2025-04-01", std::nullopt, std::nullopt, 1, {}, {}};
  QueryBuilder q("opportunities");
  q.select("p90", "quantile(days_between(created_at, expected_close_at), 0.9)");
  const auto sql = q.compile(*pg, scope).sql;
  EXPECT_EQ(sql.find("EXTRACT"), std::string::npos) << sql;  // numeric: several times slower
  EXPECT_NE(sql.find("date_part('epoch', CAST(t.expected_close_at AS timestamp))"), std::string::npos) << sql;
}

// Schema 5 keeps the epoch seconds of some timestamps on PostgreSQL (stored
// generated columns): days_between reads them, on the base table or a joined
// one, and a subtraction of two is not worth a per-row LATERAL.
TEST(QueryDialects, PostgresDaysBetweenReadsStoredEpochs) {
  auto pg = query::make_postgres_dialect();
  Scope scope{"2025-01-01", "2025-04-01", std::nullopt, std::nullopt, 1, {}, {}};
  QueryBuilder q("opportunities");
  q.select("p90", "quantile(days_between(created_at, closed_at), 0.9)");
  q.select("slow", "count_if(days_between(created_at, closed_at) > 30)");
  const auto sql = q.compile(*pg, scope).sql;
  EXPECT_NE(sql.find("((t.closed_at_epoch - t.created_at_epoch) / 86400.0)"), std::string::npos) << sql;
  EXPECT_EQ(sql.find("CAST("), std::string::npos) << sql;
  EXPECT_EQ(sql.find("LATERAL"), std::string::npos) << sql;

  QueryBuilder visits("stage_history");
  visits.select("lag", "max(days_between(opportunity_created_at, entered_at))");
  const auto joined = visits.compile(*pg, scope).sql;
  EXPECT_NE(joined.find("((t.entered_at_epoch - j_opportunity.created_at_epoch) / 86400.0)"),
            std::string::npos)
      << joined;

  // SQLite parses the text as before.
  const auto lite = q.compile(*query::make_sqlite_dialect(), scope).sql;
  EXPECT_EQ(lite.find("_epoch"), std::string::npos) << lite;
}

// PostgreSQL shares no common subexpressions: a days_between a query spells
// more than once is computed once per row in a LATERAL subquery.
TEST(QueryDialects, PostgresComputesARepeatedDaysBetweenOncePerRow) {
  auto pg = query::make_postgres_dialect();
  Scope scope{"2025-01-01", "2025-04-01", std::nullopt, std::nullopt, 1, {}, {}};
  auto count = [](const std::string& sql, const std::string& part) {
    size_t n = 0;
    for (size_t at = sql.find(part); at != std::string::npos; at = sql.find(part, at + 1)) ++n;
    return n;
  };
  QueryBuilder q("opportunities");
  q.group_by("rep", "owner_id");
  // expected_close_at has no stored epoch (created_at has: schema 5).
  q.select("p90", "quantile(days_between(created_at, expected_close_at), 0.9)");
  q.select("slow", "count_if(days_between(created_at, expected_close_at) > :days)");
  q.select("hours", "max(hours_between(created_at, expected_close_at))");
  q.select("once", "max(days_between(owner_hired_at, closed_at))");
  q.select("span", "days_between(min(created_at), max(expected_close_at))");
  q.where("days_between(created_at, expected_close_at) >= 0");
  q.bind("days", int64_t{30});
  const auto sql = q.compile(*pg, scope).sql;
  EXPECT_EQ(count(sql,
                  "CROSS JOIN LATERAL (SELECT ((date_part('epoch', CAST(t.expected_close_at AS timestamp)) - "
                  "t.created_at_epoch) / 86400.0) AS v0 OFFSET 0) AS tally_row WHERE "),
            1u)
      << sql;
  EXPECT_EQ(count(sql, "tally_row.v0"), 4u) << sql;  // p90, slow, hours, the condition
  EXPECT_EQ(count(sql, "CAST(t.expected_close_at AS timestamp)"), 1u) << sql;
  // Used once: stays in place. Of aggregates: cannot be per row.
  EXPECT_NE(sql.find("CAST(j_owner.hired_at AS timestamp)"), std::string::npos) << sql;
  EXPECT_NE(sql.find("CAST(max(t.expected_close_at) AS timestamp)"), std::string::npos) << sql;
  EXPECT_EQ(sql.find('\x03'), std::string::npos);
  EXPECT_EQ(sql.find('\x04'), std::string::npos);

  QueryBuilder single("opportunities");
  single.select("days", "max(days_between(created_at, expected_close_at))");
  const auto plain = single.compile(*pg, scope).sql;
  EXPECT_EQ(plain.find("LATERAL"), std::string::npos) << plain;
  EXPECT_EQ(plain.find('\x03'), std::string::npos);
  // Other engines are untouched.
  auto sqlite = query::make_sqlite_dialect();
  const auto lite = q.compile(*sqlite, scope).sql;
  EXPECT_EQ(lite.find("LATERAL"), std::string::npos) << lite;
  EXPECT_EQ(lite.find('\x03'), std::string::npos);
}

TEST(QueryDialects, ClickhouseInlinesQuantileLevelAndRepeatsGroupBy) {
  auto ch = query::make_clickhouse_dialect();
  Scope scope{"2025-01-01", "2025-04-01", std::nullopt, std::nullopt, 1, {}, {}};
  QueryBuilder q("opportunities");
  q.group_by("rep", "rep");
  q.group_by("week", "bucket('week', created_at)");
  q.select("median", "median(days_between(created_at, closed_at))");
  q.select("p90", "quantile(amount, :p)");
  q.select("reps", "count_distinct(owner_id)");
  q.bind("p", 0.9);
  q.where("source = 'web'");
  const auto c = q.compile(*ch, scope);
  const std::string week = "toString(toMonday(toDateOrNull(substring(t__created_at, 1, 10))))";
  EXPECT_EQ(
      c.sql.find(
          "SELECT j_owner__name AS `rep`, " + week +
          " AS `week`, if(length(groupArray("
          "toFloat64(((toInt64(toUnixTimestamp(parseDateTimeBestEffortOrNull(t__closed_at, 'UTC'))) - "
          "toInt64(toUnixTimestamp(parseDateTimeBestEffortOrNull(t__created_at, 'UTC')))) / 86400)))) = 0, "
          "NULL, "),
      0u)
      << c.sql;
  for (const auto& part :
       {std::string("(0.9 * (greatest(toFloat64(length(groupArray(toFloat64(t__amount)))), 1) - 1))"),
        std::string("arrayReduce('quantileExact(0.9)', groupArray(toFloat64(t__amount)))"),
        std::string("arrayReduce('maxIf', groupArray(toFloat64(t__amount)), arrayMap(tally_q -> tally_q < "
                    "arrayReduce('quantileExact(0.9)', groupArray(toFloat64(t__amount))), "
                    "groupArray(toFloat64(t__amount))))"),
        std::string("ifNull(uniqExact(t__owner_id), 0) AS `reps`"),
        std::string(
            " FROM (SELECT amount AS t__amount, closed_at AS t__closed_at, created_at AS "
            "t__created_at, owner_id AS t__owner_id, source AS t__source FROM opportunities WHERE "
            "(t__source = ?)) AS t ALL LEFT JOIN "
            "(SELECT id AS j_owner__id, name AS j_owner__name FROM reps) ON t__owner_id = j_owner__id "
            "GROUP BY j_owner__name, " +
            week + " ORDER BY `rep` ASC NULLS LAST, `week` ASC NULLS LAST")})
    EXPECT_NE(c.sql.find(part), std::string::npos) << part << "\n" << c.sql;
  EXPECT_EQ(c.sql.find("arraySort"), std::string::npos) << c.sql;  // selects, never sorts
  EXPECT_EQ(c.params, (std::vector<Value>{"web"}));
}

// Without a join, one SELECT reads the table itself, so a Distributed table
// aggregates on each shard; result aliases take a prefix no column has (an
// alias equal to a column name would shadow it), and the query keeps its own
// result names.
TEST(QueryDialects, ClickhouseReadsATableWithoutJoinsInOneSelect) {
  auto ch = query::make_clickhouse_dialect("sales", {});
  Scope scope{"2025-01-01", "2025-04-01", std::nullopt, std::nullopt, 1, {}, {}};
  QueryBuilder q("opportunities");
  q.group_by("stage", "stage");
  q.select("amount", "sum(amount)");
  q.select("n", "count(*)");
  q.where("status = 'open'");
  q.order_by("amount", true);
  const auto c = q.compile(*ch, scope);
  EXPECT_EQ(
      c.sql,
      "SELECT `stage` AS `tally__stage`, if(count(`amount`) = 0, NULL, sum(`amount`)) AS `tally__amount`, "
      "toInt64(count(*)) AS `tally__n` FROM `sales`.opportunities AS t WHERE ((`status` = ?)) GROUP BY "
      "`stage` "
      "ORDER BY `tally__amount` DESC NULLS LAST, `tally__stage` ASC NULLS LAST");
  EXPECT_EQ(c.columns, (std::vector<std::string>{"stage", "amount", "n"}));
  EXPECT_EQ(c.params, (std::vector<Value>{"open"}));
}

// With joins, a condition on `t` alone filters in the innermost SELECT (on
// the shards, before any join); a condition on one joined table that no
// unmatched row passes (a comparison or IN on its column, ANDed) also
// filters that table before the join and stays after it; IS NULL, OR and
// conditions across tables stay after the joins only (pushing them would
// turn a filtered-out match into a NULL row that passes).
TEST(QueryDialects, ClickhousePushesOnlyConditionsThatKeepTheSameRows) {
  auto ch = query::make_clickhouse_dialect("sales", {});
  Scope scope{"2025-01-01", "2025-04-01", std::nullopt, std::nullopt, 1, {}, {}};
  QueryBuilder q("stage_history");
  q.select("n", "count(*)");
  q.where("entered_at < :end");
  q.where("opportunity_status = 'open' and opportunity_amount > 10");
  q.where("opportunity_closed_at is null");
  q.where("opportunity_status = 'won' or opportunity_amount is null");
  q.where("stage_position > opportunity_amount");
  q.where("opportunity_closed_at >= :end or (opportunity_closed_at is null and opportunity_status = 'open')");
  q.where("not (opportunity_created_at < :end) and coalesce(opportunity_status, 'x') = 'x'");
  q.bind("end", std::string("2025-04-01"));
  const auto c = q.compile(*ch, scope);
  const std::string opportunities =
      "FROM `sales`.opportunities WHERE (j_opportunity__status = ?) AND (j_opportunity__amount > ?) AND "
      "((j_opportunity__closed_at >= ?) OR ((j_opportunity__closed_at IS NULL) AND (j_opportunity__status = "
      "?))) "
      "AND (NOT (j_opportunity__created_at < ?))) ON";
  EXPECT_NE(c.sql.find("FROM `sales`.stage_history WHERE (t__entered_at < ?))"), std::string::npos) << c.sql;
  EXPECT_NE(c.sql.find(opportunities), std::string::npos) << c.sql;
  EXPECT_NE(c.sql.find("FROM `sales`.stages)"), std::string::npos) << c.sql;
  // The last join is the outer SELECT's own; its WHERE keeps every condition.
  EXPECT_NE(
      c.sql.find("ON t__stage = j_stage__name) AS t ALL LEFT JOIN (SELECT amount AS j_opportunity__amount"),
      std::string::npos)
      << c.sql;
  const std::string outer = c.sql.substr(c.sql.rfind(") ON t__opportunity_id = j_opportunity__id"));
  EXPECT_EQ(
      outer,
      ") ON t__opportunity_id = j_opportunity__id WHERE (j_opportunity__status = ?) AND "
      "(j_opportunity__amount > ?) AND "
      "(j_opportunity__closed_at IS NULL) AND ((j_opportunity__status = ?) OR (j_opportunity__amount IS "
      "NULL)) AND (j_stage__position > j_opportunity__amount) AND ((j_opportunity__closed_at >= ?) OR "
      "((j_opportunity__closed_at IS NULL) AND (j_opportunity__status = ?))) AND (NOT "
      "(j_opportunity__created_at < ?)) AND (coalesce(j_opportunity__status, ?) = ?)")
      << c.sql;
  // One value per `?`, in the order they stand (the pushed copies included).
  const std::string end = "2025-04-01";
  EXPECT_EQ(c.params, (std::vector<Value>{end, "open", int64_t{10}, end, "open", end, "open", int64_t{10},
                                          "won", end, "open", end, "x", "x"}));
}

// days_between reads a store's stored epochs (MATERIALIZED columns) where it
// has them, on `t` and on a joined table alike, and parses text otherwise.
TEST(QueryDialects, ClickhouseDurationsReadStoredEpochs) {
  Scope scope{"2025-01-01", "2025-04-01", std::nullopt, std::nullopt, 1, {}, {}};
  QueryBuilder q("stage_history");
  q.select("days", "avg(days_between(entered_at, exited_at))");
  q.select("to_end", "max(days_between(entered_at, period_to))");
  q.select("deal", "max(days_between(opportunity_created_at, opportunity_closed_at))");
  const auto with = q.compile(
      *query::make_clickhouse_dialect(
          "sales", {},
          {{"stage_history", "entered_at"}, {"stage_history", "exited_at"}, {"opportunities", "created_at"}}),
      scope);
  for (const char* part : {"((t__exited_at_epoch - t__entered_at_epoch) / 86400)",
                           "created_at_epoch AS j_opportunity__created_at_epoch",
                           "(toInt64(toUnixTimestamp(parseDateTimeBestEffortOrNull(j_opportunity__closed_at, "
                           "'UTC'))) - j_opportunity__created_at_epoch)"})
    EXPECT_NE(with.sql.find(part), std::string::npos) << part << "\n" << with.sql;
  EXPECT_EQ(with.sql.find("parseDateTimeBestEffortOrNull(t__"), std::string::npos) << with.sql;
  const auto without = q.compile(*query::make_clickhouse_dialect("sales", {}), scope);
  EXPECT_EQ(without.sql.find("_epoch"), std::string::npos) << without.sql;
  EXPECT_NE(without.sql.find("parseDateTimeBestEffortOrNull(t__entered_at, 'UTC')"), std::string::npos)
      << without.sql;
}

// With stored epochs, `<` and `>=` against a date (a period bound, as_of, a
// parameter, a literal) compare epochs, and IS [NOT] NULL tests them, on `t`
// and on a joined table alike; `<=`, `>`, a bound with a time of day and a
// column without a stored epoch keep the text, as the dialects that do not
// ask for it (SQLite) do.
TEST(QueryDialects, ClickhouseDateBoundsReadStoredEpochs) {
  Scope scope{"2025-01-01", "2025-04-01", std::nullopt, std::nullopt, 1, {}, "2025-06-30"};
  QueryBuilder q("stage_history");
  q.select("a", "count_if(entered_at < period_to)");
  q.select("b", "count_if(exited_at >= :day)");
  q.select("c", "count_if(in_period(opportunity_closed_at))");
  q.select("d", "count_if(entered_at < as_of)");
  q.select("e", "count_if(entered_at <= period_to)");
  q.select("f", "count_if(exited_at > '2025-02-01')");
  q.select("g", "count_if(exited_at < '2025-02-01 12:00:00')");
  q.select("h", "count_if(opportunity_expected_close_at < period_to)");
  q.select("i", "count_if(exited_at is null or opportunity_closed_at is not null)");
  q.select("j", "count_if(opportunity_expected_close_at is null)");
  q.bind("day", "2025-02-01");
  const auto c = q.compile(
      *query::make_clickhouse_dialect(
          "sales", {},
          {{"stage_history", "entered_at"}, {"stage_history", "exited_at"}, {"opportunities", "closed_at"}}),
      scope);
  for (const char* part :
       {"(t__entered_at_epoch < ?)", "(t__exited_at_epoch >= ?)",
        "((j_opportunity__closed_at_epoch >= ?) AND (j_opportunity__closed_at_epoch < ?))",
        "closed_at_epoch AS j_opportunity__closed_at_epoch", "(t__entered_at <= ?)", "(t__exited_at > ?)",
        "(t__exited_at < ?)", "(j_opportunity__expected_close_at < ?)",
        "((t__exited_at_epoch IS NULL) OR (j_opportunity__closed_at_epoch IS NOT NULL))",
        "(j_opportunity__expected_close_at IS NULL)"})
    EXPECT_NE(c.sql.find(part), std::string::npos) << part << "\n" << c.sql;
  const int64_t april = 1743465600, february = 1738368000, january = 1735689600, june_30 = 1751241600;
  // Each twice: ClickHouse's sum is `if(count(x) = 0, NULL, sum(x))`.
  std::vector<Value> expected;
  for (const std::vector<Value>& each : std::vector<std::vector<Value>>{{april},
                                                                        {february},
                                                                        {january, april},
                                                                        {june_30},
                                                                        {"2025-04-01"},
                                                                        {"2025-02-01"},
                                                                        {"2025-02-01 12:00:00"},
                                                                        {"2025-04-01"}})
    for (int copy = 0; copy < 2; ++copy) expected.insert(expected.end(), each.begin(), each.end());
  EXPECT_EQ(c.params, expected);
  const auto lite = q.compile(*query::make_sqlite_dialect(), scope);
  EXPECT_EQ(lite.sql.find("_epoch"), std::string::npos) << lite.sql;
}

// The demo's layout: deals and what hangs off them spread by the deal's id,
// everything else copied to every shard.
query::ShardLayout deal_sharded_layout() {
  return {{"opportunities", {"id", "opportunities_local"}},
          {"stage_history", {"opportunity_id", "stage_history_local"}},
          {"activities", {"opportunity_id", "activities_local"}},
          {"collateral_usage", {"opportunity_id", "collateral_usage_local"}}};
}

// A row of `t` whose key matches no joined row that passes the join's
// conditions fails them after the join: the shards drop it first (IN over
// the same shard's rows for co-sharded tables, over the copy for a copied
// one), so it never travels to the server that joins.
TEST(QueryDialects, ClickhouseDropsRowsWithoutAPassingMatchOnTheShards) {
  auto ch = query::make_clickhouse_dialect("sales", deal_sharded_layout());
  Scope scope{"2025-01-01", "2025-04-01", std::nullopt, std::nullopt, 1, {}, {}};
  QueryBuilder open_visits("stage_history");
  open_visits.select("n", "count(*)");
  open_visits.where("entered_at < :end");
  open_visits.where("opportunity_status = 'open'");
  open_visits.bind("end", std::string("2025-04-01"));
  const auto c = open_visits.compile(*ch, scope);
  EXPECT_NE(
      c.sql.find("FROM `sales`.stage_history WHERE (t__entered_at < ?) AND (t__opportunity_id IN "
                 "(SELECT j_opportunity__id FROM (SELECT id AS j_opportunity__id, status AS "
                 "j_opportunity__status FROM `sales`.opportunities_local WHERE (j_opportunity__status = "
                 "?)))))"),
      std::string::npos)
      << c.sql;
  EXPECT_EQ(c.params, (std::vector<Value>{std::string("2025-04-01"), "open", "open", "open"}));

  // A copied dimension: the copy every shard holds.
  QueryBuilder german("opportunities");
  german.select("n", "count(*)");
  german.where("account_country = 'DE'");
  const auto g = german.compile(*ch, scope);
  EXPECT_NE(
      g.sql.find("(t__account_id IN (SELECT j_account__id FROM (SELECT country AS j_account__country, id "
                 "AS j_account__id FROM `sales`.accounts WHERE (j_account__country = ?))))"),
      std::string::npos)
      << g.sql;

  // Not where `t` is a copy read whole by the URL's server (nothing travels
  // that the join would not drop), nor where a shard lacks the keys: t
  // spread by another column, a key read through another join (the team of
  // the deal's owner).
  QueryBuilder subscriptions("subscriptions");
  subscriptions.select("n", "count(*)");
  subscriptions.where("account_name >= 'M'");
  const auto s = subscriptions.compile(*ch, scope);
  EXPECT_EQ(s.sql.find(" IN (SELECT"), std::string::npos) << s.sql;
  EXPECT_NE(s.sql.find("FROM `sales`.accounts WHERE (j_account__name >= ?)"), std::string::npos) << s.sql;
  auto by_rep = deal_sharded_layout();
  by_rep["stage_history"].key = "id";
  const auto r = open_visits.compile(*query::make_clickhouse_dialect("sales", by_rep), scope);
  EXPECT_EQ(r.sql.find(" IN (SELECT"), std::string::npos) << r.sql;
  Scope alpha = scope;
  alpha.filters = {{"team", {"Alpha"}}};
  QueryBuilder team("opportunities");
  team.select("n", "count(*)");
  const auto t = team.compile(*ch, alpha);
  EXPECT_EQ(t.sql.find(" IN (SELECT"), std::string::npos) << t.sql;
  EXPECT_NE(t.sql.find("FROM `sales`.teams WHERE (j_owner_team__name IN (?))"), std::string::npos) << t.sql;
}

// ---- opening stores ----

TEST(SqliteBackend, MissingFileSaysHowToCreateIt) {
  TempDir dir;
  const std::string path = dir.file("nope.db");
  try {
    store::open_backend(path);
    FAIL() << "no error";
  } catch (const store::StoreError& e) {
    EXPECT_EQ(std::string(e.what()),
              "database '" + path + "' does not exist (create the demo with `tally demo --db " + path + "`)");
  }
}

TEST(SqliteBackend, OlderSchemaIsRefusedWithTheMigrateCommand) {
  TempDir dir;
  const std::string path = dir.file("old.db");
  { store::open_for_writing(path, true); }
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("DELETE FROM schema_version");
    db.exec("INSERT INTO schema_version VALUES (" + std::to_string(store::latest_schema_version() - 1) +
            ", '2020-01-01')");
  }
  try {
    store::open_backend("sqlite:" + path);
    FAIL() << "no error";
  } catch (const store::StoreError& e) {
    EXPECT_EQ(std::string(e.what()),
              "database '" + path + "' has schema version " +
                  std::to_string(store::latest_schema_version() - 1) + ", this tally needs " +
                  std::to_string(store::latest_schema_version()) + "; run `tally migrate --db " + path + "`");
  }
}

// An older store with data is upgraded in place, and its statistics are
// refreshed so the planner uses the new indexes at once.
TEST(SqliteBackend, MigrationUpgradesAnOlderStoreAndRefreshesStatistics) {
  TempDir dir;
  const std::string path = dir.file("v2.db");
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)");
    for (const auto& m : store::migrations()) {
      if (m.version > 2) break;
      db.exec(m.sql);
      db.exec("INSERT INTO schema_version VALUES (" + std::to_string(m.version) + ", '2025-01-01')");
    }
    db.exec(
        "INSERT INTO opportunities (id, created_at, closed_at, status, amount) VALUES "
        "(1, '2025-01-01', '2025-02-01', 'won', 10), (2, '2025-01-02', NULL, 'open', 20)");
  }
  {
    SQLite::Database db = store::open_for_writing(path, false);
    EXPECT_EQ(store::schema_version(db), store::latest_schema_version());
  }
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  SQLite::Statement index(db, "SELECT sql FROM sqlite_master WHERE name = 'opportunities_closed'");
  ASSERT_TRUE(index.executeStep());
  EXPECT_NE(index.getColumn(0).getString().find("closed_at, status"), std::string::npos);
  SQLite::Statement stat(db, "SELECT stat FROM sqlite_stat1 WHERE idx = 'opportunities_closed'");
  ASSERT_TRUE(stat.executeStep());
  EXPECT_EQ(stat.getColumn(0).getString().substr(0, 2), "2 ");
  EXPECT_EQ(store::open_backend("sqlite:" + path)->describe(), "sqlite:" + path);
}

TEST(SqliteBackend, NewerSchemaAndForeignFilesAreRefused) {
  TempDir dir;
  const std::string newer = dir.file("newer.db");
  { store::open_for_writing(newer, true); }
  {
    SQLite::Database db(newer, SQLite::OPEN_READWRITE);
    db.exec("INSERT INTO schema_version VALUES (999, '2030-01-01')");
  }
  EXPECT_THROW(
      {
        try {
          store::open_backend(newer);
        } catch (const store::StoreError& e) {
          EXPECT_NE(std::string(e.what()).find("newer than this tally understands"), std::string::npos)
              << e.what();
          throw;
        }
      },
      store::StoreError);

  const std::string foreign = dir.file("foreign.db");
  {
    SQLite::Database db(foreign, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("CREATE TABLE x (a)");
  }
  try {
    store::open_backend(foreign);
    FAIL() << "no error";
  } catch (const store::StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("is not a Tally store"), std::string::npos) << e.what();
  }

  const std::string text_file = dir.file("notes.txt");
  { std::ofstream(text_file) << "not a database at all, just some text that is long enough\n"; }
  EXPECT_THROW(store::open_backend(text_file), store::StoreError);
}

TEST(ClickhouseSources, BadUrlsAndUnreachableServersSaySo) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"clickhouse://ch:9000/sales", "say which cluster of the server's remote_servers holds the data"},
      {"clickhouse://ch:x/sales?cluster=c", "'x' is not a port"},
      {"clickhouse://ch:8123?cluster=c", "names no database"},
      {"clickhouse://ch:8123/sales?cluster=c&colour=red", "unknown option 'colour'"},
      {"clickhouse://127.0.0.1:1/sales?cluster=c", "cannot reach a ClickHouse server on 127.0.0.1:1"},
      {"clickhouse://ann%zz:pw%2@127.0.0.1:1/sales?cluster=c",
       "cannot reach a ClickHouse server on 127.0.0.1:1"},
  };
  for (const auto& [source, message] : cases) {
    try {
      store::open_backend(source);
      FAIL() << source << ": no error";
    } catch (const store::StoreError& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  }
}

// ClickHouse 18.16 takes one JOIN per SELECT and resolves qualified or
// unqualified names badly across shards: each join is its own subquery over
// database-qualified tables, with every column renamed alias__column.
TEST(QueryDialects, ClickhouseNestsOneJoinPerSelectOverQualifiedTables) {
  auto ch = query::make_clickhouse_dialect("sales", {});
  Scope scope{"2025-01-01", "2025-04-01", std::nullopt, std::nullopt, 1, {{"team", {"Alpha"}}}, {}};
  QueryBuilder q("opportunities");
  q.group_by("manager", "manager");
  q.select("amount", "sum(amount)");
  const auto c = q.compile(*ch, scope);
  size_t joins = 0;
  for (size_t at = c.sql.find("JOIN"); at != std::string::npos; at = c.sql.find("JOIN", at + 1)) ++joins;
  EXPECT_EQ(joins, 3u) << c.sql;  // the owner, their team, their manager
  EXPECT_EQ(c.sql.find("FULL"), std::string::npos) << c.sql;
  for (const char* part :
       {"FROM `sales`.opportunities)", "FROM `sales`.reps)",
        "FROM `sales`.teams WHERE (j_owner_team__name IN (?)))", "ON t__owner_id = j_owner__id",
        "ON j_owner__team_id = j_owner_team__id", "ON j_owner__manager_id = j_owner_manager__id",
        "if(count(t__amount) = 0, NULL, sum(t__amount)) AS `amount`", "WHERE (j_owner_team__name IN (?))"})
    EXPECT_NE(c.sql.find(part), std::string::npos) << part << "\n" << c.sql;
  for (const char* qualified : {" t.", "(t.", "j_owner.", "j_owner_team.", "j_owner_manager."})
    EXPECT_EQ(c.sql.find(qualified), std::string::npos) << qualified << "\n" << c.sql;

  // A computed left key (a lead's deal, from either side) becomes a column first.
  QueryBuilder leads("leads");
  leads.select("won", "count_if(opportunity_status = 'won')");
  const auto l = leads.compile(*ch, scope);
  EXPECT_NE(l.sql.find("coalesce(t__opportunity_id, j_deal_of_lead__id) AS j_opportunity__on"),
            std::string::npos)
      << l.sql;
  EXPECT_NE(l.sql.find("ON j_opportunity__on = j_opportunity__id"), std::string::npos) << l.sql;
  EXPECT_NE(l.sql.find("FROM `sales`.opportunities WHERE lead_id IS NOT NULL"), std::string::npos) << l.sql;
}

TEST(StoreSources, TyposInTheSchemeAreNamedWithoutThePassword) {
  for (const std::string source : {"postgressql://ann:pw123@db/sales", "postgresq://ann:pw123@db/sales",
                                   "postgresql:/ann:pw123@db/sales"}) {
    try {
      store::open_backend(source);
      FAIL() << "no error for " << source;
    } catch (const store::StoreError& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("postgresql://"), std::string::npos) << message;
      EXPECT_EQ(message.find("pw123"), std::string::npos) << message;
    }
  }
  EXPECT_EQ(store::engine_of("postgres://db/sales"), "postgresql");
  EXPECT_EQ(store::engine_of("data/demo.db"), "sqlite");
  EXPECT_EQ(store::engine_of("sqlite:data/demo.db"), "sqlite");
}

TEST(StoreSources, AnUnreachableServerIsNamedWithoutThePassword) {
  try {
    store::open_backend("postgresql://ann:pw123@127.0.0.1:1/sales");
    FAIL() << "no error";
  } catch (const store::StoreError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("cannot reach a PostgreSQL server on 127.0.0.1:1"), std::string::npos) << message;
    EXPECT_EQ(message.find("pw123"), std::string::npos) << message;
  }
}

TEST(SqliteBackend, DescribesItselfAndReportsEngineErrors) {
  TempDir dir;
  const std::string path = dir.file("s.db");
  { store::open_for_writing(path, true); }
  auto backend = store::open_backend("sqlite:" + path);
  EXPECT_EQ(backend->describe(), "sqlite:" + path);
  EXPECT_EQ(backend->dialect().name(), "sqlite");
  auto connection = backend->connect();
  try {
    connection->execute({"SELECT nope FROM opportunities", {}, {}});
    FAIL() << "no error";
  } catch (const store::StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("no such column: nope"), std::string::npos) << e.what();
  }
  EXPECT_THROW(connection->execute({"SELECT ?", {}, {}}), store::StoreError);
}

// `as_of` is the run's "today", the same in either period, usable like a period bound; a scope
// without one fails with a clear message.
TEST_F(QueryTest, AsOfIsTheRunsToday) {
  Scope scope = scope_;
  scope.as_of = "2025-02-15";
  scope.compare_from = "2024-10-01";
  scope.compare_to = "2025-01-01";
  EXPECT_EQ(scalar("as_of", scope), Value{std::string("2025-02-15")});
  EXPECT_EQ(scalar("days_between(period_from, as_of)", scope), Value{45.0});
  QueryBuilder q("stages");
  q.select("v", "days_between(period_to, as_of)");
  q.where("id = 1");
  q.use_period(Which::Compare);
  EXPECT_EQ(run(q, scope), (Rows{{Value{45.0}}}));
  QueryBuilder none("stages");
  none.select("v", "as_of");
  try {
    none.compile(backend_->dialect(), scope_);
    ADD_FAILURE() << "as_of without a value compiled";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("'as_of' is not set for this run"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tally
