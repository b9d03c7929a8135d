// CSV for machines: RFC 4180 (CRLF line ends, fields with a comma, quote or
// line break quoted, quotes doubled), a header row, numbers unformatted with
// '.' as decimal point and n/a as an empty field. One file per result table
// plus kpis.csv with every metric's headline KPIs.
//
// Formula guard (OWASP "CSV injection"): a text cell that begins with '=',
// '+', '-', '@', a tab or a carriage return gets a leading single quote, so
// a spreadsheet shows it as text instead of running it as a formula. Text
// that reads as a plain number (`-12.5`, `+3`) is left alone: it is a value,
// not a formula. `formula_guard: false` turns the guard off entirely.
#pragma once

#include <tally/format.hpp>
#include <tally/sdk.hpp>

#include <cctype>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace tally::csv {

namespace fmt = tally::format;

// Does the whole text read as one decimal number, like -12.5, +3 or 1e6?
inline bool is_plain_number(const std::string& text) {
  if (text.empty() || text.size() > 64) return false;
  for (char c : text)
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '-' && c != '+' && c != '.' && c != 'e' &&
        c != 'E')
      return false;
  char* end = nullptr;
  std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

// The text as a spreadsheet will not read it as a formula (see top).
inline std::string neutralise(const std::string& text) {
  if (text.empty()) return text;
  const char first = text.front();
  const bool risky =
      first == '=' || first == '+' || first == '-' || first == '@' || first == '\t' || first == '\r';
  if (!risky || is_plain_number(text)) return text;
  return "'" + text;
}

inline std::string field(const std::string& raw, bool formula_guard = true) {
  const std::string text = formula_guard ? neutralise(raw) : raw;
  if (text.find_first_of(",\"\r\n") == std::string::npos &&
      (text.empty() || (text.front() != ' ' && text.back() != ' ')))
    return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

inline std::string cell(const sdk::Value& v, bool formula_guard = true) {
  if (auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&v)) return fmt::plain(*d);
  if (auto* s = std::get_if<std::string>(&v)) return field(*s, formula_guard);
  return "";
}

inline std::string optional(const std::optional<double>& v) {
  return v ? fmt::plain(*v) : std::string();
}

inline std::string line(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    out += fields[i];
  }
  return out + "\r\n";
}

inline std::string table(const sdk::TableView& t, bool formula_guard = true) {
  std::vector<std::string> header;
  for (const auto& c : t.columns) header.push_back(field(c.name, formula_guard));
  std::string out = line(header);
  for (const auto& row : t.rows) {
    std::vector<std::string> fields;
    for (size_t i = 0; i < t.columns.size(); ++i)
      fields.push_back(i < row.size() ? cell(row[i], formula_guard) : std::string());
    out += line(fields);
  }
  return out;
}

// metric,kpi,label,unit,value,previous,change,target: change = value - previous.
inline std::string kpis(const std::vector<sdk::MetricView>& metrics, bool formula_guard = true) {
  std::string out = line({"metric", "kpi", "label", "unit", "value", "previous", "change", "target"});
  for (const auto& m : metrics) {
    if (!m.ok) continue;
    for (const auto& k : m.kpis) {
      std::optional<double> change;
      if (k.value && k.previous) change = *k.value - *k.previous;
      out += line({field(m.name, formula_guard), field(k.name, formula_guard), field(k.label, formula_guard),
                   fmt::unit_name(k.unit), optional(k.value), optional(k.previous), optional(change),
                   optional(k.target)});
    }
  }
  return out;
}

// "<metric>__<table>.csv", with anything but letters, digits, '-', '_' and
// '.' replaced, so a name can never leave the folder.
inline std::string file_name(const std::string& metric, const std::string& table) {
  auto safe = [](const std::string& s) {
    std::string out;
    for (char c : s) {
      unsigned char u = static_cast<unsigned char>(c);
      out += std::isalnum(u) || c == '-' || c == '_' ? c : '_';
    }
    return out.empty() ? std::string("_") : out;
  };
  return safe(metric) + "__" + safe(table) + ".csv";
}

}  // namespace tally::csv
