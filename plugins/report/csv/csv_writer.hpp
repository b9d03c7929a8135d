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

// Money is rounded to cents (448113.8, not 448113.799999997).
inline std::string cell(const sdk::Value& v, sdk::Unit unit = sdk::Unit::Number, bool formula_guard = true) {
  if (auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&v)) return fmt::plain(fmt::for_machines(*d, unit));
  if (auto* s = std::get_if<std::string>(&v)) return field(*s, formula_guard);
  return "";
}

inline std::string optional(const std::optional<double>& v, sdk::Unit unit = sdk::Unit::Number) {
  return v ? fmt::plain(fmt::for_machines(*v, unit)) : std::string();
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
      fields.push_back(i < row.size() ? cell(row[i], t.columns[i].unit, formula_guard) : std::string());
    out += line(fields);
  }
  return out;
}

// metric,kpi,label,unit,value,previous,change,target,compare_status,note,
// target_source: change = value - previous, empty when the two are not
// comparable (compare_status no_data or not_comparable).
inline std::string kpis(const std::vector<sdk::MetricView>& metrics, bool formula_guard = true) {
  std::string out = line({"metric", "kpi", "label", "unit", "value", "previous", "change", "target",
                          "compare_status", "note", "target_source"});
  for (const auto& m : metrics) {
    if (!m.ok) continue;
    for (const auto& k : m.kpis) {
      std::optional<double> change;
      if (k.value && k.previous && fmt::comparable(k)) change = *k.value - *k.previous;
      out += line({field(m.name, formula_guard), field(k.name, formula_guard), field(k.label, formula_guard),
                   fmt::unit_name(k.unit), optional(k.value, k.unit), optional(k.previous, k.unit),
                   optional(change, k.unit), optional(k.target, k.unit),
                   fmt::compare_status_name(k.compare_status), field(k.note, formula_guard),
                   field(k.target_source, formula_guard)});
    }
  }
  return out;
}

// What the run was: run.csv, "field,value" rows: title, period (as every
// report states it), the comparison period, each provenance fact (the data
// source without a password), each run warning and each metric note.
struct RunInfo {
  std::string title;
  sdk::Period period;
  std::optional<sdk::Period> compare;
  std::vector<std::pair<std::string, std::string>> facts;
  std::vector<std::string> warnings;
};

inline std::string run_info(const RunInfo& run, const std::vector<sdk::MetricView>& metrics) {
  std::string out = line({"field", "value"});
  out += line({"title", field(run.title)});
  out += line({"period", field(fmt::period(run.period))});
  out += line({"period_from", run.period.from});
  out += line({"period_to_exclusive", run.period.to});
  if (run.compare) out += line({"compare", field(fmt::period(*run.compare))});
  for (const auto& [name, value] : run.facts)
    out += line({field(name), field(name == "data_source" ? fmt::redact_source(value) : value)});
  for (const auto& w : run.warnings) out += line({"warning", field(w)});
  for (const auto& m : metrics)
    for (const auto& n : m.notes) out += line({field("note:" + m.name), field(n)});
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
