// Number formatting for report plugins: money with thousands separators and
// a currency sign, percentages, days, n/a. Header-only and locale-free, so
// every report (terminal, Markdown, HTML, a vendor's own) prints the same.
// (Over 400 lines: header-only for that reason, one concern.)
#pragma once

#include <tally/calendar.hpp>
#include <tally/kpi.hpp>
#include <tally/report.hpp>
#include <tally/value.hpp>

#include <algorithm>
#include <cctype>
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
  std::snprintf(buf, sizeof buf, std::fabs(scaled) >= 100 || *suffix == '\0' ? "%.0f" : "%.1f",
                std::fabs(scaled));
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

inline std::string optional(const std::optional<double>& v, sdk::Unit unit,
                            const std::string& currency = "USD") {
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
  auto result = a >= 1e-6 && a < 1e21
                    ? std::to_chars(buf, buf + sizeof buf, rounded, std::chars_format::fixed)
                    : std::to_chars(buf, buf + sizeof buf, rounded);
  return std::string(buf, result.ptr);
}

// ---- words for people: labels, dates, periods, provenance ----

namespace detail {
// Lower-case letters, digits and '_' (and ' ' when `spaces`), with a letter.
inline bool is_lower_snake(const std::string& s, bool spaces = false) {
  bool letter = false;
  for (char c : s) {
    if (c >= 'a' && c <= 'z')
      letter = true;
    else if (!(c >= '0' && c <= '9') && c != '_' && !(spaces && c == ' '))
      return false;
  }
  return letter;
}
// Words that stay upper case: sales acronyms, percentiles (p50), regions.
inline bool is_acronym(const std::string& w) {
  static const char* const words[] = {
      "arr", "mrr", "acv", "tcv", "ltv", "cac", "nrr",  "grr",  "kpi", "id",   "mql",   "sql", "sal", "sqo",
      "icp", "crm", "roi", "sla", "csv", "url", "emea", "apac", "na",  "amer", "latam", "uk",  "us",  "eu",
      "usd", "eur", "gbp", "qbr", "smb", "ceo", "cfo",  "cto",  "vp",  "sdr",  "bdr",   "ae"};
  for (const char* a : words)
    if (w == a) return true;
  // p50, p90, q1..q4
  if (w.size() >= 2 && (w[0] == 'p' || w[0] == 'q') &&
      w.find_first_not_of("0123456789", 1) == std::string::npos)
    return true;
  return false;
}
inline const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
}  // namespace detail

// A snake_case name as words for people: "win_rate" -> "Win rate",
// "ending_arr" -> "Ending ARR", "p50_days" -> "P50 days", "mid_market" ->
// "Mid-market", "no decision" -> "No decision". Acronyms stay upper case;
// anything that is not all lower case (a rep's name, "Closed Won") is
// returned unchanged.
inline std::string humanize(const std::string& name) {
  if (!detail::is_lower_snake(name, true)) return name;
  // Compound words written with a hyphen.
  static const char* const hyphenated[][2] = {{"mid_market", "mid-market"}, {"self_serve", "self-serve"},
                                              {"e_mail", "e-mail"},         {"follow_up", "follow-up"},
                                              {"check_in", "check-in"},     {"add_on", "add-on"}};
  std::string text = name;
  for (const auto& h : hyphenated) {
    std::string from = h[0];
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + 1)) {
      bool start = at == 0 || text[at - 1] == '_' || text[at - 1] == ' ';
      bool end =
          at + from.size() == text.size() || text[at + from.size()] == '_' || text[at + from.size()] == ' ';
      if (start && end) text.replace(at, from.size(), h[1]);
    }
  }
  std::string out;
  size_t start = 0;
  bool first = true;
  while (start <= text.size()) {
    size_t end = text.find_first_of("_ ", start);
    if (end == std::string::npos) end = text.size();
    std::string word = text.substr(start, end - start);
    if (!word.empty()) {
      if (detail::is_acronym(word))
        for (auto& c : word) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
      else if (first && word[0] >= 'a' && word[0] <= 'z')
        word[0] = static_cast<char>(word[0] - 'a' + 'A');
      if (!out.empty()) out += ' ';
      out += word;
      first = false;
    }
    start = end + 1;
  }
  return out;
}

// A title or label for people: lower snake_case as words (humanize), and
// snake_case words inside other text too: "Accounts (top by
// tickets_per_user)" -> "Accounts (top by tickets per user)".
inline std::string label(const std::string& text) {
  if (detail::is_lower_snake(text, true)) return humanize(text);
  std::string out;
  size_t i = 0;
  auto word_char = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; };
  while (i < text.size()) {
    if (!word_char(text[i]) || (i > 0 && std::isalpha(static_cast<unsigned char>(text[i - 1])))) {
      out += text[i++];
      continue;
    }
    size_t end = i;
    while (end < text.size() && word_char(text[end])) ++end;
    std::string token = text.substr(i, end - i);
    bool inside_word = end < text.size() && std::isalpha(static_cast<unsigned char>(text[end]));
    if (!inside_word && token.find('_') != std::string::npos && detail::is_lower_snake(token)) {
      std::string words = humanize(token);
      if (!detail::is_acronym(token.substr(0, token.find('_'))) && !words.empty() && words[0] >= 'A' &&
          words[0] <= 'Z')
        words[0] = static_cast<char>(words[0] - 'A' + 'a');
      out += words;
    } else {
      out += token;
    }
    i = end;
  }
  return out;
}

// "2025-10-01" -> "1 Oct 2025"; shifted by `shift_days` first (an exclusive
// end shown as its last day: -1). Text that is not a date is returned as is.
inline std::string human_date(const std::string& iso, int shift_days = 0) {
  auto d = sdk::Date::parse(iso.substr(0, std::min<size_t>(iso.size(), 10)));
  if (!d) return iso;
  sdk::Date x = d->add_days(shift_days);
  return std::to_string(x.day) + " " + detail::kMonths[x.month - 1] + " " + std::to_string(x.year);
}

// "2025-10-01" -> "Oct 2025" (a month bucket).
inline std::string human_month(const std::string& iso) {
  auto d = sdk::Date::parse(iso.substr(0, std::min<size_t>(iso.size(), 10)));
  if (!d) return iso;
  return std::string(detail::kMonths[d->month - 1]) + " " + std::to_string(d->year);
}

// The one way every report states a period (`to` is exclusive in the run;
// people read the last day): "1 Oct 2025 – 31 Dec 2025 (inclusive)".
inline std::string period(const sdk::Period& p) {
  return human_date(p.from) + " – " + human_date(p.to, -1) + " (inclusive)";
}

// A data source for people: the password of a URL's user info is removed
// ("postgresql://ann:secret@db/sales" -> "postgresql://ann@db/sales"), and a
// "password=..." key in a query string or connection string is dropped.
inline std::string redact_source(const std::string& source) {
  std::string s = source;
  size_t scheme = s.find("://");
  if (scheme != std::string::npos) {
    size_t host_start = scheme + 3;
    size_t host_end = s.find_first_of("/?#", host_start);
    if (host_end == std::string::npos) host_end = s.size();
    size_t at = s.rfind('@', host_end == 0 ? 0 : host_end - 1);
    if (at != std::string::npos && at >= host_start) {
      size_t colon = s.find(':', host_start);
      if (colon != std::string::npos && colon < at) s.erase(colon, at - colon);
    }
  }
  // key=value forms: "password=...", "pwd=...", up to '&', ';', ' ' or the end.
  for (const char* key : {"password=", "pwd=", "passwd="}) {
    for (size_t at = 0;;) {
      std::string lower = s;
      for (auto& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      at = lower.find(key, at);
      if (at == std::string::npos) break;
      bool boundary = at == 0 || std::string("?&; ").find(s[at - 1]) != std::string::npos;
      size_t value = at + std::string(key).size();
      if (!boundary) {
        at = value;
        continue;
      }
      size_t end = s.find_first_of("&; ", value);
      if (end == std::string::npos) end = s.size();
      size_t from = at;
      if (at > 0 && (s[at - 1] == '&' || s[at - 1] == ';' || s[at - 1] == ' '))
        from = at - 1;
      else if (end < s.size())
        ++end;  // "?password=x&a=b" -> "?a=b"
      s.erase(from, end - from);
      at = from;
    }
  }
  if (!s.empty() && s.back() == '?') s.pop_back();
  return s;
}

// Money for machines: rounded to cents, so sums read 448113.8, not
// 448113.799999997 (JSON and CSV).
inline double cents(double value) {
  if (!std::isfinite(value)) return value;
  double r = std::round(value * 100.0) / 100.0;
  return r == 0.0 ? 0.0 : r;  // no "-0"
}

// A number for machines in its unit: money to cents, others as they are.
inline double for_machines(double value, sdk::Unit unit) {
  return unit == sdk::Unit::Money ? cents(value) : value;
}

// The one number format of a table column, decided from all its values so
// that every cell of a column has the same decimals: money in whole units
// when any amount reaches 1,000, else cents; plain numbers whole when all
// are whole, else 1 decimal (2 when some need it and all are below 100);
// days/hours/minutes whole or with 1 decimal; a text or date
// column of month starts ("2025-10-01", "2025-11-01") reads "Oct 2025".
struct ColumnFormat {
  sdk::Unit unit = sdk::Unit::Number;
  int decimals = 0;
  bool months = false;         // month-start dates as "Oct 2025"
  bool humanize_text = false;  // snake_case values as words
};

inline ColumnFormat column_format(const sdk::TableView& t, size_t c) {
  ColumnFormat f;
  f.unit = c < t.columns.size() ? t.columns[c].unit : sdk::Unit::Text;
  double max_abs = 0;
  bool all_tenths = true, all_whole = true, all_month_starts = true, any_text = false;
  for (const auto& row : t.rows) {
    if (c >= row.size()) continue;
    const sdk::Value& v = row[c];
    if (auto* s = std::get_if<std::string>(&v)) {
      any_text = true;
      auto d = sdk::Date::parse(*s);
      if (!d || d->day != 1 || s->size() != 10) all_month_starts = false;
      continue;
    }
    double x = 0;
    if (auto* i = std::get_if<int64_t>(&v))
      x = static_cast<double>(*i);
    else if (auto* d = std::get_if<double>(&v))
      x = *d;
    else
      continue;
    if (!std::isfinite(x)) continue;
    max_abs = std::max(max_abs, std::fabs(x));
    if (x != std::floor(x)) all_whole = false;
    if (std::fabs(x * 10.0 - std::round(x * 10.0)) > 1e-6 * std::max(1.0, std::fabs(x))) all_tenths = false;
  }
  switch (f.unit) {
    case sdk::Unit::Money: f.decimals = max_abs >= 1000 ? 0 : all_whole ? 0 : 2; break;
    case sdk::Unit::Percent: f.decimals = 1; break;
    case sdk::Unit::Count: f.decimals = 0; break;
    case sdk::Unit::Days:
    case sdk::Unit::Minutes:
    case sdk::Unit::Hours: f.decimals = all_whole ? 0 : 1; break;
    default: f.decimals = all_whole ? 0 : all_tenths || max_abs >= 100 ? 1 : 2; break;
  }
  f.months = any_text && all_month_starts && (f.unit == sdk::Unit::Text || f.unit == sdk::Unit::Date);
  f.humanize_text = f.unit == sdk::Unit::Text;
  return f;
}

// A number in a column's format: "$14,754" / "$305.22", "12.40", "31.3%".
inline std::string with_format(double value, const ColumnFormat& f, const std::string& currency = "USD") {
  if (!std::isfinite(value)) return kNotAvailable;
  switch (f.unit) {
    case sdk::Unit::Money: {
      std::string number = grouped(value, f.decimals);
      std::string symbol = currency_symbol(currency);
      if (symbol.empty()) return number + " " + currency;
      if (number[0] == '-') return "-" + symbol + number.substr(1);
      return symbol + number;
    }
    case sdk::Unit::Percent: return percent(value, f.decimals);
    case sdk::Unit::Days: return grouped(value, f.decimals) + " d";
    case sdk::Unit::Minutes: return grouped(value, f.decimals) + " min";
    case sdk::Unit::Hours: return grouped(value, f.decimals) + " h";
    case sdk::Unit::Flag: return value != 0 ? "yes" : "no";
    default: return grouped(value, f.decimals);
  }
}

// A table cell for people, in its column's format; text values humanised
// ("mid_market" -> "Mid-market"), month starts as "Oct 2025".
inline std::string cell(const sdk::Value& v, const ColumnFormat& f, const std::string& currency = "USD") {
  if (auto* s = std::get_if<std::string>(&v)) {
    if (f.months) return human_month(*s);
    return f.humanize_text ? humanize(*s) : *s;
  }
  if (auto* i = std::get_if<int64_t>(&v)) return with_format(static_cast<double>(*i), f, currency);
  if (auto* d = std::get_if<double>(&v)) return with_format(*d, f, currency);
  return kNotAvailable;
}

// Every column's format of a table, in column order.
inline std::vector<ColumnFormat> column_formats(const sdk::TableView& t) {
  std::vector<ColumnFormat> out;
  for (size_t c = 0; c < t.columns.size(); ++c) out.push_back(column_format(t, c));
  return out;
}

// A KPI's comparison for people, whatever its compare status: the change
// ("+12.5%"), "no data" when the comparison period has none, "not
// comparable" when the two numbers must not be compared.
inline std::string comparison(const sdk::Kpi& k, const std::string& currency = "USD") {
  if (k.compare_status == TALLY_COMPARE_NO_DATA) return "no data";
  if (k.compare_status == TALLY_COMPARE_NOT_COMPARABLE) return "not comparable";
  return change(k, currency);
}
inline bool comparable(const sdk::Kpi& k) {
  return k.compare_status == TALLY_COMPARE_OK;
}
inline const char* compare_status_name(int32_t status) {
  switch (status) {
    case TALLY_COMPARE_NO_DATA: return "no_data";
    case TALLY_COMPARE_NOT_COMPARABLE: return "not_comparable";
    default: return "ok";
  }
}

// The provenance facts of a run for people, in a fixed order: label, text.
// The data source never carries a password.
inline std::vector<std::pair<std::string, std::string>> provenance(
    const std::vector<std::pair<std::string, std::string>>& facts) {
  auto get = [&](const char* name) {
    for (const auto& [k, v] : facts)
      if (k == name) return v;
    return std::string();
  };
  std::vector<std::pair<std::string, std::string>> out;
  if (auto s = get("data_source"); !s.empty()) out.emplace_back("Data source", redact_source(s));
  std::string from = get("data_from"), to = get("data_to");
  if (!from.empty() || !to.empty())
    out.emplace_back("Data covers",
                     human_date(from.empty() ? "?" : from) + " – " + human_date(to.empty() ? "?" : to));
  if (auto s = get("generated_at"); !s.empty()) out.emplace_back("Generated at", s);
  if (auto s = get("tally_version"); !s.empty()) out.emplace_back("Tally version", s);
  return out;
}

}  // namespace tally::format
