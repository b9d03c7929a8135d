// The spellings of the portable core shared by every SQL dialect, and
// SQLite's; PostgreSQL's and ClickHouse's are in dialect_postgres.cpp and
// dialect_clickhouse.cpp. Dates and timestamps are canonical text
// ('YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS', UTC) on every engine, so each
// dialect parses them the same way.
#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "util/text.hpp"

#include "query/internal.hpp"

namespace tally::query {

namespace detail {

int checked_fiscal_start(int fiscal_year_start) {
  if (fiscal_year_start < 1 || fiscal_year_start > 12)
    throw QueryError("fiscal_year_start must be a month 1-12, got " + std::to_string(fiscal_year_start));
  return fiscal_year_start;
}

std::string quote_with(const std::string& id, char quote) {
  std::string out(1, quote);
  for (char c : id) {
    if (c == quote) out += quote;
    out += c;
  }
  out += quote;
  return out;
}

bool identifier_char(char c) {
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::string plain_name(const std::string& name) {
  return name;
}

std::string expand_tables(const std::string& text,
                          const std::function<std::string(const std::string&)>& table_name) {
  if (text.empty() || text[0] != '(') return table_name(text);
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    const size_t close = text[i] == '{' ? text.find('}', i) : std::string::npos;
    if (close == std::string::npos) {
      out += text[i];
      continue;
    }
    out += table_name(text.substr(i + 1, close - i - 1));
    i = close;
  }
  return out;
}

std::string standard_select(const SelectParts& parts, const Dialect& dialect,
                            const std::function<std::string(const std::string&)>& table_name,
                            const std::string& after_joins) {
  std::vector<std::string> columns;
  for (size_t i = 0; i < parts.columns.size(); ++i)
    columns.push_back(parts.columns[i] + " AS " + dialect.quote_identifier(parts.aliases.at(i)));
  std::string sql =
      "SELECT " + join(columns, ", ") + " FROM " + expand_tables(parts.dataset->from, table_name) + " AS t";
  for (const auto* j : parts.joins)
    sql += " LEFT JOIN " + expand_tables(j->table, table_name) + " AS " + j->alias + " ON " + j->alias + "." +
           j->key + " = " + j->on;
  if (!after_joins.empty()) sql += " " + after_joins;
  if (!parts.conditions.empty()) {
    std::vector<std::string> wrapped;
    for (const auto& c : parts.conditions) wrapped.push_back("(" + c + ")");
    sql += " WHERE " + join(wrapped, " AND ");
  }
  if (!parts.groups.empty()) sql += " GROUP BY " + join(parts.groups, ", ");
  std::vector<std::string> order;
  for (const auto& term : parts.order)
    order.push_back(dialect.quote_identifier(parts.aliases.at(term.column)) +
                    (term.descending ? " DESC" : " ASC") + " NULLS LAST");
  if (!order.empty()) sql += " ORDER BY " + join(order, ", ");
  if (parts.limit) sql += " LIMIT " + std::to_string(*parts.limit);
  return sql;
}

std::string SqlDialect::assemble(const SelectParts& parts) const {
  return standard_select(parts, *this, plain_name);
}

}  // namespace detail

using detail::checked_fiscal_start;
using detail::quote_with;

namespace {

class SqliteDialect final : public detail::SqlDialect {
 public:
  std::string name() const override { return "sqlite"; }
  std::string placeholder(size_t) const override { return "?"; }
  std::string days_between(const std::string& a, const std::string& b) const override {
    // julianday(b) - julianday(a), with a fast path for the store's forms (store/sqlite.cpp).
    return "tally_days_between(" + a + ", " + b + ")";
  }
  std::string bucket_start(const std::string& unit, const std::string& ts,
                           int fiscal_year_start) const override {
    const std::string fs = std::to_string(checked_fiscal_start(fiscal_year_start));
    if (unit == "day") return "date(" + ts + ")";
    // 'weekday 0' moves forward to Sunday (staying on a Sunday); six days back is that week's Monday.
    if (unit == "week") return "date(" + ts + ", 'weekday 0', '-6 days')";
    if (unit == "month") return "date(" + ts + ", 'start of month')";
    // Back from the month's start to the first month of its fiscal quarter/year.
    const std::string months_into = "(CAST(strftime('%m', " + ts + ") AS INTEGER) - " + fs + " + 12)";
    if (unit == "quarter")
      return "date(" + ts + ", 'start of month', '-' || (" + months_into + " % 3) || ' months')";
    if (unit == "year")
      return "date(" + ts + ", 'start of month', '-' || (" + months_into + " % 12) || ' months')";
    throw QueryError("unknown bucket unit '" + unit + "'");
  }
  std::string date_of(const std::string& ts) const override { return "date(" + ts + ")"; }
  std::string quantile(const std::string& x, const std::string& p) const override {
    return "tally_quantile(" + x + ", " + p + ")";
  }
  std::string count_distinct(const std::string& x) const override { return "count(DISTINCT " + x + ")"; }
  std::string quote_identifier(const std::string& id) const override { return quote_with(id, '"'); }

  // SQLite divides integers as integers: 1 / 2 is 0.
  std::string divide(const std::string& a, const std::string& b) const override {
    return "(CAST(" + a + " AS REAL) / NULLIF(" + b + ", 0))";
  }
  std::string least(const std::string& a, const std::string& b) const override {
    return "min(" + a + ", " + b + ")";
  }
  std::string greatest(const std::string& a, const std::string& b) const override {
    return "max(" + a + ", " + b + ")";
  }
  std::string round(const std::string& x, const std::string* digits) const override {
    return "round(" + x + (digits ? ", " + *digits : "") + ")";
  }
  std::string nullif(const std::string& a, const std::string& b) const override {
    return "NULLIF(" + a + ", " + b + ")";
  }
  // Unary plus keeps SQLite's planner off the index for this comparison.
  std::string upper_bound_column(const std::string& column) const override { return "+" + column; }
  std::string boolean(bool value) const override { return value ? "1" : "0"; }
  std::string in_json_list(const std::string& column, const std::string& placeholder) const override {
    return column + " IN (SELECT value FROM json_each(" + placeholder + "))";
  }
  // json_each gives integers, reals and text as such.
  std::string in_json_values(const std::string& expr, const std::string& placeholder,
                             ListType) const override {
    return expr + " IN (SELECT value FROM json_each(" + placeholder + "))";
  }
};

}  // namespace

std::unique_ptr<Dialect> make_sqlite_dialect() {
  return std::make_unique<SqliteDialect>();
}

}  // namespace tally::query
