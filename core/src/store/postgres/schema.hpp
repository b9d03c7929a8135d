// The PostgreSQL flavour of the store schema (see store/schema.hpp).
#pragma once

#include <string>
#include <vector>

#include "store/schema.hpp"

namespace tally::store::postgres {

// Every migration, oldest first; versions and descriptions as in
// store::migrations().
const std::vector<Migration>& migrations();
// The tables of the latest schema (schema_version aside).
const std::vector<std::string>& tables();

}  // namespace tally::store::postgres
