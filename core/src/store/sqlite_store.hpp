// Entry points of the SQLite engine for the engine-neutral open functions
// (open.cpp). Only store/ includes this.
#pragma once

#include <memory>
#include <string>

#include "store/backend.hpp"
#include "store/store.hpp"

namespace tally::store {

std::unique_ptr<Backend> open_sqlite_backend(const std::string& path, const OpenOptions& options);
std::unique_ptr<Store> open_sqlite_store(const std::string& path, const StoreOptions& options, int* migrated);
int peek_sqlite_schema_version(const std::string& path);
std::unique_ptr<Store> create_sqlite_replacement(const std::string& path, const StoreOptions& options);

}  // namespace tally::store
