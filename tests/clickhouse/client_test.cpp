// The ClickHouse client and dialect on a real two-shard cluster (18.16):
// hostile values cannot change a query, server errors carry the server's
// message, and the query shapes the issue found failing give SQLite's values
// over the same demo rows. Needs TALLY_TEST_SQLITE, TALLY_TEST_CLICKHOUSE
// and TALLY_TEST_CLICKHOUSE_ONE (set by client.sh).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "query/internal.hpp"
#include "query/query.hpp"
#include "store/backend.hpp"
#include "store/clickhouse/http.hpp"
#include "store/clickhouse/schema.hpp"
#include "support/engine_rows.hpp"
#include "util/date.hpp"

namespace {

using tally::Value;
using tally::query::QueryBuilder;
using tally::query::Scope;
using tally::testing::Rows;
using tally::testing::show;
namespace ch = tally::store::clickhouse;

std::string source(const char* variable) {
  const char* value = std::getenv(variable);
  if (!value || !*value) throw std::runtime_error(std::string(variable) + " is not set (run client.sh)");
  return value;
}

// The same rows on SQLite, one ClickHouse server and two shards; numbers
// compared as numbers (reals to 1e-9, relative beyond 1), NULL as NULL.
void expect_same(const QueryBuilder& q, const Scope& scope = {}) {
  const Rows sqlite = tally::testing::rows_on(source("TALLY_TEST_SQLITE"), q, scope);
  for (const char* variable : {"TALLY_TEST_CLICKHOUSE_ONE", "TALLY_TEST_CLICKHOUSE"}) {
    SCOPED_TRACE(variable);
    const Rows other = tally::testing::rows_on(source(variable), q, scope);
    ASSERT_EQ(sqlite.size(), other.size());
    for (size_t r = 0; r < sqlite.size(); ++r) {
      ASSERT_EQ(sqlite[r].size(), other[r].size());
      for (size_t c = 0; c < sqlite[r].size(); ++c) {
        const Value& a = sqlite[r][c];
        const Value& b = other[r][c];
        SCOPED_TRACE("row " + std::to_string(r) + " column " + std::to_string(c) + ": " + show(a) + " vs " +
                     show(b));
        const bool na = std::holds_alternative<double>(a) || std::holds_alternative<int64_t>(a);
        const bool nb = std::holds_alternative<double>(b) || std::holds_alternative<int64_t>(b);
        if (na && nb) {
          auto number = [](const Value& v) {
            return std::holds_alternative<double>(v) ? std::get<double>(v)
                                                     : static_cast<double>(std::get<int64_t>(v));
          };
          EXPECT_NEAR(number(a), number(b), 1e-9 * std::max(1.0, std::abs(number(a))));
        } else {
          EXPECT_EQ(a, b);
        }
      }
    }
  }
}

const std::vector<std::string>& hostile_values() {
  static const std::vector<std::string> values = {"x' OR 1=1 --",
                                                  "x\\' OR 1=1 --",
                                                  "\\",
                                                  "back\\slash\\",
                                                  std::string("nul\0byte", 8),
                                                  "\xff\xfe invalid \xc3",
                                                  "tab\there\nnewline",
                                                  "'; DROP TABLE reps; --",
                                                  "`backtick` \"double\"",
                                                  "?",
                                                  "\x01\x02",
                                                  "\xc3\xbc ok"};
  return values;
}

TEST(ClickhouseLiterals, HostileValuesComeBackByteForByte) {
  const ch::Url url = ch::parse_url(source("TALLY_TEST_CLICKHOUSE"));
  ch::Client client(url, url.host + ":" + std::to_string(url.port), 30000);
  for (const auto& value : hostile_values()) {
    SCOPED_TRACE(show(value));
    const std::string sql = ch::inline_params("SELECT ? AS v, 1 AS one", {Value{value}});
    auto cursor = client.query(sql);
    ASSERT_TRUE(cursor->next());
    EXPECT_EQ(cursor->get(0), Value{value});
    EXPECT_EQ(cursor->get(1), Value{int64_t{1}});
    EXPECT_FALSE(cursor->next());
  }
}

TEST(ClickhouseLiterals, HostileFilterValuesMatchNothingAndChangeNothing) {
  QueryBuilder q("opportunities");
  q.select("deals", "count(*)");
  Scope scope{"2025-10-01", "2026-01-01", std::nullopt, std::nullopt, 1, {}, "2026-01-01"};
  const Rows all = tally::testing::rows_on(source("TALLY_TEST_CLICKHOUSE"), q, scope);
  for (const auto& value : hostile_values()) {
    SCOPED_TRACE(show(value));
    scope.filters = {{"region", {value}}};
    EXPECT_EQ(tally::testing::rows_on(source("TALLY_TEST_CLICKHOUSE"), q, scope), (Rows{{int64_t{0}}}));
    QueryBuilder named("opportunities");
    named.select("deals", "count(*)");
    named.where("name = :name or stage = :name");
    named.bind("name", value);
    EXPECT_EQ(tally::testing::rows_on(source("TALLY_TEST_CLICKHOUSE"), named, scope), (Rows{{int64_t{0}}}));
  }
  scope.filters.clear();
  EXPECT_EQ(tally::testing::rows_on(source("TALLY_TEST_CLICKHOUSE"), q, scope),
            all);  // nothing was dropped or changed
}

TEST(ClickhouseLiterals, NumbersKeepTheirValue) {
  EXPECT_EQ(ch::literal(Value{int64_t{-42}}), "-42");
  EXPECT_EQ(ch::literal(Value{0.1}), "0.1");
  EXPECT_EQ(ch::literal(Value{5.0}), "5.0");
  EXPECT_EQ(ch::literal(Value{}), "NULL");
  EXPECT_EQ(ch::literal(Value{std::string("a'b\\c")}), "'a\\x27b\\x5Cc'");
  EXPECT_THROW(ch::inline_params("SELECT ?, ?", {Value{int64_t{1}}}), tally::store::StoreError);
  EXPECT_EQ(ch::inline_params("SELECT '?', ?", {Value{int64_t{1}}}), "SELECT '?', 1");
}

TEST(ClickhouseErrors, TheServersMessageReachesTheUser) {
  auto backend = tally::store::open_backend(source("TALLY_TEST_CLICKHOUSE"));
  tally::query::CompiledQuery bad;
  bad.sql = "SELECT no_such_column FROM opportunities";
  try {
    backend->connect()->execute(bad);
    FAIL() << "the query ran";
  } catch (const tally::store::StoreError& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find("ClickHouse on 127.0.0.1:"), std::string::npos) << text;
    EXPECT_NE(text.find("no_such_column"), std::string::npos) << text;
  }
}

TEST(ClickhouseQueries, TwoJoinsForTeamAndManager) {
  QueryBuilder q("opportunities");
  q.group_by("team", "team");
  q.group_by("manager", "manager");
  q.select("deals", "count(*)");
  q.select("amount", "sum(amount)");
  q.select("won", "sum(if(status = 'won', amount, 0))");
  expect_same(q);
}

// A drill-down inlines its record ids (18.16 has no server-side parameters):
// 60,000 of them passed the server's default limit of 50,000 AST elements.
TEST(ClickhouseQueries, ALongListOfIdsIsOneQuery) {
  std::string ids;
  for (int id = 1; id <= 60000; ++id) ids += (id > 1 ? ", " : "") + std::to_string(id);
  QueryBuilder q("activities");
  q.where("id in (" + ids + ")");
  q.select("activities", "count(*)");
  q.select("max_id", "max(id)");
  expect_same(q);
}

TEST(ClickhouseQueries, ThreeLevelsOfJoinsOnAShardedTable) {
  QueryBuilder q("stage_history");
  q.group_by("product", "product");
  q.group_by("team", "team");
  q.select("visits", "count(*)");
  q.select("deal_amount", "sum(opportunity_amount)");
  expect_same(q);
}

TEST(ClickhouseQueries, QuantilesInterpolateAndAreNullWithoutValues) {
  QueryBuilder q("stage_history");
  q.group_by("stage", "stage");
  q.select("p90", "quantile(days_between(entered_at, exited_at), 0.9)");
  q.select("median", "median(days_between(entered_at, coalesce(exited_at, as_of)))");
  q.select("p25", "quantile(days_between(entered_at, exited_at), 0.25)");
  expect_same(q);
  QueryBuilder none("opportunities");
  none.select("p", "quantile(amount, 0.5)");
  none.where("status = 'no such status'");
  expect_same(none);
}

// The quantile selects instead of sorting (dialect_clickhouse.cpp): the
// rank's neighbour comes from repeated values, from below or from above;
// groups of one, two and a few values; levels 0 and 1.
TEST(ClickhouseQueries, QuantilesWithRepeatedValuesAndSmallGroups) {
  QueryBuilder repeated("activities");
  repeated.group_by("type", "type");
  int column = 0;
  for (const char* level : {"0", "0.1", "0.25", "0.5", "0.9", "0.99", "1"})
    repeated.select("q" + std::to_string(column++), std::string("quantile(duration_minutes, ") + level + ")");
  expect_same(repeated);
  QueryBuilder small("opportunities");
  small.group_by("account", "account_id");
  small.select("n", "count(amount)");
  small.select("p90", "quantile(amount, 0.9)");
  small.select("median", "median(amount)");
  small.where("account_id <= 60");
  expect_same(small);
}

TEST(ClickhouseQueries, AggregatesOverNoRowsAreSqls) {
  QueryBuilder q("opportunities");
  q.select("sum", "sum(amount)");
  q.select("avg", "avg(amount)");
  q.select("min", "min(amount)");
  q.select("distinct", "count_distinct(if(status = 'won', owner_id, null))");
  q.select("count_if", "count_if(status = 'won')");
  q.select("n", "count(*)");
  q.where("status = 'no such status'");
  expect_same(q);
}

// Conditions filter before the joins where that keeps the same rows
// (query_test.cpp shows which move): activities without a deal, deals
// filtered out of the join, IS NULL and OR on joined columns, and a
// condition across two tables, all giving SQLite's counts.
TEST(ClickhouseQueries, ConditionsPushedBeforeJoinsKeepTheSameRows) {
  for (const char* condition :
       {"opportunity_status = 'won'", "opportunity_closed_at is null",
        "opportunity_status in ('won', 'lost')", "opportunity_status = 'won' or opportunity_amount is null",
        "coalesce(opportunity_status, 'none') = 'none'", "opportunity_amount > 1000 and type = 'call'",
        "opportunity_closed_at >= '2025-06-01' or (opportunity_closed_at is null and opportunity_status = "
        "'open')",
        "not (opportunity_status = 'won')", "not (opportunity_closed_at is null)"}) {
    SCOPED_TRACE(condition);
    QueryBuilder q("activities");
    q.group_by("type", "type");
    q.select("n", "count(*)");
    q.select("deals", "count_distinct(opportunity_id)");
    q.where(condition);
    q.where("occurred_at >= '2025-01-01'");
    expect_same(q);
  }
  // The shards keep only rows whose key a passing row has: co-sharded deals
  // (stage visits of open deals) and copied dimensions (deals of accounts
  // named M and after, of owners in a region).
  QueryBuilder visits("stage_history");
  visits.group_by("stage", "stage");
  visits.select("n", "count(*)");
  visits.select("amount", "sum(opportunity_amount)");
  visits.where("opportunity_status = 'open' and exited_at is null");
  expect_same(visits);
  QueryBuilder deals("opportunities");
  deals.group_by("status", "status");
  deals.select("n", "count(*)");
  deals.where("account_name >= 'M'");
  Scope regions;
  regions.filters = {{"region", {"EMEA", "APAC"}}};
  expect_same(deals, regions);
}

// Runs `sql` on every shard of the store at `variable`.
void on_every_shard(const char* variable, const std::string& sql) {
  const ch::Url url = ch::parse_url(source(variable));
  ch::Client entry(url, url.host + ":" + std::to_string(url.port), 30000);
  for (auto& shard : ch::shard_clients(entry, url, 30000)) shard->post(sql, "", "cannot run " + sql);
}

// Durations read the stored epochs of a store that has them, and parse the
// text of one written before they existed (the columns dropped here, then
// added back as an older store's owner would with ALTER TABLE).
TEST(ClickhouseQueries, DurationsWithAndWithoutStoredEpochs) {
  QueryBuilder q("stage_history");
  q.group_by("stage", "stage");
  q.select("days", "avg(days_between(entered_at, exited_at))");
  q.select("open_days", "max(days_between(entered_at, '2026-01-01'))");
  q.select("deal_days", "sum(days_between(opportunity_created_at, opportunity_closed_at))");
  q.where("days_between(entered_at, coalesce(exited_at, '2026-01-01')) >= 1");
  expect_same(q);
  const std::vector<std::pair<std::string, std::string>> stored = {{"stage_history", "entered_at"},
                                                                   {"stage_history", "exited_at"},
                                                                   {"opportunities", "created_at"},
                                                                   {"opportunities", "closed_at"}};
  auto alter = [&](bool add) {
    for (const char* variable : {"TALLY_TEST_CLICKHOUSE_ONE", "TALLY_TEST_CLICKHOUSE"}) {
      const std::string database = ch::parse_url(source(variable)).database;
      for (const auto& [table, column] : stored)
        for (const std::string& home : {table + "_local", table}) {
          const std::string name = "`" + database + "`." + home;
          on_every_shard(variable, "ALTER TABLE " + name +
                                       (add ? " ADD COLUMN " + ch::stored_epoch_column(column)
                                            : " DROP COLUMN " + column + "_epoch"));
        }
    }
  };
  // Added back even when the test fails (a column left dropped would only
  // slow the other tests, but they share the store).
  struct Restore {
    std::function<void()> run;
    ~Restore() {
      try {
        run();
      } catch (const std::exception& e) {
        ADD_FAILURE() << "cannot add the stored epochs back: " << e.what();
      }
    }
  } restore{[&] { alter(true); }};
  alter(false);
  expect_same(q);
}

// What a stored epoch holds (query::clickhouse_exact_epoch_seconds, the
// MATERIALIZED columns' expression) is Tally's own parse of the text across
// the calendar an import accepts, where the engine's DateTime wraps outside
// 1970..2105; text that is not a canonical timestamp or date gives NULL.
TEST(ClickhouseQueries, StoredEpochsAreExactAcrossTheCalendar) {
  std::vector<std::string> texts = {"0001-01-01",
                                    "1900-01-01",
                                    "1969-12-31 23:59:59",
                                    "1970-01-01",
                                    "2000-02-29 12:00:00",
                                    "2100-02-28 23:59:59",
                                    "2100-03-01",
                                    "2105-12-31 23:59:59",
                                    "2106-02-07 06:28:16",
                                    "9999-12-31 23:59:59",
                                    "2025-02-30",
                                    "2025-13-01",
                                    "2025-01-01 24:00:00",
                                    "2025-1-01",
                                    "01/02/2025",
                                    "2025-01-01T10:00:00",
                                    "",
                                    "2025-06-15 08:07:06.5"};
  char text[32];
  for (int year = 1; year <= 9999; year += 97)
    for (int month : {1, 2, 3, 12}) {
      std::snprintf(text, sizeof text, "%04d-%02d-%02d %02d:%02d:%02d", year, month, month == 2 ? 28 : 31,
                    year % 24, month * 4, year % 60);
      texts.push_back(text);
    }
  std::string list;
  for (const auto& t : texts) list += (list.empty() ? "" : ", ") + ch::literal(Value{t});
  const ch::Url url = ch::parse_url(source("TALLY_TEST_CLICKHOUSE"));
  ch::Client client(url, url.host + ":" + std::to_string(url.port), 30000);
  auto rows = client.query("SELECT x, " + tally::query::clickhouse_exact_epoch_seconds("x") +
                           " FROM (SELECT arrayJoin([" + list + "]) AS x)");
  size_t seen = 0;
  while (rows->next()) {
    const std::string& t = texts.at(seen++);
    SCOPED_TRACE(t);
    EXPECT_EQ(rows->get(0), Value{t});
    // Tally's parse takes a day past its month's end as invalid; the engine's
    // runs on into the next month, as SQLite's julianday does.
    if (t == "2025-02-30") {
      EXPECT_EQ(rows->get(1), Value{*tally::parse_timestamp("2025-03-02")});
    } else if (const auto expected =
                   t.size() == 10 || t.size() == 19 ? tally::parse_timestamp(t) : std::nullopt;
               expected && t[10] != 'T') {
      EXPECT_EQ(rows->get(1), Value{*expected});
    } else {
      EXPECT_TRUE(tally::is_null(rows->get(1))) << show(rows->get(1));
    }
  }
  EXPECT_EQ(seen, texts.size());
}

// Timestamps compared with dates (`<`, `>=`, in_period) or tested for NULL
// read the stored epochs and keep the text's rows: at the period's bounds, a
// bound parameter and a literal, on `t` and on a joined deal.
TEST(ClickhouseQueries, DateBoundsReadStoredEpochs) {
  Scope scope{"2025-10-01", "2026-01-01", std::nullopt, std::nullopt, 1, {}, "2026-01-01"};
  for (const char* day : {"2025-07-01", "2025-10-01", "2026-01-01"}) {
    SCOPED_TRACE(day);
    QueryBuilder q("stage_history");
    q.group_by("stage", "stage");
    q.select("entered_before", "count_if(entered_at < :day)");
    q.select("open_after", "count_if(exited_at is null or exited_at >= :day)");
    q.select("entered_in_period", "count_if(in_period(entered_at))");
    q.select("deal_closed",
             "count_if(opportunity_closed_at >= period_from and opportunity_closed_at < '2025-12-15')");
    q.select("exited_by_as_of", "count_if(exited_at < as_of)");
    q.select("still_open", "count_if(exited_at is null and opportunity_closed_at is not null)");
    q.where("entered_at < period_to");
    q.bind("day", day);
    expect_same(q, scope);
  }
}

// One SELECT straight from a sharded table: each shard aggregates, then the
// order and the limit apply to the merged groups.
TEST(ClickhouseQueries, OneSelectWithoutJoinsOrdersAndLimitsTheMergedGroups) {
  QueryBuilder q("activities");
  q.group_by("rep_id", "rep_id");
  q.select("type", "count_distinct(type)");
  q.select("occurred_at", "max(occurred_at)");
  q.select("n", "count(*)");
  q.where("type <> 'email'");
  q.order_by("n", true);
  q.limit(7);
  expect_same(q);
}

TEST(ClickhouseQueries, AliasesNamedLikeColumns) {
  QueryBuilder q("opportunities");
  q.group_by("stage", "stage");
  q.select("amount", "sum(amount)");
  q.select("won_amount", "sum(if(status = 'won', amount, 0))");
  q.select("status", "count_distinct(status)");
  expect_same(q);
}

TEST(ClickhouseQueries, NullTextDatesAndMixedLeast) {
  QueryBuilder q("opportunities");
  q.group_by("month", "bucket('month', closed_at)");
  q.select("days", "avg(days_between(created_at, closed_at))");
  q.select("capped", "least(count(*), 100.5)");
  q.select("floor", "greatest(count(*), 3)");
  expect_same(q);
}

TEST(ClickhouseQueries, FiscalQuartersAndFilters) {
  QueryBuilder q("opportunities");
  q.group_by("quarter", "bucket('quarter', created_at)");
  q.group_by("year", "bucket('year', created_at)");
  q.select("deals", "count(*)");
  Scope scope{"2025-10-01", "2026-01-01", std::nullopt, std::nullopt, 4, {{"region", {"EMEA", "NA"}}},
              "2026-01-01"};
  expect_same(q, scope);
}

TEST(ClickhouseQueries, LeadsJoinTheirDealThroughAComputedKey) {
  QueryBuilder q("leads");
  q.group_by("source", "source");
  q.select("leads", "count(*)");
  q.select("won", "count_if(opportunity_status = 'won')");
  q.select("amount", "sum(opportunity_amount)");
  expect_same(q);
}

TEST(ClickhouseQueries, DerivedSubscriptionEvents) {
  QueryBuilder q("subscription_events");
  q.group_by("type", "type");
  q.group_by("derived", "derived");
  q.select("events", "count(*)");
  q.select("mrr", "sum(mrr_delta)");
  q.select("segment", "count_distinct(segment)");
  expect_same(q);
}

}  // namespace
