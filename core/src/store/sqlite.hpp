// SQLite specifics: creating and migrating a store, and the SQL functions
// Tally registers on every connection.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <string>
#include <vector>

namespace tally::store {

// How a store is opened for writing.
struct WriteOptions {
  int busy_timeout_ms = 5000;  // how long to wait for another writer's lock
  std::string vfs;             // test-only: a registered SQLite VFS by name ("" = the default)
};

// Opens (creating if asked) an SQLite store for writing and brings its
// schema to the latest version. Throws StoreError when the directory does
// not exist or the file is not a Tally store, EngineError (engine_error.hpp)
// when the engine fails (locked, read-only, disk full...).
SQLite::Database open_for_writing(const std::string& path, bool create, const WriteOptions& options = {});

// `tally recover` on an SQLite file (store::recover): rolls back what an interrupted import left (a hot
// journal; uncommitted write-ahead log frames), checks the store and says
// what it did, one line. Throws StoreError (EngineError when locked).
std::string recover_sqlite(const std::string& path, int busy_timeout_ms);

// The schema_version of an open store (0 = not a Tally store).
int schema_version(SQLite::Database& db);

// Runs every pending migration, each in its own transaction. Returns how
// many ran.
int migrate(SQLite::Database& db);

// Refreshes the planner's table statistics (sqlite_stat1) after a bulk
// change. Without them SQLite guesses that every range matches a quarter of
// a table and picks join orders that read millions of rows instead of
// thousands. With no tables named, every table.
void refresh_statistics(SQLite::Database& db, const std::vector<std::string>& tables = {});

// Registers tally_quantile(x, p) and friends on a connection.
void register_functions(SQLite::Database& db);

}  // namespace tally::store
