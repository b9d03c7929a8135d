// The canonical store schema and its migrations.
#pragma once

#include <optional>
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

// The tables and columns of the latest schema as its migrations build them
// (read from an in-memory SQLite database made by them, so they cannot
// drift), ordered by table name.
struct ColumnDescription {
  std::string name;
  std::string type;  // INTEGER, REAL, TEXT
  bool not_null = false;
  std::optional<std::string> default_value;  // unquoted
};
struct TableDescription {
  std::string name;
  std::vector<ColumnDescription> columns;
};
const std::vector<TableDescription>& canonical_tables();

}  // namespace tally::store
