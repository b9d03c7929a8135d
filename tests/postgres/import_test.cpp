// `tally import` on both engines: the same mapping and files imported into
// an SQLite file and a PostgreSQL database give the same summaries, the same
// tables (ids included) and the same rejects file; re-imports update
// without duplicates; a killed import leaves PostgreSQL as it was. The
// figures themselves are checked by hand on SQLite (tests/import_*.cpp, same
// fixtures: support/import_fixtures.hpp). The server comes from the
// environment import.sh sets (the ctest fixture's cluster).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "import/importer.hpp"
#include "plugins/registry.hpp"
#include "store/schema.hpp"
#include "store/store.hpp"
#include "support/fixture.hpp"
#include "support/import_fixtures.hpp"

namespace {

namespace fs = std::filesystem;
using namespace tally::import;
using tally::Value;
using tally::testing::slurp;
using tally::testing::TempDir;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  if (!value || !*value) throw std::runtime_error(std::string(name) + " is not set (run import.sh)");
  return value;
}

// A new, empty PostgreSQL database; its URL.
std::string fresh_database(const std::string& name) {
  const std::string command = "psql -q -X -v ON_ERROR_STOP=1 -d postgres -c 'DROP DATABASE IF EXISTS \"" +
                              name + "\"' -c 'CREATE DATABASE \"" + name + "\"' >/dev/null";
  if (std::system(command.c_str()) != 0) throw std::runtime_error("cannot create database " + name);
  return "postgresql://" + env("PGUSER") + "@" + env("PGHOST") + ":" + env("PGPORT") + "/" + name;
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

// Every canonical table, row by row in id order (the import's times and
// file paths aside).
std::string dump(const std::string& source) {
  auto store = tally::store::open_store(source);
  std::string out;
  for (const auto& table : tally::store::canonical_tables()) {
    std::string columns, order = table.columns.at(0).name;
    for (const auto& c : table.columns) {
      if (table.name == "imports" && (c.name == "started_at" || c.name == "finished_at" || c.name == "files"))
        continue;
      columns += (columns.empty() ? "" : ", ") + c.name;
    }
    auto q = store->prepare("SELECT " + columns + " FROM " + table.name + " ORDER BY " + order);
    auto rows = q->query();
    while (rows->next()) {
      out += table.name + ":";
      for (size_t i = 0; i < rows->column_count(); ++i) out += " " + text_of(rows->get(i));
      out += "\n";
    }
  }
  return out;
}

// The summary as the CLI prints it, without what differs by engine (time,
// where the rejects went).
std::string shown(ImportSummary s) {
  s.seconds = 1;
  if (!s.rejects_path.empty()) s.rejects_path = "REJECTS";
  return format_summary(s);
}

struct Imported {
  std::string summary, error;
};

Imported import(const std::string& mapping, const std::string& source, const std::vector<std::string>& files,
                const SourceOpener& opener = {}) {
  ImportOptions options{mapping, source, files};
  try {
    if (opener) return {shown(run_import(options, opener)), ""};
    tally::plugins::Registry registry({TALLY_TEST_PLUGIN_DIR});
    return {shown(run_import(options, registry)), ""};
  } catch (const std::exception& e) {
    return {"", e.what()};
  }
}

// An SQLite file and a PostgreSQL database, fresh; rejects files land in
// the folder the test runs in, so each engine's is read where it goes.
class BothEngines : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    sqlite_ = dir_.file("import.db");
    database_ = "import_" + name;
    for (auto& c : database_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    postgres_ = fresh_database(database_);
    old_cwd_ = fs::current_path();
    fs::current_path(dir_.path());
  }
  void TearDown() override { fs::current_path(old_cwd_); }

  // Imports into both and expects the same summary (or error) and tables.
  void same_on_both(const std::string& mapping, const std::vector<std::string>& files,
                    const SourceOpener& opener = {}) {
    const Imported lite = import(mapping, sqlite_, files, opener);
    const Imported pg = import(mapping, postgres_, files, opener);
    EXPECT_EQ(lite.error, "");
    EXPECT_EQ(pg.error, "");
    EXPECT_EQ(pg.summary, lite.summary);
    EXPECT_EQ(slurp(database_ + ".rejects.csv"), slurp(sqlite_ + ".rejects.csv"));
    EXPECT_EQ(dump(postgres_), dump(sqlite_));
    last_summary_ = lite.summary;
  }

  TempDir dir_;
  std::string sqlite_, postgres_, database_, last_summary_;
  fs::path old_cwd_;
};

int64_t count(const std::string& source, const std::string& sql) {
  auto store = tally::store::open_store(source);
  auto q = store->prepare(sql);
  auto rows = q->query();
  return rows->next() ? std::get<int64_t>(rows->get(0)) : -1;
}

}  // namespace

// The Maven CRM files (lookups of teams and managers into reps, products by
// name, accounts, stages), then the same files again: all updates.
TEST_F(BothEngines, MavenImportAndReimport) {
  using namespace tally::testing;
  same_on_both(kMavenMapping, maven_files());
  EXPECT_NE(last_summary_.find("8,800"), std::string::npos) << last_summary_;
  same_on_both(kMavenMapping, maven_files());
  EXPECT_EQ(count(postgres_, "SELECT count(*) FROM opportunities"), 8800);
  EXPECT_EQ(count(postgres_, "SELECT count(*) FROM reps"), 41);
  EXPECT_EQ(count(postgres_, "SELECT count(*) FROM imports"), 2);
  EXPECT_EQ(count(postgres_, "SELECT updated FROM imports ORDER BY id DESC LIMIT 1"),
            count(postgres_, "SELECT rows_read FROM imports ORDER BY id DESC LIMIT 1"));
}

// Without the mapping's GTXPro -> GTX Pro, 1,480 deals are rejects: the
// same rejects file on both engines.
TEST_F(BothEngines, RejectsFileIsTheSame) {
  using namespace tally::testing;
  std::string text = slurp(kMavenMapping);
  const std::string map = "map: {GTXPro: GTX Pro}";
  text.replace(text.find(map), map.size(), "");
  same_on_both(dir_.write("maven.yaml", text), maven_files());
  EXPECT_NE(last_summary_.find("1,480 rejected rows"), std::string::npos) << last_summary_;
}

// Lookups of rows this import inserted (leads -> deals), a field copied by a
// lookup, `where:`; subscription events by external id; a lookup that
// creates its row; a second file that fills only the columns it maps.
TEST_F(BothEngines, LookupsWhereAndSubscriptionEvents) {
  using namespace tally::testing;
  same_on_both(dir_.write("funnel.yaml", kFunnelMapping), {dir_.write("funnel.csv", kFunnelCsv)});
  same_on_both(dir_.write("churn.yaml", kChurnMapping), {dir_.write("churn.csv", kChurnCsv)});
  const std::string deals = dir_.write("deals.csv",
                                       "id,owner,amount,stage,created\n"
                                       "A1,Ann,\"$1,200.00\",Open,2024-01-05\n"
                                       "A2,Ann,100\n"
                                       "A3,Bob,lots,Won,2024-01-07\n"
                                       "A4,Cy,5,Won,2024-01-08\n");
  same_on_both(dir_.write("deals.yaml", kDealsMapping), {deals});
  EXPECT_EQ(count(postgres_, "SELECT count(*) FROM reps WHERE name IN ('Ann', 'Cy')"), 2);
}

// Repeated ids with each `on_duplicate`, rejects between good rows, 5,000
// rows (several batches): counted alike, the last row wins alike.
TEST_F(BothEngines, RepeatedIdsAndRejectsAcrossBatches) {
  using namespace tally::testing;
  for (const char* mode : {"reject", "first", "last"}) {
    std::string yaml = kDealsMapping;
    yaml.replace(yaml.find("    id: id\n"), 11, std::string("    id: id\n    on_duplicate: ") + mode + "\n");
    const std::string mapping = dir_.write(std::string(mode) + ".yaml", yaml);
    std::ofstream(dir_.file("deals.csv")) << "placeholder";
    SourceOpener opener = repeated_ids_opener(5000, 3000, 97);
    same_on_both(mapping, {dir_.file("deals.csv")}, opener);
  }
}

// SIGKILL while rows stream into the staging table (at the 300,000th of
// 400,000 deals read, the writer hundreds of COPYs in and busy with the
// next): the database is as it was.
TEST_F(BothEngines, KilledImportLeavesPostgresAsItWas) {
  using namespace tally::testing;
  const std::string mapping = dir_.write("m.yaml", kDealsMapping);
  std::ofstream(dir_.file("deals.csv")) << "placeholder";
  auto opener = [](uint64_t total, int signal_fd) -> SourceOpener {
    return [=](const std::string&, const std::string&) {
      struct Source final : RecordSource {
        std::vector<std::string> cols = {"id", "owner", "amount", "stage", "created"};
        uint64_t n = 0, total = 0;
        int fd = -1;
        const std::vector<std::string>& columns() const override { return cols; }
        bool next(Record& r) override {
          if (++n > total) return false;
          if (n == 300000 && fd >= 0) {
            char c = 'x';
            if (write(fd, &c, 1) != 1) _exit(3);  // and go on: the writer is busy with COPY and upserts
          }
          r.line = n + 1;
          r.fields = {"D" + std::to_string(n), "Rep " + std::to_string(n % 7), std::to_string(n) + ".5",
                      n % 3 ? "Open" : "Won", "2024-01-" + std::to_string(10 + n % 20)};
          return true;
        }
        void progress(uint64_t& done, uint64_t& all) override { done = n, all = 0; }
      };
      auto s = std::make_unique<Source>();
      s->total = total;
      s->fd = signal_fd;
      return s;
    };
  };
  ImportOptions options{mapping, postgres_, {dir_.file("deals.csv")}};
  run_import(options, opener(1000, -1));
  const std::string before = dump(postgres_);

  ASSERT_NO_FATAL_FAILURE(
      kill_when_ready([&](int ready_fd) { run_import(options, opener(400000, ready_fd)); }));
  EXPECT_EQ(dump(postgres_), before);
  // The next import goes on as if nothing happened (no lock, no staging left).
  const auto next = run_import(options, opener(1010, -1));
  EXPECT_EQ(next.files[0].inserted, 10);
  EXPECT_EQ(next.files[0].updated, 1000);
}
