// Reading rendered conditions for the ClickHouse dialect's pushdown
// (dialect_clickhouse.cpp): which AND terms a condition has, and which ones
// no row without a join match passes. The text is the query layer's own
// rendering: operators upper case, every operand parenthesised, values as
// parameter marks (so a quote is only ever the dialect's own literal).
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "query/internal.hpp"

namespace tally::query::detail {

namespace {

// `s` without parentheses that enclose all of it.
std::string unwrap(std::string s) {
  while (s.size() >= 2 && s.front() == '(' && s.back() == ')') {
    int depth = 0;
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      depth += s[i] == '(' ? 1 : s[i] == ')' ? -1 : 0;
      if (depth == 0) return s;  // the first parenthesis closes before the end
    }
    s = s.substr(1, s.size() - 2);
  }
  return s;
}

// The parts of `sql` between `op`s outside parentheses; `sql` alone when
// there is none, or when a quote or (for AND) a BETWEEN or CASE stands
// outside parentheses, where an AND is not an operator between conditions.
std::vector<std::string> split_at(const std::string& sql, const std::string& op) {
  std::vector<std::string> parts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] == '(') ++depth;
    if (sql[i] == ')') --depth;
    if (sql[i] == '\'') return {sql};
    if (depth != 0) continue;
    if (op == " AND " && (sql.compare(i, 9, " BETWEEN ") == 0 || sql.compare(i, 5, "CASE ") == 0))
      return {sql};
    if (sql.compare(i, op.size(), op) == 0) {
      parts.push_back(sql.substr(start, i - start));
      start = i + op.size();
    }
  }
  parts.push_back(sql.substr(start));
  return parts;
}

// Takes `alias__column` from the front of `text`.
bool take_column(std::string_view& text, const std::string& alias) {
  if (!text.starts_with(alias) || text.substr(alias.size()).substr(0, 2) != "__") return false;
  size_t end = alias.size() + 2;
  while (end < text.size() && identifier_char(text[end])) ++end;
  if (end == alias.size() + 2) return false;
  text.remove_prefix(end);
  return true;
}

// Takes a column of `alias`, a parameter mark or a plain number from the front of `text`.
bool take_operand(std::string_view& text, const std::string& alias) {
  if (take_column(text, alias)) return true;
  size_t end = 0;
  if (!text.empty() && text[0] == kMarkOpen) {
    end = text.find(kMarkClose);
    if (end == std::string_view::npos) return false;
    text.remove_prefix(end + 1);
    return true;
  }
  if (!text.empty() && text[0] == '-') ++end;
  const size_t digits = end;
  while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.'))
    ++end;
  if (end == digits) return false;
  text.remove_prefix(end);
  return true;
}

// A condition's value when every column of the alias is NULL.
enum class Truth { False, True, Null, Unknown };

Truth value_when_null(const std::string& alias, const std::string& text);

// Three-valued OR (`decisive` True, else False) or AND (`decisive` False,
// else True) of the parts' values.
Truth combine(const std::string& alias, const std::vector<std::string>& parts, Truth decisive,
              Truth otherwise) {
  bool unknown = false, null = false;
  for (const auto& part : parts) {
    const Truth t = value_when_null(alias, part);
    if (t == decisive) return decisive;
    unknown = unknown || t == Truth::Unknown;
    null = null || t == Truth::Null;
  }
  return unknown ? Truth::Unknown : null ? Truth::Null : otherwise;
}

Truth value_when_null(const std::string& alias, const std::string& text) {
  const std::string sql = unwrap(text);
  if (const auto ors = split_at(sql, " OR "); ors.size() > 1)
    return combine(alias, ors, Truth::True, Truth::False);
  if (const auto ands = split_at(sql, " AND "); ands.size() > 1)
    return combine(alias, ands, Truth::False, Truth::True);
  if (sql.starts_with("NOT ")) {
    const Truth t = value_when_null(alias, sql.substr(4));
    return t == Truth::True ? Truth::False : t == Truth::False ? Truth::True : t;
  }
  std::string_view rest = sql;
  if (!take_column(rest, alias)) return Truth::Unknown;
  if (rest == " IS NULL") return Truth::True;
  if (rest == " IS NOT NULL") return Truth::False;
  if (rest.starts_with(" IN (") && rest.ends_with(")")) {
    rest = rest.substr(5, rest.size() - 6);
    while (take_operand(rest, alias))
      if (rest.empty())
        return Truth::Null;
      else if (rest.starts_with(", "))
        rest.remove_prefix(2);
      else
        break;
    return Truth::Unknown;
  }
  for (const char* op : {" <= ", " >= ", " <> ", " != ", " = ", " < ", " > "}) {
    const std::string_view o = op;
    if (rest.starts_with(o)) {
      rest.remove_prefix(o.size());
      return take_operand(rest, alias) && rest.empty() ? Truth::Null : Truth::Unknown;
    }
  }
  return Truth::Unknown;
}

}  // namespace

std::vector<std::string> and_terms(const std::string& sql) {
  const auto parts = split_at(unwrap(sql), " AND ");
  if (parts.size() == 1) return {unwrap(sql)};
  std::vector<std::string> terms;
  for (const auto& part : parts)
    for (auto& term : and_terms(part)) terms.push_back(std::move(term));
  return terms;
}

bool rejects_nulls_of(const std::string& alias, const std::string& condition) {
  const Truth t = value_when_null(alias, condition);
  return t == Truth::False || t == Truth::Null;
}

}  // namespace tally::query::detail
