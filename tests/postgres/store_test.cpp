// The write interface (store/store.hpp) on both engines: typed statements,
// bulk rows, upserts that count inserted and updated rows, transactions,
// secondary indexes. PostgreSQL from TALLY_TEST_POSTGRES (query_cases.sh);
// SQLite in a temporary file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "store/backend.hpp"
#include "store/schema.hpp"
#include "store/store.hpp"

namespace {

namespace fs = std::filesystem;
using tally::Value;
using tally::store::Store;

std::string postgres_source() {
  const char* value = std::getenv("TALLY_TEST_POSTGRES");
  if (!value || !*value) throw std::runtime_error("TALLY_TEST_POSTGRES is not set (run query_cases.sh)");
  return value;
}

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      sqlite_path_ =
          (fs::temp_directory_path() / ("tally-store-test-" + std::to_string(::getpid()) + ".db")).string();
      source_ = sqlite_path_;
      store_ = tally::store::create_replacement(source_);
      store_->publish();
      store_.reset();
    } else {
      source_ = postgres_source();
    }
    store_ = tally::store::open_store(source_);
    store_->begin();
  }
  void TearDown() override {
    if (store_) store_->rollback();
    store_.reset();
    if (!sqlite_path_.empty()) fs::remove(sqlite_path_);
  }
  Value scalar(const std::string& sql) {
    auto statement = store_->prepare(sql);
    auto rows = statement->query();
    return rows->next() ? rows->get(0) : Value{};
  }

  std::string source_, sqlite_path_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, SchemaIsTheLatest) {
  EXPECT_EQ(store_->schema_version(), tally::store::latest_schema_version());
  EXPECT_EQ(store_->dialect().name(), GetParam());
}

TEST_P(StoreTest, TypedStatementsWriteAndReadBack) {
  auto insert = store_->prepare(
      "INSERT INTO targets (kpi, rep_id, period_start, period_end, value) VALUES (?, ?, ?, ?, ?)");
  insert->bind(1, std::string_view("store_test"));
  insert->bind(2, int64_t{7});
  insert->bind(3, std::string_view("2025-01-01"));
  insert->bind(4, std::string_view("2025-04-01"));
  insert->bind(5, 1216.38);
  EXPECT_EQ(insert->execute(), 1);
  insert->bind_null(2);
  insert->bind(5, 0.1);
  EXPECT_EQ(insert->execute(), 1);
  EXPECT_EQ(scalar("SELECT value FROM targets WHERE kpi = 'store_test' AND rep_id = 7"), Value{1216.38});
  EXPECT_EQ(scalar("SELECT count(*) FROM targets WHERE kpi = 'store_test' AND rep_id IS NULL"),
            Value{int64_t{1}});
  // Sums of bigint are integers, of reals reals, on both engines.
  EXPECT_EQ(scalar("SELECT sum(rep_id) FROM targets WHERE kpi = 'store_test'"), Value{int64_t{7}});
  auto with_param = store_->prepare("SELECT count(*) FROM targets WHERE kpi = ? AND value > ?");
  with_param->bind(1, std::string_view("store_test"));
  with_param->bind(2, 1.0);
  auto rows = with_param->query();
  ASSERT_TRUE(rows->next());
  EXPECT_EQ(rows->get(0), Value{int64_t{1}});
}

TEST_P(StoreTest, BulkRowsKeepTextAsWritten) {
  {
    auto sink = store_->bulk_insert("metadata", {"key", "value"});
    sink->text("store_test tab\there");
    sink->text("back\\slash\nnew line");
    sink->end_row();
    sink->text("store_test null");
    sink->null();
    sink->end_row();
    EXPECT_EQ(sink->rows(), 2);
  }
  EXPECT_EQ(scalar("SELECT value FROM metadata WHERE key = 'store_test tab\there'"),
            Value{std::string("back\\slash\nnew line")});
  EXPECT_EQ(scalar("SELECT count(*) FROM metadata WHERE key = 'store_test null' AND value IS NULL"),
            Value{int64_t{1}});
}

TEST_P(StoreTest, UpsertCountsInsertedAndUpdatedRows) {
  {
    auto upsert = store_->bulk_upsert("teams", {"external_id", "name", "region"}, "external_id");
    for (const char* id : {"t-a", "t-b"}) {
      upsert->text(id);
      upsert->text(std::string("Team ") + id);
      upsert->text("EMEA");
      upsert->end_row();
    }
    const auto first = upsert->finish();
    EXPECT_EQ(first.inserted, 2);
    EXPECT_EQ(first.updated, 0);
  }
  {
    auto upsert = store_->bulk_upsert("teams", {"external_id", "name", "region"}, "external_id");
    for (const char* id : {"t-b", "t-c"}) {
      upsert->text(id);
      upsert->text(std::string("Renamed ") + id);
      upsert->text("APAC");
      upsert->end_row();
    }
    const auto second = upsert->finish();
    EXPECT_EQ(second.inserted, 1);
    EXPECT_EQ(second.updated, 1);
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM teams WHERE external_id LIKE 't-%'"), Value{int64_t{3}});
  EXPECT_EQ(scalar("SELECT name FROM teams WHERE external_id = 't-b'"), Value{std::string("Renamed t-b")});
  EXPECT_EQ(scalar("SELECT region FROM teams WHERE external_id = 't-a'"), Value{std::string("EMEA")});
}

TEST_P(StoreTest, SecondaryIndexesDropAndComeBack) {
  const auto created = store_->drop_secondary_indexes();
  EXPECT_GE(created.size(), 10u);
  for (const auto& sql : created) store_->exec(sql);
  EXPECT_TRUE(store_->drop_secondary_indexes().size() == created.size());
  for (const auto& sql : created) store_->exec(sql);
}

// A run's metrics (one connection each, --jobs) read one snapshot: a row
// another session commits after the run opened its first connection is
// seen by none of them, and by the next run.
TEST(PostgresRun, MetricConnectionsReadOneSnapshot) {
  const std::string source = postgres_source();
  auto count = [](tally::store::Connection& c) {
    const tally::query::CompiledQuery q{
        "SELECT count(*) FROM metadata WHERE key = $1", {Value{std::string("snapshot_test")}}, {"n"}};
    auto rows = c.execute(q);
    EXPECT_TRUE(rows->next());
    return rows->get(0);
  };
  auto write = [&](const std::string& sql) {
    auto store = tally::store::open_store(source);
    store->begin();
    store->exec(sql);
    store->commit();
  };
  write("DELETE FROM metadata WHERE key = 'snapshot_test'");
  auto run = tally::store::open_backend(source);
  auto first = run->connect();
  EXPECT_EQ(count(*first), Value{int64_t{0}});
  write("INSERT INTO metadata (key, value) VALUES ('snapshot_test', 'committed during the run')");
  auto second = run->connect();  // a metric starting after the commit
  EXPECT_EQ(count(*second), Value{int64_t{0}});
  EXPECT_EQ(count(*first), Value{int64_t{0}});
  auto next_run = tally::store::open_backend(source);
  auto later = next_run->connect();
  EXPECT_EQ(count(*later), Value{int64_t{1}});
  write("DELETE FROM metadata WHERE key = 'snapshot_test'");
}

INSTANTIATE_TEST_SUITE_P(Engines, StoreTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

}  // namespace
