// A typed scalar as it moves between the store, plugins and reports.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

namespace tally {

// std::monostate is "n/a": SQL NULL, JSON null.
using Value = std::variant<std::monostate, int64_t, double, std::string>;

inline bool is_null(const Value& v) { return std::holds_alternative<std::monostate>(v); }

}  // namespace tally
