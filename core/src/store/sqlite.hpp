// SQLite specifics: creating and migrating a store, and the SQL functions
// Tally registers on every connection.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <string>

namespace tally::store {

// Opens (creating if asked) an SQLite store for writing and brings its
// schema to the latest version. Throws StoreError when the directory does
// not exist or the file is not a Tally store.
SQLite::Database open_for_writing(const std::string& path, bool create);

// The schema_version of an open store (0 = not a Tally store).
int schema_version(SQLite::Database& db);

// Runs every pending migration, each in its own transaction.
void migrate(SQLite::Database& db);

// Registers tally_quantile(x, p) and friends on a connection.
void register_functions(SQLite::Database& db);

}  // namespace tally::store
