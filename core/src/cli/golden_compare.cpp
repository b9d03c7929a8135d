#include "cli/golden_compare.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <regex>

#include "cli/commands.hpp"

namespace tally::cli::golden {

using nlohmann::json;

namespace {

double tolerance_for(const std::string& unit, double expected) {
  if (unit == "money") return 0.005;
  if (unit == "percent" || unit == "ratio") return 1e-6;
  return 1e-9 * std::max(1.0, std::fabs(expected));
}

std::string label(const json& item, size_t index) {
  if (item.is_object() && item.contains("name") && item["name"].is_string())
    return item["name"].get<std::string>();
  return std::to_string(index);
}

// Table cells: each column's type is its unit.
void compare_rows(const json& expected, const json& actual, const json& columns, const std::string& path,
                  std::vector<std::string>& diffs) {
  if (expected.size() != actual.size())
    diffs.push_back(path + ": expected " + std::to_string(expected.size()) + " rows, got " +
                    std::to_string(actual.size()));
  for (size_t r = 0; r < std::min(expected.size(), actual.size()); ++r) {
    const json& er = expected[r];
    const json& ar = actual[r];
    if (!er.is_array() || !ar.is_array() || er.size() != ar.size()) {
      diffs.push_back(path + "[" + std::to_string(r) + "]: expected " + er.dump() + ", got " + ar.dump());
      continue;
    }
    for (size_t c = 0; c < er.size(); ++c) {
      std::string column_unit, column_name = std::to_string(c);
      if (c < columns.size() && columns[c].is_object()) {
        column_unit = columns[c].value("type", "");
        column_name = columns[c].value("name", column_name);
      }
      compare_json(er[c], ar[c], path + "[" + std::to_string(r) + "][" + column_name + "]", column_unit,
                   diffs);
    }
  }
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// Makes line ends and other control characters visible in a diff line.
std::string shown(const std::string& line) {
  std::string out;
  for (char c : line) {
    if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else
      out += c;
  }
  return out;
}

}  // namespace

void compare_json(const json& expected, const json& actual, const std::string& path, const std::string& unit,
                  std::vector<std::string>& diffs) {
  if (expected.is_number() && actual.is_number()) {
    const double e = expected.get<double>(), a = actual.get<double>();
    const double tol = tolerance_for(unit, e);
    if (std::fabs(e - a) > tol)
      diffs.push_back(path + ": expected " + expected.dump() + ", got " + actual.dump() + " (" +
                      (unit.empty() ? "number" : unit) + ", tolerance " + fmt_number(tol) + ")");
    return;
  }
  if (expected.type() != actual.type()) {
    diffs.push_back(path + ": expected " + expected.dump() + ", got " + actual.dump());
    return;
  }
  if (expected.is_object()) {
    const std::string own_unit =
        expected.contains("unit") && actual.contains("unit") && actual["unit"].is_string()
            ? actual["unit"].get<std::string>()
            : unit;
    for (const auto& [key, value] : expected.items()) {
      if (!actual.contains(key)) {
        diffs.push_back(path + "." + key + ": missing (expected " + value.dump() + ")");
        continue;
      }
      if (key == "rows" && actual.contains("columns") && value.is_array() && actual[key].is_array()) {
        compare_rows(value, actual[key], actual["columns"], path + ".rows", diffs);
        continue;
      }
      compare_json(value, actual[key], path + "." + key, own_unit, diffs);
    }
    return;
  }
  if (expected.is_array()) {
    if (expected.size() != actual.size())
      diffs.push_back(path + ": expected " + std::to_string(expected.size()) + " items, got " +
                      std::to_string(actual.size()));
    for (size_t i = 0; i < std::min(expected.size(), actual.size()); ++i)
      compare_json(expected[i], actual[i], path + "[" + label(expected[i], i) + "]", unit, diffs);
    return;
  }
  if (expected != actual) diffs.push_back(path + ": expected " + expected.dump() + ", got " + actual.dump());
}

std::string normalise(std::string text, const std::vector<Replacement>& replacements) {
  for (const auto& r : replacements) {
    if (r.from.empty()) continue;
    for (size_t at = text.find(r.from); at != std::string::npos; at = text.find(r.from, at + r.to.size()))
      text.replace(at, r.from.size(), r.to);
  }
  static const std::regex timestamp(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)");
  return std::regex_replace(text, timestamp, "{generated_at}");
}

std::string text_diff(const std::string& expected, const std::string& actual, size_t max_lines) {
  if (expected == actual) return "";
  const std::vector<std::string> a = lines_of(expected), b = lines_of(actual);
  const bool newline_only = a == b;  // only the final line end differs
  if (newline_only)
    return std::string("the texts differ only in the final line end: expected ") +
           (!expected.empty() && expected.back() == '\n' ? "one" : "none") + ", got " +
           (!actual.empty() && actual.back() == '\n' ? "one" : "none");
  // Longest common subsequence of lines; large outputs get their first difference only.
  const size_t n = a.size(), m = b.size();
  if (n * m > 4'000'000) {
    size_t i = 0;
    while (i < n && i < m && a[i] == b[i]) ++i;
    return "first difference at line " + std::to_string(i + 1) + ":\n-" + (i < n ? shown(a[i]) : "(end)") +
           "\n+" + (i < m ? shown(b[i]) : "(end)");
  }
  std::vector<std::vector<uint32_t>> lcs(n + 1, std::vector<uint32_t>(m + 1, 0));
  for (size_t i = n; i-- > 0;)
    for (size_t j = m; j-- > 0;)
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  struct Line {
    char op;        // ' ', '-', '+'
    size_t number;  // in the expected text (' ' and '-') or the actual one ('+')
    std::string text;
  };
  std::vector<Line> script;
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      script.push_back({' ', i + 1, a[i]});
      ++i, ++j;
    } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      script.push_back({'-', i + 1, a[i++]});
    } else {
      script.push_back({'+', j + 1, b[j]});
      ++j;
    }
  }
  // Changed lines with two lines of context around each run of changes.
  std::vector<bool> keep(script.size(), false);
  for (size_t k = 0; k < script.size(); ++k)
    if (script[k].op != ' ')
      for (size_t c = k >= 2 ? k - 2 : 0; c < std::min(script.size(), k + 3); ++c) keep[c] = true;
  std::vector<std::string> out;
  bool gap = false;
  for (size_t k = 0; k < script.size(); ++k) {
    if (!keep[k]) {
      gap = true;
      continue;
    }
    if (out.size() >= max_lines) {
      out.push_back("... (more differences)");
      break;
    }
    if (gap && !out.empty()) out.push_back("...");
    gap = false;
    char number[32];
    std::snprintf(number, sizeof number, "line %4zu %c ", script[k].number, script[k].op);
    out.push_back(number + shown(script[k].text));
  }
  std::string text;
  for (const auto& line : out) text += (text.empty() ? "" : "\n") + line;
  return text;
}

std::vector<std::string> missing_fragments(const std::string& fragments, const std::string& text) {
  std::vector<std::string> missing;
  size_t from = 0, line_number = 0;
  for (const auto& line : lines_of(fragments)) {
    ++line_number;
    std::string fragment = line;
    if (!fragment.empty() && fragment.back() == '\r') fragment.pop_back();
    if (fragment.find_first_not_of(" \t") == std::string::npos) continue;
    const size_t at = text.find(fragment, from);
    if (at == std::string::npos) {
      const bool earlier = text.find(fragment) != std::string::npos;
      missing.push_back("fragment " + std::to_string(line_number) + " " +
                        (earlier ? "is there, but not after the one before it: " : "is missing: ") +
                        shown(fragment));
      continue;
    }
    from = at + fragment.size();
  }
  return missing;
}

}  // namespace tally::cli::golden
