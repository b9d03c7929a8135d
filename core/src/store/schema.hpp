// The canonical store schema and its migrations.
#pragma once

#include <string>
#include <vector>

namespace tally::store {

struct Migration {
  int version;              // schema_version after this migration
  std::string description;  // one line, for logs
  std::string sql;          // statements, run in one transaction
};

// Every migration, oldest first.
const std::vector<Migration>& migrations();
int latest_schema_version();

}  // namespace tally::store
