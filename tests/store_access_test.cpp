// How `tally run`/`check` reach a store they cannot change (issue 15): a
// WAL-mode store on a read-only file in a read-only folder runs every shipped
// config; a lock held by an import is named after --busy-timeout, never taken
// for "is it an SQLite file?".
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <chrono>
#include <filesystem>

#include "support/command.hpp"
#include "support/fixture.hpp"

namespace fs = std::filesystem;
using namespace tally::testing;

namespace {

std::vector<std::string> shipped_configs() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(std::string(TALLY_SOURCE_DIR) + "/configs"))
    if (e.path().extension() == ".yaml" && e.path().filename() != "maven-crm.yaml")
      out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string journal_mode(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  SQLite::Statement q(db, "PRAGMA journal_mode");
  q.executeStep();
  return q.getColumn(0).getString();
}

}  // namespace

// Root ignores file permissions: as root the commands run as `nobody`.
TEST(ReadOnlyStore, EveryShippedConfigRunsOnAReadOnlyWalStore) {
  TempDir dir;
  fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                  fs::perms::others_read | fs::perms::others_exec);
  const std::string folder = dir.file("ro");
  fs::create_directory(folder);
  const std::string db = folder + "/demo.db";
  fs::copy_file(demo_database(), db);
  {
    SQLite::Database w(db, SQLite::OPEN_READWRITE);
    w.exec("PRAGMA journal_mode = WAL");
    w.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  ASSERT_EQ(journal_mode(db), "wal");
  // As on a snapshot or a copied file: the store alone, its log empty and gone.
  ASSERT_EQ(fs::exists(db + "-wal") ? fs::file_size(db + "-wal") : 0u, 0u);
  fs::remove(db + "-wal");
  fs::remove(db + "-shm");
  chmod(db.c_str(), 0444);
  chmod(folder.c_str(), 0555);
  const std::string as_user = geteuid() == 0 ? "setpriv --reuid=nobody --regid=nogroup --clear-groups " : "";
  const auto configs = shipped_configs();
  ASSERT_GE(configs.size(), 5u);
  for (const auto& config : configs) {
    SCOPED_TRACE(config);
    auto r =
        run_shell(as_user + "'" + TALLY_EXE + "' run '" + config + "' --data '" + db + "' --format json");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("\"status\": \"ok\""), std::string::npos) << r.out.substr(0, 300);
    EXPECT_EQ(r.out.find("\"status\": \"failed\""), std::string::npos) << r.out.substr(0, 2000);
  }
  EXPECT_FALSE(fs::exists(db + "-shm"));
  chmod(folder.c_str(), 0755);
}

// The first import into a new store uses a rollback journal: while it holds
// the lock, a report waits --busy-timeout, then names the import.
TEST(StoreLocks, RunDuringAFirstImportNamesTheImport) {
  TempDir dir;
  const std::string db = dir.file("d.db");
  fs::copy_file(demo_database(), db);
  SQLite::Database holder(db, SQLite::OPEN_READWRITE);
  holder.exec("PRAGMA journal_mode = DELETE");
  holder.exec("BEGIN EXCLUSIVE");
  holder.exec("UPDATE stages SET probability = probability");
  const auto started = std::chrono::steady_clock::now();
  auto r = run_tally("check '" + std::string(TALLY_SOURCE_DIR) + "/configs/demo.yaml' --data '" + db +
                     "' --busy-timeout 0.5");
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("another import is writing '" + db + "'; try again when it ends"), std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("is it an SQLite file"), std::string::npos) << r.err;
  EXPECT_GE(waited, 0.5);
  holder.exec("ROLLBACK");
  // Free, the same store checks.
  auto ok = run_tally("check '" + std::string(TALLY_SOURCE_DIR) + "/configs/demo.yaml' --data '" + db + "'");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST(StoreLocks, ImportAndRunDocumentTheBusyTimeout) {
  for (const char* command : {"import", "run", "check", "recover"}) {
    auto r = run_tally(std::string(command) + " --help");
    EXPECT_NE(r.out.find("--busy-timeout"), std::string::npos) << command << "\n" << r.out;
  }
}
