// `tally import` into ClickHouse (two shards, and one server): the same
// mapping and files imported into an SQLite file give the same summaries,
// the same rows (ids included) and the same rejects file; a re-import
// updates without duplicates; an import that fails part-way (a hard error
// after rows were written, or the process killed) leaves the tables as they
// were. The figures themselves are checked by hand on SQLite
// (tests/import_*.cpp, same fixtures). The cluster comes from the
// environment import.sh sets (the ctest fixture's).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "import/importer.hpp"
#include "plugins/registry.hpp"
#include "store/clickhouse/http.hpp"
#include "store/schema.hpp"
#include "store/store.hpp"
#include "support/fixture.hpp"
#include "support/import_fixtures.hpp"

namespace {

namespace fs = std::filesystem;
namespace ch = tally::store::clickhouse;
using namespace tally::import;
using tally::Value;
using tally::testing::slurp;
using tally::testing::TempDir;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  if (!value || !*value) throw std::runtime_error(std::string(name) + " is not set (run import.sh)");
  return value;
}

std::string shard(int n) {
  return "127.0.0.1:" + env(n == 1 ? "CH_HTTP_PORT1" : "CH_HTTP_PORT2");
}

// SQL on one shard's server.
std::string on_shard(int n, const std::string& sql) {
  const ch::Url url = ch::parse_url("clickhouse://" + shard(n) + "/default?cluster=tally");
  ch::Client client(url, shard(n), 60000);
  return client.post(sql);
}

// A database that does not exist on either server (the import creates the
// store); its URL on two shards or on the first server alone.
std::string fresh(const std::string& database, bool two_shards) {
  for (int n : {1, 2}) on_shard(n, "DROP DATABASE IF EXISTS `" + database + "`");
  if (two_shards)
    return "clickhouse://" + shard(1) + "/" + database + "?cluster=tally&shards=" + shard(1) + "," + shard(2);
  return "clickhouse://" + shard(1) + "/" + database + "?cluster=tally_one";
}

std::string text_of(const Value& v) {
  if (tally::is_null(v)) return "NULL";
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", *d);
    return buf;
  }
  return "'" + std::get<std::string>(v) + "'";
}

// The columns of a table to compare (the import's times and file paths aside).
std::string columns_of(const tally::store::TableDescription& table) {
  std::string columns;
  for (const auto& c : table.columns) {
    if (table.name == "imports" && (c.name == "started_at" || c.name == "finished_at" || c.name == "files"))
      continue;
    columns += (columns.empty() ? "" : ", ") + c.name;
  }
  return columns;
}

template <typename Rows>
void append_rows(std::string& out, const std::string& table, Rows& rows) {
  while (rows.next()) {
    out += table + ":";
    for (size_t i = 0; i < rows.column_count(); ++i) out += " " + text_of(rows.get(i));
    out += "\n";
  }
}

// Every canonical table, row by row in id order.
std::string dump(const std::string& source) {
  std::string out;
  if (tally::store::engine_of(source) == "clickhouse") {
    const ch::Url url = ch::parse_url(source);
    ch::Client client(url, shard(1), 60000);
    for (const auto& table : tally::store::canonical_tables()) {
      if (table.name == "schema_version") continue;
      auto rows = client.query("SELECT " + columns_of(table) + " FROM `" + url.database + "`." + table.name +
                               " ORDER BY " + table.columns.at(0).name);
      append_rows(out, table.name, *rows);
    }
    return out;
  }
  auto store = tally::store::open_store(source);
  for (const auto& table : tally::store::canonical_tables()) {
    if (table.name == "schema_version") continue;
    auto q = store->prepare("SELECT " + columns_of(table) + " FROM " + table.name + " ORDER BY " +
                            table.columns.at(0).name);
    auto rows = q->query();
    append_rows(out, table.name, *rows);
  }
  return out;
}

// The summary as the CLI prints it, without what differs by engine.
std::string shown(ImportSummary s) {
  s.seconds = 1;
  if (!s.rejects_path.empty()) s.rejects_path = "REJECTS";
  return format_summary(s);
}

struct Imported {
  std::string summary, error;
};

Imported import(const std::string& mapping, const std::string& source, const std::vector<std::string>& files,
                const SourceOpener& opener = {}, bool strict = false) {
  ImportOptions options{mapping, source, files};
  options.strict = strict;
  try {
    if (opener) return {shown(run_import(options, opener)), ""};
    tally::plugins::Registry registry({TALLY_TEST_PLUGIN_DIR});
    return {shown(run_import(options, registry)), ""};
  } catch (const std::exception& e) {
    return {"", e.what()};
  }
}

// Deals D1..D`total`, owners looked up by name; `bad` > 0: that row's
// amount is not a number; `signal_fd` >= 0: a byte is written there at
// row `signal_at` (then the rows go on).
SourceOpener deals(uint64_t total, uint64_t bad = 0, int signal_fd = -1, uint64_t signal_at = 0) {
  return [=](const std::string&, const std::string&) {
    struct Source final : RecordSource {
      std::vector<std::string> cols = {"id", "owner", "amount", "stage", "created"};
      uint64_t n = 0, total = 0, bad = 0, signal_at = 0;
      int fd = -1;
      const std::vector<std::string>& columns() const override { return cols; }
      bool next(Record& r) override {
        if (++n > total) return false;
        if (n == signal_at && fd >= 0) {
          char c = 'x';
          if (write(fd, &c, 1) != 1) _exit(3);
        }
        r.line = n + 1;
        r.fields = {"D" + std::to_string(n), "Rep " + std::to_string(n % 7),
                    n == bad ? std::string("lots") : std::to_string(n) + ".5", n % 3 ? "Open" : "Won",
                    "2024-01-" + std::to_string(10 + n % 20)};
        return true;
      }
      void progress(uint64_t& done, uint64_t& all) override { done = n, all = 0; }
    };
    auto s = std::make_unique<Source>();
    s->total = total, s->bad = bad, s->fd = signal_fd, s->signal_at = signal_at;
    return s;
  };
}

// An SQLite file and a ClickHouse database (two shards), fresh; rejects
// files land in the folder the test runs in.
class ClickhouseImport : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    database_ = "import_" + name;
    sqlite_ = dir_.file("import.db");
    clickhouse_ = fresh(database_, true);
    old_cwd_ = fs::current_path();
    fs::current_path(dir_.path());
  }
  void TearDown() override { fs::current_path(old_cwd_); }

  // Imports into both and expects the same summary (or error), rejects and rows.
  void same_on_both(const std::string& mapping, const std::vector<std::string>& files,
                    const SourceOpener& opener = {}, const std::string& other = "") {
    const std::string target = other.empty() ? clickhouse_ : other;
    const Imported lite = import(mapping, sqlite_, files, opener);
    const Imported house = import(mapping, target, files, opener);
    EXPECT_EQ(lite.error, "");
    EXPECT_EQ(house.error, "");
    EXPECT_EQ(house.summary, lite.summary);
    EXPECT_EQ(slurp(ch::parse_url(target).database + ".rejects.csv"), slurp(sqlite_ + ".rejects.csv"));
    EXPECT_EQ(dump(target), dump(sqlite_));
    last_summary_ = lite.summary;
  }

  // Tables the import made and left behind on either server.
  std::string leftovers() {
    std::string out;
    for (int n : {1, 2})
      out += on_shard(n, "SELECT name FROM system.tables WHERE database = '" + database_ +
                             "' AND (endsWith(name, '__imp') OR endsWith(name, '__imp_new') OR "
                             "endsWith(name, '__imp_old'))");
    return out;
  }

  TempDir dir_;
  std::string database_, sqlite_, clickhouse_, last_summary_;
  fs::path old_cwd_;
};

// Lookups of rows this import inserted (leads -> deals), a field copied by a
// lookup, `where:`, subscription events by external id, a lookup that
// creates its row, a second file that fills only the columns it maps; then
// the same files again: updates only, no duplicates, the same rows.
TEST_F(ClickhouseImport, SameRowsAsSqliteAndReimport) {
  using namespace tally::testing;
  const std::string funnel = dir_.write("funnel.yaml", kFunnelMapping);
  const std::string funnel_csv = dir_.write("funnel.csv", kFunnelCsv);
  same_on_both(funnel, {funnel_csv});
  same_on_both(dir_.write("churn.yaml", kChurnMapping), {dir_.write("churn.csv", kChurnCsv)});
  const std::string deals_csv = dir_.write("deals.csv",
                                           "id,owner,amount,stage,created\n"
                                           "A1,Ann,\"$1,200.00\",Open,2024-01-05\n"
                                           "A2,Ann,100\n"
                                           "A3,Bob,lots,Won,2024-01-07\n"
                                           "A4,Cy,5,Won,2024-01-08\n");
  same_on_both(dir_.write("deals.yaml", kDealsMapping), {deals_csv});
  EXPECT_NE(last_summary_.find("2 rejected rows"), std::string::npos) << last_summary_;
  // Again: every row is there already.
  same_on_both(funnel, {funnel_csv});
  EXPECT_NE(last_summary_.find("updated"), std::string::npos);
  EXPECT_EQ(on_shard(1, "SELECT count(), uniqExact(external_id) FROM " + database_ + ".leads"), "4\t4\n");
  EXPECT_EQ(leftovers(), "");
}

// The same files into one server (cluster tally_one): the same rows.
TEST_F(ClickhouseImport, OneServer) {
  using namespace tally::testing;
  same_on_both(dir_.write("funnel.yaml", kFunnelMapping), {dir_.write("funnel.csv", kFunnelCsv)}, {},
               fresh(database_ + "_one", false));
}

// Repeated ids with `on_duplicate: last` across 25,000 rows (two batches),
// rejects between good rows: counted alike, the last row wins alike; the
// deals spread over both shards by their id.
TEST_F(ClickhouseImport, RepeatedIdsAcrossBatches) {
  using namespace tally::testing;
  std::string yaml = kDealsMapping;
  yaml.replace(yaml.find("    id: id\n"), 11, "    id: id\n    on_duplicate: last\n");
  const std::string mapping = dir_.write("last.yaml", yaml);
  std::ofstream(dir_.file("deals.csv")) << "placeholder";
  SourceOpener opener = repeated_ids_opener(25000, 21000, 997);
  same_on_both(mapping, {dir_.file("deals.csv")}, opener);
  const std::string one = on_shard(1, "SELECT count() FROM " + database_ + ".opportunities_local");
  const std::string two = on_shard(2, "SELECT count() FROM " + database_ + ".opportunities_local");
  EXPECT_GT(std::stoi(one), 9000);
  EXPECT_GT(std::stoi(two), 9000);
}

// A hard error after a batch was written (--strict, a bad amount on row
// 24,000 of 30,000), then the process killed while it writes: the tables
// are as they were; the next import goes on as if nothing happened.
TEST_F(ClickhouseImport, FailedImportLeavesTablesAsTheyWere) {
  using namespace tally::testing;
  const std::string mapping = dir_.write("m.yaml", kDealsMapping);
  std::ofstream(dir_.file("deals.csv")) << "placeholder";
  ASSERT_EQ(import(mapping, clickhouse_, {dir_.file("deals.csv")}, deals(1000)).error, "");
  const std::string before = dump(clickhouse_);
  ASSERT_NE(before.find("opportunities: 1000 "), std::string::npos);

  const Imported strict = import(mapping, clickhouse_, {dir_.file("deals.csv")}, deals(30000, 24000), true);
  EXPECT_NE(strict.error.find("deals.csv:24001"), std::string::npos) << strict.error;
  EXPECT_NE(strict.error.find("nothing was imported"), std::string::npos) << strict.error;
  EXPECT_EQ(dump(clickhouse_), before);
  EXPECT_EQ(leftovers(), "");

  ASSERT_NO_FATAL_FAILURE(kill_when_ready([&](int ready_fd) {
    ImportOptions options{mapping, clickhouse_, {dir_.file("deals.csv")}};
    run_import(options, deals(60000, 0, ready_fd, 45000));  // after two batches went in
  }));
  EXPECT_EQ(dump(clickhouse_), before);
  EXPECT_NE(leftovers(), "");  // what the killed import wrote, never visible

  ImportOptions options{mapping, clickhouse_, {dir_.file("deals.csv")}};
  const auto next = run_import(options, deals(1010));
  EXPECT_EQ(next.files[0].inserted, 10);
  EXPECT_EQ(next.files[0].updated, 1000);
  EXPECT_EQ(leftovers(), "");
  EXPECT_EQ(on_shard(1, "SELECT count(), max(id) FROM " + database_ + ".opportunities"), "1010\t1010\n");
}

}  // namespace
