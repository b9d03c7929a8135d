// Rows as tab-separated text with backslash escapes: PostgreSQL's COPY text
// format and ClickHouse's TabSeparated, which differ only in how they spell
// NaN and the infinities.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace tally::store::text_rows {

struct Spelling {
  const char* nan;
  const char* infinity;
  const char* minus_infinity;
};
inline constexpr Spelling kPostgres{"NaN", "Infinity", "-Infinity"};
inline constexpr Spelling kClickhouse{"nan", "inf", "-inf"};

inline void append_integer(std::string& out, int64_t value) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, value).ptr);
}

// The shortest text that reads back as the same double.
inline void append_real(std::string& out, double value, const Spelling& spelling) {
  if (std::isnan(value)) {
    out += spelling.nan;
  } else if (std::isinf(value)) {
    out += value > 0 ? spelling.infinity : spelling.minus_infinity;
  } else {
    char buf[32];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, value).ptr);
  }
}

// Backslash, tab, newline, carriage return and NUL escaped (PostgreSQL
// refuses a NUL in text however it is written; ClickHouse keeps it).
inline void append_text(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\0': out += "\\0"; break;
      default: out += c;
    }
  }
}

}  // namespace tally::store::text_rows
