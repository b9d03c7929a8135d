// Tokens of the expression language (numbers, 'strings', :params, names,
// symbols), each with its offset in the text for error messages.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "query/internal.hpp"

namespace tally::query::detail {

enum class Tok { Number, String, Param, Ident, Symbol, End };

struct Token {
  Tok kind = Tok::End;
  std::string text;  // identifier (lower case), symbol, param name, string contents
  Value value;       // numbers
  size_t offset = 0;
};

// The tokens of `text`, ending with one Tok::End; throws QueryError naming
// the offset of a malformed number, string or parameter.
std::vector<Token> tokenize(std::string_view text);

}  // namespace tally::query::detail
