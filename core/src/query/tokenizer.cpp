#include "query/tokenizer.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace tally::query::detail {

namespace {

bool ident_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class Tokenizer {
 public:
  explicit Tokenizer(std::string_view text) : text_(text) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    for (;;) {
      while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
      if (pos_ >= text_.size()) break;
      out.push_back(next());
    }
    out.push_back({Tok::End, "", {}, text_.size()});
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& problem, size_t offset) const {
    throw QueryError(expression_error(text_, problem, offset));
  }

  Token next() {
    const size_t start = pos_;
    const char c = text_[pos_];
    if (std::isdigit(static_cast<unsigned char>(c))) return number(start);
    if (ident_start(c)) {
      while (pos_ < text_.size() && ident_char(text_[pos_])) ++pos_;
      return {Tok::Ident, lower(std::string(text_.substr(start, pos_ - start))), {}, start};
    }
    if (c == ':') {
      ++pos_;
      if (pos_ >= text_.size() || !ident_start(text_[pos_]))
        fail("':' must start a parameter name like :since", start);
      while (pos_ < text_.size() && ident_char(text_[pos_])) ++pos_;
      return {Tok::Param, std::string(text_.substr(start + 1, pos_ - start - 1)), {}, start};
    }
    if (c == '\'') return string(start);
    for (std::string_view two : {"!=", "<>", "<=", ">="}) {
      if (text_.substr(pos_, 2) == two) {
        pos_ += 2;
        return {Tok::Symbol, std::string(two), {}, start};
      }
    }
    if (std::string_view("()=<>+-*/,").find(c) != std::string_view::npos) {
      ++pos_;
      return {Tok::Symbol, std::string(1, c), {}, start};
    }
    if (c == '"') fail("double quotes are not allowed; write strings in single quotes", start);
    if (c == ';') fail("';' is not allowed: an expression is not a statement", start);
    fail(std::string("unexpected character '") + c + "'", start);
  }

  Token number(size_t start) {
    bool is_real = false;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      is_real = true;
      ++pos_;
      if (pos_ >= text_.size() || !std::isdigit(static_cast<unsigned char>(text_[pos_])))
        fail("a digit must follow the decimal point", pos_);
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      is_real = true;
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (pos_ >= text_.size() || !std::isdigit(static_cast<unsigned char>(text_[pos_])))
        fail("a digit must follow the exponent", pos_);
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    }
    if (pos_ < text_.size() && ident_char(text_[pos_])) fail("a number cannot run into a name", pos_);
    const std::string literal(text_.substr(start, pos_ - start));
    Token t{Tok::Number, literal, {}, start};
    if (!is_real) {
      int64_t n = 0;
      auto [end, ec] = std::from_chars(literal.data(), literal.data() + literal.size(), n);
      if (ec == std::errc() && end == literal.data() + literal.size()) {
        t.value = n;
        return t;
      }
    }
    const double d = std::strtod(literal.c_str(), nullptr);
    if (!std::isfinite(d)) fail("number out of range", start);
    t.value = d;
    return t;
  }

  Token string(size_t start) {
    std::string contents;
    ++pos_;
    for (;;) {
      if (pos_ >= text_.size()) fail("unterminated string (strings end with ')", start);
      const char c = text_[pos_++];
      if (c != '\'') {
        contents += c;
      } else if (pos_ < text_.size() && text_[pos_] == '\'') {
        contents += '\'';
        ++pos_;
      } else {
        break;
      }
    }
    return {Tok::String, contents, {}, start};
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

std::vector<Token> tokenize(std::string_view text) {
  return Tokenizer(text).run();
}

}  // namespace tally::query::detail
