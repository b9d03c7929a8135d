// The expression language: a recursive-descent parser over tokenizer.hpp's tokens. Names are
// resolved against the dataset while parsing, so a typo fails at the call
// that introduced it, with the offset and the valid names. (Over 400 lines:
// one grammar, one precedence level per function, kept together.)
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "query/internal.hpp"
#include "query/tokenizer.hpp"
#include "util/text.hpp"

namespace tally::query::detail {

std::string expression_error(std::string_view text, const std::string& problem, size_t offset) {
  return "in expression \"" + std::string(text) + "\": " + problem + " at offset " + std::to_string(offset);
}

std::string number_literal(double value) {
  if (!std::isfinite(value)) throw QueryError("not a finite number");
  char buffer[64];
  // Shortest text that reads back as the same double, independent of the locale.
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

const std::vector<FunctionDef>& functions() {
  static const std::vector<FunctionDef> all = {
      {"count", 1, 1, true},
      {"count_distinct", 1, 1, true},
      {"count_if", 1, 1, true},
      {"sum", 1, 1, true},
      {"sum_if", 2, 2, true},
      {"avg", 1, 1, true},
      {"avg_if", 2, 2, true},
      {"min", 1, 1, true},
      {"max", 1, 1, true},
      {"quantile", 2, 2, true},
      {"median", 1, 1, true},
      {"days_between", 2, 2, false},
      {"hours_between", 2, 2, false},
      {"minutes_between", 2, 2, false},
      {"bucket", 2, 2, false},
      {"date", 1, 1, false},
      {"in_period", 1, 1, false},
      {"coalesce", 2, 16, false},
      {"if", 3, 3, false},
      {"nullif", 2, 2, false},
      {"abs", 1, 1, false},
      {"round", 1, 2, false},
      {"lower", 1, 1, false},
      {"upper", 1, 1, false},
      {"least", 2, 2, false},
      {"greatest", 2, 2, false},
  };
  return all;
}

const FunctionDef* find_function(std::string_view name) {
  for (const auto& f : functions())
    if (f.name == name) return &f;
  return nullptr;
}

bool is_aggregate(const Node& node) {
  if (node.kind == Node::Kind::Call) {
    const FunctionDef* f = find_function(node.text);
    if (f && f->aggregate) return true;
  }
  for (const auto& a : node.args)
    if (is_aggregate(a)) return true;
  return false;
}

namespace {

const std::vector<std::string>& bucket_units() {
  static const std::vector<std::string> units = {"day", "week", "month", "quarter", "year"};
  return units;
}

class Parser {
 public:
  Parser(std::string_view text, const DatasetDef& dataset)
      : text_(text), dataset_(dataset), tokens_(tokenize(text)) {}

  Node parse() {
    if (peek().kind == Tok::End) fail("empty expression", 0);
    Node n = parse_or();
    if (peek().kind != Tok::End) fail("unexpected '" + peek().text + "'", peek().offset);
    return n;
  }

 private:
  // Deep nesting is someone probing, not a query; keep the stack bounded.
  // Each parenthesis level costs 3, a `not`, a minus sign or an operator of a
  // chain 1. SQLite's parser refuses SQL nested past about 46 negations or 31
  // function calls ("parser stack overflow", found by fuzz/expression_fuzz),
  // so a deeper expression is refused here with a clear message instead.
  static constexpr int kMaxDepth = 40;

  // One more operator of a chain (a + b + c nests to the left).
  void chained(int& count) {
    ++count;
    if (++depth_ > kMaxDepth) fail("expression nested too deeply", peek().offset);
  }

  [[noreturn]] void fail(const std::string& problem, size_t offset) const {
    throw QueryError(expression_error(text_, problem, offset));
  }

  const Token& peek(size_t ahead = 0) const { return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)]; }
  const Token& take() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
  bool is_keyword(const char* word, size_t ahead = 0) const {
    return peek(ahead).kind == Tok::Ident && peek(ahead).text == word;
  }
  bool is_symbol(const char* symbol) const { return peek().kind == Tok::Symbol && peek().text == symbol; }
  void expect_symbol(const char* symbol, const char* what) {
    if (!is_symbol(symbol)) {
      const Token& t = peek();
      fail(std::string("expected ") + what + ", found " +
               (t.kind == Tok::End ? "the end" : "'" + t.text + "'"),
           t.offset);
    }
    take();
  }

  struct DepthGuard {
    explicit DepthGuard(Parser& p) : parser(p) {
      if (++parser.depth_ > kMaxDepth) parser.fail("expression nested too deeply", parser.peek().offset);
    }
    ~DepthGuard() { --parser.depth_; }
    Parser& parser;
  };

  static Node binary(std::string op, Node left, Node right, size_t offset) {
    Node n;
    n.kind = Node::Kind::Binary;
    n.text = std::move(op);
    n.offset = offset;
    n.args.push_back(std::move(left));
    n.args.push_back(std::move(right));
    return n;
  }

  Node parse_or() {
    DepthGuard guard(*this);
    Node left = parse_and();
    int chain = 0;
    while (is_keyword("or")) {
      take();
      chained(chain);
      const size_t offset = left.offset;
      left = binary("OR", std::move(left), parse_and(), offset);
    }
    depth_ -= chain;
    return left;
  }

  Node parse_and() {
    Node left = parse_not();
    int chain = 0;
    while (is_keyword("and")) {
      take();
      chained(chain);
      const size_t offset = left.offset;
      left = binary("AND", std::move(left), parse_not(), offset);
    }
    depth_ -= chain;
    return left;
  }

  Node parse_not() {
    DepthGuard guard(*this);
    if (is_keyword("not")) {
      Node n;
      n.kind = Node::Kind::Not;
      n.offset = take().offset;
      n.args.push_back(parse_not());
      return n;
    }
    return parse_cmp();
  }

  Node parse_cmp() {
    Node left = parse_add();
    const size_t offset = left.offset;
    if (peek().kind == Tok::Symbol) {
      const std::string op = peek().text;
      if (op == "=" || op == "!=" || op == "<>" || op == "<" || op == "<=" || op == ">" || op == ">=") {
        take();
        return binary(op == "!=" ? "<>" : op, std::move(left), parse_add(), offset);
      }
    }
    if (is_keyword("is")) {
      take();
      Node n;
      n.kind = Node::Kind::IsNull;
      n.offset = offset;
      if (is_keyword("not")) {
        take();
        n.flag = true;
      }
      if (!is_keyword("null")) fail("expected 'null' after 'is'", peek().offset);
      take();
      n.args.push_back(std::move(left));
      return n;
    }
    if (is_keyword("in") || (is_keyword("not") && is_keyword("in", 1))) {
      Node n;
      n.kind = Node::Kind::In;
      n.offset = offset;
      if (is_keyword("not")) {
        take();
        n.flag = true;
      }
      take();
      n.args.push_back(std::move(left));
      expect_symbol("(", "'(' after 'in'");
      n.args.push_back(parse_or());
      while (is_symbol(",")) {
        take();
        n.args.push_back(parse_or());
      }
      expect_symbol(")", "',' or ')' in the 'in' list");
      return n;
    }
    return left;
  }

  Node parse_add() {
    Node left = parse_mul();
    int chain = 0;
    while (is_symbol("+") || is_symbol("-")) {
      const std::string op = take().text;
      chained(chain);
      const size_t offset = left.offset;
      left = binary(op, std::move(left), parse_mul(), offset);
    }
    depth_ -= chain;
    return left;
  }

  Node parse_mul() {
    Node left = parse_unary();
    int chain = 0;
    while (is_symbol("*") || is_symbol("/")) {
      const std::string op = take().text;
      chained(chain);
      const size_t offset = left.offset;
      left = binary(op, std::move(left), parse_unary(), offset);
    }
    depth_ -= chain;
    return left;
  }

  Node parse_unary() {
    DepthGuard guard(*this);
    if (is_symbol("-")) {
      Node n;
      n.kind = Node::Kind::Negate;
      n.offset = take().offset;
      n.args.push_back(parse_unary());
      return n;
    }
    return parse_primary();
  }

  Node parse_primary() {
    const Token& t = peek();
    Node n;
    n.offset = t.offset;
    switch (t.kind) {
      case Tok::Number:
        n.kind = Node::Kind::Number;
        n.value = t.value;
        take();
        return n;
      case Tok::String:
        n.kind = Node::Kind::String;
        n.value = t.text;
        take();
        return n;
      case Tok::Param:
        n.kind = Node::Kind::Param;
        n.text = t.text;
        take();
        return n;
      case Tok::End: fail("expression ends too early", t.offset);
      case Tok::Symbol:
        if (t.text == "(") {
          take();
          n = parse_or();
          expect_symbol(")", "')'");
          return n;
        }
        if (t.text == "*") fail("'*' is only allowed as count(*)", t.offset);
        fail("unexpected '" + t.text + "'", t.offset);
      case Tok::Ident: break;
    }
    const std::string name = take().text;
    if (is_symbol("(")) return parse_call(name, n.offset);
    if (name == "true" || name == "false") {
      n.kind = Node::Kind::Boolean;
      n.flag = name == "true";
      return n;
    }
    if (name == "null") {
      n.kind = Node::Kind::Null;
      return n;
    }
    if (name == "and" || name == "or" || name == "not" || name == "is" || name == "in")
      fail("unexpected '" + name + "'", n.offset);
    if (name == "period_from" || name == "period_to" || name == "as_of") {
      n.kind = Node::Kind::PeriodBound;
      n.text = name;
      return n;
    }
    // A dimension wins over an own column of the same name, so grouping and
    // the report's filters always mean the same thing.
    n.column = dataset_.find_dimension(name);
    if (!n.column) n.column = dataset_.find_column(name);
    if (!n.column) unknown_name(name, n.offset);
    n.kind = Node::Kind::Column;
    n.text = name;
    return n;
  }

  [[noreturn]] void unknown_name(const std::string& name, size_t offset) const {
    std::vector<std::string> valid;
    for (const auto& c : dataset_.columns) valid.push_back(c.name);
    for (const auto& d : dataset_.dimensions) valid.push_back(d.name);
    valid.push_back("period_from");
    valid.push_back("period_to");
    valid.push_back("as_of");
    std::string problem = "unknown column '" + name + "' in dataset '" + dataset_.name + "'";
    if (const std::string near = closest_match(name, valid); !near.empty())
      problem += " (did you mean '" + near + "'?)";
    throw QueryError(expression_error(text_, problem, offset) + "; valid: " + join(valid, ", "));
  }

  Node parse_call(const std::string& name, size_t offset) {
    const FunctionDef* f = find_function(name);
    if (!f) {
      std::vector<std::string> valid;
      for (const auto& fn : functions()) valid.push_back(fn.name);
      std::string problem = "unknown function '" + name + "'";
      if (const std::string near = closest_match(name, valid); !near.empty())
        problem += " (did you mean '" + near + "'?)";
      throw QueryError(expression_error(text_, problem, offset) + "; valid: " + join(valid, ", "));
    }
    Node n;
    n.kind = Node::Kind::Call;
    n.text = name;
    n.offset = offset;
    take();  // (
    if (name == "count" && is_symbol("*")) {
      Node star;
      star.kind = Node::Kind::Star;
      star.offset = take().offset;
      n.args.push_back(std::move(star));
    } else if (!is_symbol(")")) {
      n.args.push_back(parse_or());
      while (is_symbol(",")) {
        take();
        n.args.push_back(parse_or());
      }
    }
    expect_symbol(")", "',' or ')' after a function argument");
    check_call(n, *f);
    return n;
  }

  void check_call(const Node& n, const FunctionDef& f) const {
    const int count = static_cast<int>(n.args.size());
    if (count < f.min_args || count > f.max_args) {
      std::string takes = f.min_args == f.max_args ? std::to_string(f.min_args)
                          : f.max_args >= 16
                              ? "at least " + std::to_string(f.min_args)
                              : std::to_string(f.min_args) + " or " + std::to_string(f.max_args);
      takes += (f.min_args == 1 && f.max_args == 1) ? " argument" : " arguments";
      fail("function '" + f.name + "' takes " + takes + ", got " + std::to_string(count), n.offset);
    }
    if (f.aggregate)
      for (const auto& a : n.args)
        if (is_aggregate(a)) fail("aggregate '" + f.name + "' cannot contain another aggregate", a.offset);
    if (f.name == "bucket") {
      const Node& unit = n.args[0];
      const auto& units = bucket_units();
      if (unit.kind != Node::Kind::String)
        fail("bucket's first argument must be a unit in quotes: 'day', 'week', 'month', 'quarter' or 'year'",
             unit.offset);
      if (std::find(units.begin(), units.end(), std::get<std::string>(unit.value)) == units.end())
        fail("unknown bucket unit '" + std::get<std::string>(unit.value) + "'; valid: " + join(units, ", "),
             unit.offset);
    }
    if (f.name == "quantile") {
      const Node& p = n.args[1];
      if (p.kind != Node::Kind::Number && p.kind != Node::Kind::Param)
        fail("quantile's level must be a number between 0 and 1 or a :parameter", p.offset);
      if (p.kind == Node::Kind::Number) {
        const double level = std::holds_alternative<int64_t>(p.value)
                                 ? static_cast<double>(std::get<int64_t>(p.value))
                                 : std::get<double>(p.value);
        if (level < 0 || level > 1) fail("quantile's level must be between 0 and 1", p.offset);
      }
    }
  }

  std::string_view text_;
  const DatasetDef& dataset_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

Node parse_expression(std::string_view text, const DatasetDef& dataset) {
  return Parser(text, dataset).parse();
}

}  // namespace tally::query::detail
