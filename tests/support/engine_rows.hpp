// The rows one query gives on one store (a SQLite path or an engine URL), and
// a value shown with its kind: the cross-engine query tests compare these.
// Header-only, so an engine's test binary needs no more than tally_core.
#pragma once

#include <string>
#include <vector>

#include "query/query.hpp"
#include "store/backend.hpp"

namespace tally::testing {

using Rows = std::vector<std::vector<Value>>;

// The default scope is Q4 2025, as the demo rows the tests compare are.
inline Rows rows_on(const std::string& where, const query::QueryBuilder& q, query::Scope scope = {}) {
  auto backend = store::open_backend(where);
  if (scope.period_from.empty())
    scope = query::Scope{"2025-10-01", "2026-01-01", std::nullopt, std::nullopt, 1, {}, "2026-01-01"};
  auto cursor = backend->connect()->execute(q.compile(backend->dialect(), scope));
  Rows rows;
  while (cursor->next()) {
    rows.emplace_back();
    for (size_t i = 0; i < cursor->column_count(); ++i) rows.back().push_back(cursor->get(i));
  }
  return rows;
}

inline std::string show(const Value& v) {
  if (const auto* n = std::get_if<int64_t>(&v)) return std::to_string(*n) + " (integer)";
  if (const auto* d = std::get_if<double>(&v)) return std::to_string(*d) + " (real)";
  if (const auto* s = std::get_if<std::string>(&v)) return "'" + *s + "'";
  return "NULL";
}

}  // namespace tally::testing
