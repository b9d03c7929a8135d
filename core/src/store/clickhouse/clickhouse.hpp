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

}  // namespace tally::store::clickhouse
