// Values that cross the boundary: cells and params (Value, n/a as
// std::monostate), units, chart kinds, periods, and the SDK's Error.
#pragma once

#include <tally/plugin.h>
#include <tally/detail/host.hpp>

#include <cmath>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>

namespace tally::sdk {

// A failure reported by the host or raised by the plugin itself.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Unit : int32_t {
  Text = TALLY_UNIT_TEXT,
  Count = TALLY_UNIT_COUNT,
  Number = TALLY_UNIT_NUMBER,
  Money = TALLY_UNIT_MONEY,
  Percent = TALLY_UNIT_PERCENT,
  Days = TALLY_UNIT_DAYS,
  Minutes = TALLY_UNIT_MINUTES,
  Hours = TALLY_UNIT_HOURS,
  Date = TALLY_UNIT_DATE,
  Flag = TALLY_UNIT_FLAG,
};

enum class Chart : int32_t {
  None = TALLY_CHART_NONE,
  Bar = TALLY_CHART_BAR,
  StackedBar = TALLY_CHART_STACKED_BAR,
  Line = TALLY_CHART_LINE,
  Funnel = TALLY_CHART_FUNNEL,
};

enum class Which : int32_t { Current = TALLY_PERIOD_CURRENT, Compare = TALLY_PERIOD_COMPARE };

struct Period {
  std::string from;  // inclusive, 'YYYY-MM-DD'
  std::string to;    // exclusive
};

// A cell or parameter value. std::monostate is "n/a" (SQL NULL, JSON null).
using Value = std::variant<std::monostate, int64_t, double, std::string>;

inline bool is_null(const Value& v) {
  return std::holds_alternative<std::monostate>(v);
}

// A ratio that is n/a when the denominator is zero, never NaN or inf.
inline Value ratio(double numerator, double denominator) {
  if (denominator == 0.0 || !std::isfinite(numerator) || !std::isfinite(denominator)) return {};
  return numerator / denominator;
}
inline std::optional<double> ratio_opt(double numerator, double denominator) {
  if (denominator == 0.0 || !std::isfinite(numerator) || !std::isfinite(denominator)) return std::nullopt;
  return numerator / denominator;
}
inline Value opt(std::optional<double> v) {
  return v ? Value{*v} : Value{};
}

namespace detail {
inline Value value_of(const tally_value& v) {
  switch (v.type) {
    case TALLY_VALUE_INT: return Value{v.i};
    case TALLY_VALUE_REAL: return Value{v.d};
    case TALLY_VALUE_TEXT: return Value{str_of(v.s)};
    default: return Value{};
  }
}
// The returned tally_value borrows the string inside `v`.
inline tally_value value_c(const Value& v) {
  tally_value out{};
  if (auto* i = std::get_if<int64_t>(&v)) {
    out.type = TALLY_VALUE_INT;
    out.i = *i;
  } else if (auto* d = std::get_if<double>(&v)) {
    if (std::isfinite(*d)) {
      out.type = TALLY_VALUE_REAL;
      out.d = *d;
    } else {
      out.type = TALLY_VALUE_NULL;  // NaN and inf are never results
    }
  } else if (auto* s = std::get_if<std::string>(&v)) {
    out.type = TALLY_VALUE_TEXT;
    out.s = str_c(*s);
  } else {
    out.type = TALLY_VALUE_NULL;
  }
  return out;
}
}  // namespace detail

}  // namespace tally::sdk
