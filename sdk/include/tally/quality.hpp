// Data-quality notes worded alike by every metric (header-only, no ABI):
// amounts that are unknown (NULL) and intervals that run backwards. A
// total over unknown amounts is never shown as $0.00: the rows without an
// amount are counted and named beside the figures, and a total whose every
// row is unknown is n/a.
#pragma once

#include <tally/format.hpp>
#include <tally/sdk.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace tally::sdk::quality {

// "1 deal", "2,089 deals".
inline std::string counted(int64_t n, const std::string& one, const std::string& many) {
  return format::grouped(static_cast<double>(n), 0) + " " + (n == 1 ? one : many);
}

// A sum over `rows` rows of which `unknown` had no amount: n/a when every
// row's amount was unknown, else the sum of the known ones (0 when there
// were no rows at all: nothing happened, a real zero).
inline std::optional<double> known_total(double sum, int64_t rows, int64_t unknown) {
  if (rows > 0 && unknown >= rows) return std::nullopt;
  return sum;
}

// Query text: rows matching `condition` whose `amount` is NULL.
inline std::string unknown_count(const std::string& condition, const std::string& amount = "amount") {
  return "count_if((" + condition + ") and " + amount + " is null)";
}

// "amount unknown on 2,089 open deals: Open pipeline counts the known amounts
// only". Nothing when n is 0.
inline void note_unknown_amounts(const Context& ctx, int64_t n, const std::string& rows_one,
                                 const std::string& rows_many, const std::string& figures) {
  if (n <= 0) return;
  ctx.note("amount unknown on " + counted(n, rows_one, rows_many) + ": " + figures +
           " count the known amounts only");
}

// "3 won deals closed before they were created: left out of the cycle
// times (data error)". Nothing when n is 0.
inline void note_backwards(const Context& ctx, int64_t n, const std::string& rows_one,
                           const std::string& rows_many, const std::string& what_happened,
                           const std::string& left_out_of) {
  if (n <= 0) return;
  ctx.note(counted(n, rows_one, rows_many) + " " + what_happened + ": left out of " + left_out_of +
           " (data error)");
}

}  // namespace tally::sdk::quality
