// Entry points of the PostgreSQL engine for the engine-neutral open
// functions (open.cpp). Only store/ includes this.
#pragma once

#include <memory>
#include <string>

#include "store/backend.hpp"
#include "store/store.hpp"

namespace tally::store::postgres {

std::unique_ptr<Backend> open_backend(const std::string& url, const OpenOptions& options);
std::unique_ptr<Store> open_store(const std::string& url, int* migrated);
int peek_schema_version(const std::string& url);
std::unique_ptr<Store> create_replacement(const std::string& url);
std::unique_ptr<ImportStore> open_import_store(const std::string& url);
// The database a URL names ("" when it names none).
std::string database_name(const std::string& url);

}  // namespace tally::store::postgres
