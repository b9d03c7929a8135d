// Fitting a table to the terminal: the width to fit (the terminal's, from
// TIOCGWINSZ, or $COLUMNS), and which columns to shorten or leave out.
// Pure functions, tested without a terminal.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <string>
#include <vector>

namespace tally::table {

// Display width: code points, not bytes.
inline size_t display_width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

// The first `width` code points, the last one replaced by "…" when cut.
inline std::string cut(const std::string& s, size_t width) {
  if (display_width(s) <= width || width == 0) return s;
  std::string out;
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80) {
      if (n + 1 == width) break;
      ++n;
    }
    out += s[i];
  }
  return out + "…";
}

// How a table is laid out: two spaces before the first column and between
// columns, so a line is 2 + sum(widths) + 2 * (columns - 1) wide.
struct Layout {
  std::vector<size_t> shown;    // column indexes, in order
  std::vector<size_t> widths;   // per shown column
  std::vector<size_t> dropped;  // column indexes left out
  std::vector<size_t> cut;      // text columns shortened (cells end in "…")
};

inline size_t line_width(const std::vector<size_t>& widths) {
  size_t w = 2;
  for (size_t i = 0; i < widths.size(); ++i) w += widths[i] + (i ? 2 : 0);
  return w;
}

constexpr size_t kMinTextWidth = 12;

// Fits columns of `widths` into `max_width` (0 = no limit). First, text
// columns after the first (the row's name stays whole) are shortened,
// widest first, down to kMinTextWidth; then the right-most columns are
// left out, the first column always kept: later columns are the lower
// priority ones, as metrics put the name and main figures first; room
// that leaving columns out frees goes back to the shortened columns.
inline Layout fit(const std::vector<size_t>& widths, const std::vector<bool>& is_text, size_t max_width) {
  Layout l;
  for (size_t i = 0; i < widths.size(); ++i) l.shown.push_back(i);
  l.widths = widths;
  if (max_width == 0 || line_width(l.widths) <= max_width) return l;
  while (line_width(l.widths) > max_width) {
    size_t widest = 0;
    for (size_t i = 1; i < l.widths.size(); ++i)
      if (is_text[i] && l.widths[i] > kMinTextWidth && (widest == 0 || l.widths[i] > l.widths[widest]))
        widest = i;
    if (widest == 0) break;
    size_t excess = line_width(l.widths) - max_width;
    l.widths[widest] = std::max(kMinTextWidth, l.widths[widest] - std::min(excess, l.widths[widest]));
    if (std::find(l.cut.begin(), l.cut.end(), widest) == l.cut.end()) l.cut.push_back(widest);
  }
  while (line_width(l.widths) > max_width && l.shown.size() > 1) {
    l.dropped.insert(l.dropped.begin(), l.shown.back());
    l.cut.erase(std::remove(l.cut.begin(), l.cut.end(), l.shown.back()), l.cut.end());
    l.shown.pop_back();
    l.widths.pop_back();
  }
  // Room freed by leaving columns out goes back to the shortened ones, left first.
  for (size_t i = 1; i < l.shown.size() && line_width(l.widths) < max_width; ++i) {
    const size_t full = widths[l.shown[i]];
    if (l.widths[i] >= full) continue;
    l.widths[i] += std::min(full - l.widths[i], max_width - line_width(l.widths));
    if (l.widths[i] == full) l.cut.erase(std::remove(l.cut.begin(), l.cut.end(), l.shown[i]), l.cut.end());
  }
  std::sort(l.cut.begin(), l.cut.end());
  return l;
}

// Items joined by `sep`, broken into lines of at most `width` (0 = one
// line); an item longer than the width gets a line of its own.
inline std::vector<std::string> join_lines(const std::vector<std::string>& items, const std::string& sep,
                                           size_t width) {
  std::vector<std::string> lines;
  for (const auto& item : items) {
    if (!lines.empty() &&
        (width == 0 || display_width(lines.back()) + display_width(sep) + display_width(item) <= width))
      lines.back() += sep + item;
    else
      lines.push_back(item);
  }
  return lines;
}

// The width to fit: the terminal's columns when the output is one
// (`tty_columns` from TIOCGWINSZ, 0 if unknown), else $COLUMNS when set;
// 0 (no fitting) for a pipe or file without $COLUMNS, so a script gets
// every column.
inline size_t target_width(bool is_tty, size_t tty_columns, const char* columns_env) {
  if (columns_env && *columns_env) {
    long n = std::strtol(columns_env, nullptr, 10);
    if (n >= 20) return static_cast<size_t>(n);
  }
  if (is_tty && tty_columns >= 20) return tty_columns;
  return 0;
}

}  // namespace tally::table
