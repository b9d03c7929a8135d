// Entry points of the ClickHouse engine for the engine-neutral open
// functions (open.cpp). Only store/ includes this.
#pragma once

#include <memory>
#include <string>

#include "store/backend.hpp"
#include "store/store.hpp"

namespace tally::store::clickhouse {

std::unique_ptr<Backend> open_backend(const std::string& url, const OpenOptions& options);
int peek_schema_version(const std::string& url);
std::unique_ptr<Store> create_replacement(const std::string& url);
// An existing store for `tally migrate`: records the latest schema version on
// every shard when the layout is today's (schema.hpp, kLayoutSinceVersion).
std::unique_ptr<Store> open_store(const std::string& url, int* migrated);
// `tally import`'s store (import.cpp); creates an empty store in a database
// that has none.
std::unique_ptr<ImportStore> open_import_store(const std::string& url);
// The URL's database (the rejects file's name).
std::string database_name(const std::string& url);

}  // namespace tally::store::clickhouse
