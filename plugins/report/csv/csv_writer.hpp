// CSV for machines: RFC 4180 (CRLF line ends, fields with a comma, quote or
// line break quoted, quotes doubled), a header row, numbers unformatted with
// '.' as decimal point and n/a as an empty field. One file per result table
// plus kpis.csv with every metric's headline KPIs.
#pragma once

#include <tally/format.hpp>
#include <tally/sdk.hpp>

#include <cctype>
#include <optional>
#include <string>
#include <vector>

namespace tally::csv {

namespace fmt = tally::format;

inline std::string field(const std::string& text) {
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

inline std::string cell(const sdk::Value& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&v)) return fmt::plain(*d);
  if (auto* s = std::get_if<std::string>(&v)) return field(*s);
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

inline std::string table(const sdk::TableView& t) {
  std::vector<std::string> header;
  for (const auto& c : t.columns) header.push_back(field(c.name));
  std::string out = line(header);
  for (const auto& row : t.rows) {
    std::vector<std::string> fields;
    for (size_t i = 0; i < t.columns.size(); ++i)
      fields.push_back(i < row.size() ? cell(row[i]) : std::string());
    out += line(fields);
  }
  return out;
}

// metric,kpi,label,unit,value,previous,change,target: change = value - previous.
inline std::string kpis(const std::vector<sdk::MetricView>& metrics) {
  std::string out = line({"metric", "kpi", "label", "unit", "value", "previous", "change", "target"});
  for (const auto& m : metrics) {
    if (!m.ok) continue;
    for (const auto& k : m.kpis) {
      std::optional<double> change;
      if (k.value && k.previous) change = *k.value - *k.previous;
      out += line({field(m.name), field(k.name), field(k.label), fmt::unit_name(k.unit), optional(k.value),
                   optional(k.previous), optional(change), optional(k.target)});
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
