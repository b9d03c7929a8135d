// Number formatting for report plugins: money with thousands separators and
// a currency sign, percentages, days, n/a. Header-only and locale-free, so
// every report (terminal, Markdown, HTML, a vendor's own) prints the same.
#pragma once

#include <tally/sdk.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace tally::format {

inline const char* kNotAvailable = "n/a";

// 1234567.891 with 2 decimals -> "1,234,567.89".
inline std::string grouped(double value, int decimals) {
  if (!std::isfinite(value)) return kNotAvailable;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, std::fabs(value));
  std::string digits(buf);
  size_t dot = digits.find('.');
  std::string whole = digits.substr(0, dot);
  std::string fraction = dot == std::string::npos ? "" : digits.substr(dot);
  std::string out;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) out += ',';
    out += whole[i];
  }
  // "-0" is not a number anyone wants to read.
  bool negative = value < 0 && (out + fraction).find_first_not_of("0,.") != std::string::npos;
  return (negative ? "-" : "") + out + fraction;
}

inline std::string currency_symbol(const std::string& currency) {
  if (currency == "USD") return "$";
  if (currency == "EUR") return "€";
  if (currency == "GBP") return "£";
  if (currency == "JPY") return "¥";
  if (currency == "CNY") return "¥";
  if (currency == "RUB") return "₽";
  if (currency == "INR") return "₹";
  return "";
}

// Whole units for large amounts, cents below 1,000: "$1,234,567", "$12.50".
inline std::string money(double value, const std::string& currency = "USD") {
  if (!std::isfinite(value)) return kNotAvailable;
  int decimals = std::fabs(value) >= 1000 ? 0 : 2;
  std::string number = grouped(value, decimals);
  std::string symbol = currency_symbol(currency);
  if (symbol.empty()) return number + " " + currency;
  if (number[0] == '-') return "-" + symbol + number.substr(1);
  return symbol + number;
}

// Compact money for chart axes: "$1.2M", "$350K".
inline std::string money_short(double value, const std::string& currency = "USD") {
  if (!std::isfinite(value)) return kNotAvailable;
  double a = std::fabs(value);
  const char* suffix = "";
  double scaled = value;
  if (a >= 1e9) {
    scaled = value / 1e9;
    suffix = "B";
  } else if (a >= 1e6) {
    scaled = value / 1e6;
    suffix = "M";
  } else if (a >= 1e3) {
    scaled = value / 1e3;
    suffix = "K";
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, std::fabs(scaled) >= 100 || *suffix == '\0' ? "%.0f" : "%.1f", std::fabs(scaled));
  std::string symbol = currency_symbol(currency);
  std::string sign = value < 0 ? "-" : "";
  if (symbol.empty()) return sign + buf + suffix + " " + currency;
  return sign + symbol + buf + suffix;
}

// A ratio as a percentage: 0.3125 -> "31.3%".
inline std::string percent(double ratio, int decimals = 1) {
  if (!std::isfinite(ratio)) return kNotAvailable;
  return grouped(ratio * 100.0, decimals) + "%";
}

inline std::string number(double value) {
  if (!std::isfinite(value)) return kNotAvailable;
  if (value == std::floor(value) && std::fabs(value) < 1e15) return grouped(value, 0);
  return grouped(value, std::fabs(value) >= 100 ? 1 : 2);
}

inline std::string with_unit(double value, sdk::Unit unit, const std::string& currency = "USD") {
  switch (unit) {
    case sdk::Unit::Money: return money(value, currency);
    case sdk::Unit::Percent: return percent(value);
    case sdk::Unit::Count: return grouped(std::round(value), 0);
    case sdk::Unit::Days: return grouped(value, 1) + " d";
    case sdk::Unit::Minutes: return grouped(value, 1) + " min";
    case sdk::Unit::Hours: return grouped(value, 1) + " h";
    case sdk::Unit::Flag: return value != 0 ? "yes" : "no";
    default: return number(value);
  }
}

inline std::string value(const sdk::Value& v, sdk::Unit unit, const std::string& currency = "USD") {
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  if (auto* i = std::get_if<int64_t>(&v)) return with_unit(static_cast<double>(*i), unit, currency);
  if (auto* d = std::get_if<double>(&v)) return with_unit(*d, unit, currency);
  return kNotAvailable;
}

inline std::string optional(const std::optional<double>& v, sdk::Unit unit, const std::string& currency = "USD") {
  return v ? with_unit(*v, unit, currency) : std::string(kNotAvailable);
}

// The change from previous to value: percentage points for percentages,
// otherwise relative ("+12.5%"), or absolute when previous is zero.
inline std::string change(const sdk::Kpi& k, const std::string& currency = "USD") {
  if (!k.value || !k.previous) return kNotAvailable;
  double delta = *k.value - *k.previous;
  std::string sign = delta > 0 ? "+" : delta < 0 ? "-" : "±";
  if (k.unit == sdk::Unit::Percent) return sign + grouped(std::fabs(delta) * 100.0, 1) + " pp";
  if (*k.previous == 0.0) return sign + with_unit(std::fabs(delta), k.unit, currency);
  return sign + grouped(std::fabs(delta / *k.previous) * 100.0, 1) + "%";
}

enum class Trend { Up, Down, Flat, Unknown };

inline Trend trend(const sdk::Kpi& k) {
  if (!k.value || !k.previous) return Trend::Unknown;
  if (*k.value > *k.previous) return Trend::Up;
  if (*k.value < *k.previous) return Trend::Down;
  return Trend::Flat;
}

// Whether the change is good news, given the KPI's direction.
inline std::optional<bool> is_improvement(const sdk::Kpi& k) {
  Trend t = trend(k);
  if (t == Trend::Unknown || t == Trend::Flat) return std::nullopt;
  return (t == Trend::Up) == k.higher_is_better;
}

inline const char* arrow(Trend t) {
  switch (t) {
    case Trend::Up: return "▲";
    case Trend::Down: return "▼";
    case Trend::Flat: return "=";
    default: return "";
  }
}

inline const char* unit_name(sdk::Unit unit) {
  switch (unit) {
    case sdk::Unit::Text: return "text";
    case sdk::Unit::Count: return "count";
    case sdk::Unit::Number: return "number";
    case sdk::Unit::Money: return "money";
    case sdk::Unit::Percent: return "percent";
    case sdk::Unit::Days: return "days";
    case sdk::Unit::Minutes: return "minutes";
    case sdk::Unit::Hours: return "hours";
    case sdk::Unit::Date: return "date";
    case sdk::Unit::Flag: return "flag";
  }
  return "number";
}

inline const char* chart_name(sdk::Chart chart) {
  switch (chart) {
    case sdk::Chart::Bar: return "bar";
    case sdk::Chart::StackedBar: return "stacked_bar";
    case sdk::Chart::Line: return "line";
    case sdk::Chart::Funnel: return "funnel";
    default: return "none";
  }
}

// A Unicode sparkline of a series (n/a values as spaces): "▁▂▄█▆".
inline std::string sparkline(const std::vector<std::optional<double>>& series) {
  static const char* bars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& v : series)
    if (v) {
      lo = std::min(lo, *v);
      hi = std::max(hi, *v);
    }
  std::string out;
  for (const auto& v : series) {
    if (!v) {
      out += ' ';
      continue;
    }
    int level = hi > lo ? static_cast<int>(std::lround((*v - lo) / (hi - lo) * 7.0)) : 3;
    out += bars[std::clamp(level, 0, 7)];
  }
  return out;
}

// A compact value for chart axes and bar labels: "$1.2M", "31%", "12.5 d",
// "4.3K". Exact values belong in tables; these only have to be readable.
inline std::string compact(double value, sdk::Unit unit, const std::string& currency = "USD") {
  if (!std::isfinite(value)) return kNotAvailable;
  double a = std::fabs(value);
  switch (unit) {
    case sdk::Unit::Money: return money_short(value, currency);
    case sdk::Unit::Percent: return percent(value, a * 100.0 >= 10 || a == 0.0 ? 0 : 1);
    case sdk::Unit::Days: return grouped(value, a >= 10 || a == std::floor(a) ? 0 : 1) + " d";
    case sdk::Unit::Minutes: return grouped(value, a >= 10 || a == std::floor(a) ? 0 : 1) + " min";
    case sdk::Unit::Hours: return grouped(value, a >= 10 || a == std::floor(a) ? 0 : 1) + " h";
    default: break;
  }
  if (a >= 1e4) {
    const char* suffix = a >= 1e9 ? "B" : a >= 1e6 ? "M" : "K";
    double scaled = value / (a >= 1e9 ? 1e9 : a >= 1e6 ? 1e6 : 1e3);
    return grouped(scaled, std::fabs(scaled) >= 100 ? 0 : 1) + suffix;
  }
  if (unit == sdk::Unit::Count || a == std::floor(a)) return grouped(value, 0);
  return grouped(value, a >= 100 ? 0 : a >= 1 ? 1 : 2);
}

// A number for machines (CSV): '.' as decimal point, no grouping, no
// exponent in the usual range, whatever the locale; at most 15 significant
// digits (all a double holds exactly), so sums read 6751919.24, not
// 6751919.239999996. Non-finite values are "" (n/a).
inline std::string plain(double value) {
  if (!std::isfinite(value)) return "";
  if (value == 0.0) return "0";  // also "-0"
  char buf[64];
  auto sci = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific, 14);
  double rounded = value;
  std::from_chars(buf, sci.ptr, rounded);
  double a = std::fabs(rounded);
  auto result = a >= 1e-6 && a < 1e21 ? std::to_chars(buf, buf + sizeof buf, rounded, std::chars_format::fixed)
                                      : std::to_chars(buf, buf + sizeof buf, rounded);
  return std::string(buf, result.ptr);
}

// A snake_case column or KPI name as words for people: "win_rate" -> "Win rate".
inline std::string humanize(const std::string& name) {
  std::string out = name;
  std::replace(out.begin(), out.end(), '_', ' ');
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

}  // namespace tally::format
