// The comparisons behind `tally test-plugin` (cli/test_plugin.cpp): a JSON
// subset with tolerances (metric and source cases), and text with a readable
// line diff or a list of required fragments (report cases).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tally::cli::golden {

// Compares `actual` against `expected` (a subset: every key the expected value
// has must be there and equal), numbers within a tolerance that follows their
// unit (money to half a cent, percent and ratios to 1e-6, other numbers to
// 1e-9 relative). Appends one line per difference, naming its path.
void compare_json(const nlohmann::json& expected, const nlohmann::json& actual, const std::string& path,
                  const std::string& unit, std::vector<std::string>& diffs);

// What changes from one run to the next, replaced by a placeholder before a
// rendered output is compared: each `from` string becomes its `to`, then
// every ISO UTC timestamp (2026-12-02T08:30:00Z) becomes {generated_at}.
struct Replacement {
  std::string from;
  std::string to;
};
std::string normalise(std::string text, const std::vector<Replacement>& replacements);

// "" when `actual` equals `expected`; else a line diff (`-` expected, `+`
// actual, each with its line number, two lines of context), at most
// `max_lines` lines of it.
std::string text_diff(const std::string& expected, const std::string& actual, size_t max_lines = 40);

// The non-empty lines of `fragments` that do not occur in `text` in that
// order (each searched after the end of the one before), as messages.
std::vector<std::string> missing_fragments(const std::string& fragments, const std::string& text);

}  // namespace tally::cli::golden
