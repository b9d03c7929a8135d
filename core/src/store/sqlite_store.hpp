// Entry points of the SQLite engine for the engine-neutral open functions
// (open.cpp). Only store/ includes this.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "store/backend.hpp"
#include "store/store.hpp"

struct sqlite3;

namespace tally::store {

std::unique_ptr<Backend> open_sqlite_backend(const std::string& path, const OpenOptions& options);
std::unique_ptr<Store> open_sqlite_store(const std::string& path, const StoreOptions& options, int* migrated);
int peek_sqlite_schema_version(const std::string& path);
std::unique_ptr<Store> create_sqlite_replacement(const std::string& path, const StoreOptions& options);
std::unique_ptr<ImportStore> open_sqlite_import(const std::string& path, const ImportStoreOptions& options);
// sqlite_import.cpp: `tally import`'s writes and index rebuilds.
std::vector<std::string> drop_sqlite_table_indexes(sqlite3* db, const std::string& table,
                                                   const std::string& path);
void build_sqlite_indexes(sqlite3* db, const std::vector<std::string>& statements, int cache_kib,
                          const std::string& path);
std::unique_ptr<KeyedWriter> make_sqlite_keyed_writer(sqlite3* db, const std::string& table,
                                                      const std::vector<std::string>& columns,
                                                      const std::vector<Cell>& defaults,
                                                      const std::string& path);

}  // namespace tally::store
