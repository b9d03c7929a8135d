// Writing a small database from SQL, for golden test cases
// (`tally test-plugin`): the canonical schema, then the case's rows.
#pragma once

#include <string>

namespace tally::store {

// Creates `path` with the current schema and runs `sql` (INSERT statements)
// in one transaction. Throws std::runtime_error naming the failing statement.
void seed_database(const std::string& path, const std::string& sql);

}  // namespace tally::store
