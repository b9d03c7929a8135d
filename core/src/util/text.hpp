// Small text helpers shared by messages and reports.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tally {

// Levenshtein distance, for "did you mean" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);
// The closest candidate within distance 2 (or a third of the word), or "".
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);
std::string join(const std::vector<std::string>& items, std::string_view separator);
// A machine name as a heading: "win_rate_smb" -> "Win rate SMB". Words split on
// '_', '-' and spaces; known abbreviations (ARR, MRR, SMB, P50, ...) in capitals,
// the first word capitalised, the rest as written.
std::string humanize_name(std::string_view name);

// Text from data and configs made safe for a terminal: C0 controls (but the
// line break when `keep_newlines`), DEL and C1 controls are written as visible
// escapes (ESC -> "\e", TAB -> "\t", others "\x1f", C1 "\u009b"), and bytes
// that are not UTF-8 as "\xff"; everything else is unchanged.
std::string escape_for_terminal(std::string_view text, bool keep_newlines = true);

}  // namespace tally
