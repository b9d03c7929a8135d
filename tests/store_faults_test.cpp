// Faults of the store during an import (issue 15): a full disk, a short
// write, an I/O error and memory running out abort the whole import with a
// message naming the cause, and leave the store exactly as it was. Faults are
// injected through a test-only VFS (support/faulty_vfs.hpp), so these run
// anywhere without mounting anything. Also: NUL and other control characters
// are rejects, and a held lock is named as such.
#include <gtest/gtest.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "import/importer.hpp"
#include "store/engine_error.hpp"
#include "support/faulty_vfs.hpp"
#include "support/fixture.hpp"
#include "support/import_fixtures.hpp"

namespace fs = std::filesystem;
using namespace tally::import;
using tally::store::EngineError;
using tally::store::Fault;
using tally::testing::TempDir;

using tally::testing::slurp;

namespace {

class MemorySource final : public RecordSource {
 public:
  MemorySource(std::vector<std::string> columns, std::function<bool(uint64_t, Record&)> make)
      : columns_(std::move(columns)), make_(std::move(make)) {}
  const std::vector<std::string>& columns() const override { return columns_; }
  bool next(Record& out) override { return make_(++n_, out); }
  void progress(uint64_t& done, uint64_t& total) override { done = n_, total = 0; }

 private:
  std::vector<std::string> columns_;
  std::function<bool(uint64_t, Record&)> make_;
  uint64_t n_ = 0;
};

// Deals D<first>..D<first+n-1>, owners "Rep <i % reps>".
SourceOpener deals(uint64_t first, uint64_t n, uint64_t reps = 7) {
  return [=](const std::string&, const std::string&) {
    return std::make_unique<MemorySource>(
        std::vector<std::string>{"id", "owner", "amount", "stage", "created"}, [=](uint64_t i, Record& r) {
          if (i > n) return false;
          const uint64_t k = first + i - 1;
          r.line = i + 1;
          r.fields = {"D" + std::to_string(k), "Rep " + std::to_string(k % reps),
                      "$" + std::to_string(k) + ".25", k % 3 ? "Open" : "Won",
                      "2024-02-" + std::to_string(10 + k % 15)};
          return true;
        });
  };
}

// Everything a failed import could have changed, read with the default VFS.
struct Snapshot {
  int64_t deals = 0, reps = 0, stages = 0;
  double amount = 0;
  std::string schema;  // every table and index with its SQL
  std::string integrity;
  bool operator==(const Snapshot&) const = default;
};

std::ostream& operator<<(std::ostream& o, const Snapshot& s) {
  return o << s.deals << " deals, " << s.reps << " reps, " << s.stages << " stages, amount " << s.amount
           << ", integrity " << s.integrity << "\n"
           << s.schema;
}

Snapshot snapshot(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  Snapshot s;
  auto one = [&](const std::string& sql) {
    SQLite::Statement q(db, sql);
    q.executeStep();
    return q.getColumn(0);
  };
  s.deals = one("SELECT count(*) FROM opportunities").getInt64();
  s.reps = one("SELECT count(*) FROM reps").getInt64();
  s.stages = one("SELECT count(*) FROM stages").getInt64();
  s.amount = one("SELECT coalesce(sum(amount), 0) FROM opportunities").getDouble();
  s.integrity = one("PRAGMA integrity_check").getString();
  SQLite::Statement q(db, "SELECT type, name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name");
  while (q.executeStep())
    s.schema += q.getColumn(0).getString() + " " + q.getColumn(1).getString() + ": " +
                q.getColumn(2).getString() + "\n";
  return s;
}

struct Store {
  TempDir dir;
  std::string mapping = dir.write("m.yaml", tally::testing::kDealsMapping);
  std::string db = dir.file("d.db");
  std::string csv = dir.write("deals.csv", "placeholder");

  ImportOptions options() const {
    ImportOptions o{mapping, db, {csv}};
    o.test_vfs = tally::testing::kFaultyVfs;
    o.test_cache_kib = 64;  // pages spill to the log while rows go in, not only at the commit
    return o;
  }
};

// Writes a clean import of 8000 deals (into a store of 1000) makes.
int64_t writes_of_clean_import() {
  Store s;
  ImportOptions o = s.options();
  o.test_vfs.clear();
  run_import(o, deals(1, 1000));
  tally::testing::arm_write_fault(tally::testing::WriteFault::None, 0);
  o.test_vfs = tally::testing::kFaultyVfs;
  run_import(o, deals(500, 8000));
  return tally::testing::writes_seen();
}

// Imports 8000 deals (500 of them updates) into a store of 1000 with `fault`
// armed after `after` writes: the import must fail with `expected`, and the
// store must be as it was.
void expect_fault_changes_nothing(tally::testing::WriteFault fault, int64_t after, Fault expected,
                                  const std::string& words) {
  SCOPED_TRACE("fault after " + std::to_string(after) + " writes");
  Store s;
  ImportOptions clean = s.options();
  clean.test_vfs.clear();
  run_import(clean, deals(1, 1000));
  const Snapshot before = snapshot(s.db);
  const std::string bytes_before = slurp(s.db);
  ASSERT_EQ(before.deals, 1000);

  tally::testing::arm_write_fault(fault, after);
  try {
    run_import(s.options(), deals(500, 8000));
    const int64_t seen = tally::testing::writes_seen();
    tally::testing::arm_write_fault(tally::testing::WriteFault::None, 0);
    FAIL() << "the import succeeded; writes seen " << seen;
  } catch (const EngineError& e) {
    tally::testing::arm_write_fault(tally::testing::WriteFault::None, 0);
    EXPECT_EQ(e.fault(), expected) << e.what();
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("nothing was imported, the store is as it was"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(snapshot(s.db), before);
  EXPECT_EQ(slurp(s.db), bytes_before) << "the store's file changed";
  EXPECT_FALSE(fs::exists(s.db + ".rejects.csv"));
}

}  // namespace

TEST(ImportFaults, DiskFullAnywhereInTheImportChangesNothing) {
  const int64_t total = writes_of_clean_import();
  ASSERT_GT(total, 40) << "the import should write pages before its commit";
  // About half the writes of a clean import come after its commit (the log
  // is checkpointed into the file): faults are placed before that.
  for (int64_t after : {int64_t{0}, int64_t{3}, total / 8, total / 4, total * 3 / 8})
    expect_fault_changes_nothing(tally::testing::WriteFault::FullAfter, after, Fault::DiskFull,
                                 "the disk holding '");
}

TEST(ImportFaults, DiskFullMessageSaysHowMuchIsFree) {
  Store s;
  tally::testing::arm_write_fault(tally::testing::WriteFault::FullAfter, 10);
  try {
    run_import(s.options(), deals(1, 5000));
    FAIL() << "the import succeeded";
  } catch (const EngineError& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find("the disk holding '" + s.db + "' is full: "), std::string::npos) << text;
    EXPECT_NE(text.find(" MB free"), std::string::npos) << text;
    EXPECT_EQ(text.find("already exists"), std::string::npos) << text;
  }
  tally::testing::arm_write_fault(tally::testing::WriteFault::None, 0);
  // The import created the file: it leaves nothing behind.
  EXPECT_FALSE(fs::exists(s.db));
  EXPECT_FALSE(fs::exists(s.db + "-journal"));
}

TEST(ImportFaults, ShortWriteChangesNothing) {
  const int64_t total = writes_of_clean_import();
  for (int64_t after : {int64_t{2}, total / 6, total / 3})
    expect_fault_changes_nothing(tally::testing::WriteFault::ShortWrite, after, Fault::DiskFull, "is full");
}

TEST(ImportFaults, IoErrorChangesNothing) {
  const int64_t total = writes_of_clean_import();
  for (int64_t after : {int64_t{1}, total / 8, total / 4, total * 3 / 8})
    expect_fault_changes_nothing(tally::testing::WriteFault::IoErrorAt, after, Fault::Io,
                                 "failed a read or write");
}

// Memory runs out: SQLite's heap limit, far below what the import's page
// cache wants.
TEST(ImportFaults, OutOfMemoryChangesNothing) {
  Store s;
  ImportOptions o = s.options();
  o.test_vfs.clear();
  o.test_cache_kib = 0;  // the import's own 32 MB cache
  run_import(o, deals(1, 1000));
  const Snapshot before = snapshot(s.db);
  const sqlite3_int64 old_limit = sqlite3_hard_heap_limit64(sqlite3_memory_used() + 256 * 1024);
  bool failed = false;
  try {
    run_import(o, deals(500, 40000));
  } catch (const EngineError& e) {
    failed = true;
    EXPECT_EQ(e.fault(), Fault::NoMemory) << e.what();
    EXPECT_NE(std::string(e.what()).find("out of memory"), std::string::npos) << e.what();
  }
  sqlite3_hard_heap_limit64(old_limit);
  EXPECT_TRUE(failed) << "the import fit in the heap limit";
  EXPECT_EQ(snapshot(s.db), before);
}

// A constraint broken by one row is still that row's reject, not a fault:
// an id twice in one file, with the multi-row insert falling back to rows.
TEST(ImportFaults, ConstraintViolationsStayRowRejects) {
  Store s;
  ImportOptions o = s.options();
  o.test_vfs.clear();
  const std::string mapping = s.dir.write("dup.yaml", R"(files:
  deals.csv:
    table: products
    id: id
    fields:
      name: name
)");
  o.mapping_path = mapping;
  auto opener = [](const std::string&, const std::string&) {
    // products.name is UNIQUE: rows 2 and 3 share a name under different ids.
    return std::make_unique<MemorySource>(std::vector<std::string>{"id", "name"}, [](uint64_t i, Record& r) {
      if (i > 200) return false;
      r.line = i + 1;
      r.fields = {"R" + std::to_string(i), i == 3 ? "Name 2" : "Name " + std::to_string(i)};
      return true;
    });
  };
  ImportSummary summary = run_import(o, opener);
  ASSERT_EQ(summary.files.size(), 1u);
  EXPECT_EQ(summary.files[0].inserted, 199);
  EXPECT_EQ(summary.files[0].rejected, 1);
  ASSERT_EQ(summary.rejects.size(), 1u);
  EXPECT_EQ(summary.rejects[0].line, 4u);
  EXPECT_NE(summary.rejects[0].reason.find("UNIQUE"), std::string::npos) << summary.rejects[0].reason;
}

// ---------------------------------------------------------------- control characters

TEST(ImportControlCharacters, NulAndOtherC0AreRejectsWithLineAndColumn) {
  Store s;
  ImportOptions o = s.options();
  o.test_vfs.clear();
  auto opener = [](const std::string&, const std::string&) {
    return std::make_unique<MemorySource>(
        std::vector<std::string>{"id", "owner", "amount", "stage", "created"}, [](uint64_t i, Record& r) {
          if (i > 4) return false;
          r.line = i + 1;
          std::string owner = "Moses Frase";
          if (i == 2) owner[5] = '\0';
          if (i == 3) owner = "Ann\nB\x1b[31m";       // an escape on the 2nd line
          if (i == 4) owner = "Tab\tand\r\nnewline";  // allowed
          r.fields = {"D" + std::to_string(i), owner, "1", "Open", "2024-01-02"};
          return true;
        });
  };
  ImportSummary summary = run_import(o, opener);
  EXPECT_EQ(summary.files[0].inserted, 2);
  EXPECT_EQ(summary.files[0].rejected, 2);
  ASSERT_EQ(summary.rejects.size(), 2u);
  EXPECT_EQ(summary.rejects[0].column, "owner");
  EXPECT_EQ(summary.rejects[0].line, 3u);
  EXPECT_EQ(summary.rejects[0].reason,
            "control character U+0000 in column 'owner' at line 3, column 6; remove it from the file");
  EXPECT_EQ(summary.rejects[1].reason,
            "control character U+001B in column 'owner' at line 5, column 2; remove it from the file");
  SQLite::Database db(s.db, SQLite::OPEN_READONLY);
  SQLite::Statement q(db, "SELECT count(*) FROM reps WHERE instr(name, char(0)) > 0 OR name LIKE 'Moses%'");
  q.executeStep();
  EXPECT_EQ(q.getColumn(0).getInt(), 1);  // only the clean "Moses Frase" of row 1
}

// ---------------------------------------------------------------- locks

TEST(ImportLocks, AnotherWriterIsNamedAfterTheBusyTimeout) {
  Store s;
  ImportOptions o = s.options();
  o.test_vfs.clear();
  run_import(o, deals(1, 10));
  SQLite::Database holder(s.db, SQLite::OPEN_READWRITE);
  holder.exec("BEGIN IMMEDIATE");
  o.busy_timeout_ms = 300;
  const auto started = std::chrono::steady_clock::now();
  try {
    run_import(o, deals(1, 10));
    FAIL() << "the import went through a held lock";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.fault(), Fault::Busy);
    EXPECT_NE(std::string(e.what()).find("another import is writing '" + s.db + "'; try again when it ends"),
              std::string::npos)
        << e.what();
    EXPECT_EQ(std::string(e.what()).find("is it an SQLite file"), std::string::npos) << e.what();
  }
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_GE(waited, 0.25);
  EXPECT_LT(waited, 3.0);
  holder.exec("ROLLBACK");
}
