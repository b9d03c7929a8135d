// SQLite, PostgreSQL and ClickHouse spellings of the portable core. Dates and
// timestamps are canonical text ('YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS', UTC)
// on every engine, so each dialect parses them the same way.
#include <string>

#include "query/internal.hpp"

namespace tally::query {

namespace {

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

class PostgresDialect final : public detail::SqlDialect {
 public:
  std::string name() const override { return "postgresql"; }
  std::string placeholder(size_t index) const override { return "$" + std::to_string(index + 1); }
  std::string days_between(const std::string& a, const std::string& b) const override {
    // date_part gives double precision seconds; EXTRACT gives numeric, whose
    // arithmetic and sorting made the per-stage p90 several times slower.
    // Whole seconds divided once: the same double as SQLite's
    // tally_days_between.
    return "((date_part('epoch', CAST(" + b + " AS timestamp)) - date_part('epoch', CAST(" + a +
           " AS timestamp))) / 86400.0)";
  }
  std::string bucket_start(const std::string& unit, const std::string& ts,
                           int fiscal_year_start) const override {
    const int shift = checked_fiscal_start(fiscal_year_start) - 1;
    const std::string t = "CAST(" + ts + " AS timestamp)";
    auto text = [](const std::string& e) { return "to_char(" + e + ", 'YYYY-MM-DD')"; };
    if (unit == "day" || unit == "week" || unit == "month")
      return text("date_trunc('" + unit + "', " + t + ")");
    if (unit == "quarter" || unit == "year") {
      if (shift == 0) return text("date_trunc('" + unit + "', " + t + ")");
      // Shift into a calendar that starts with the fiscal year, truncate, shift back.
      const std::string months = "INTERVAL '" + std::to_string(shift) + " months'";
      return text("(date_trunc('" + unit + "', " + t + " - " + months + ") + " + months + ")");
    }
    throw QueryError("unknown bucket unit '" + unit + "'");
  }
  std::string date_of(const std::string& ts) const override {
    return "to_char(CAST(" + ts + " AS timestamp), 'YYYY-MM-DD')";
  }
  std::string quantile(const std::string& x, const std::string& p) const override {
    return "percentile_cont(" + p + ") WITHIN GROUP (ORDER BY " + x + ")";
  }
  std::string count_distinct(const std::string& x) const override { return "count(DISTINCT " + x + ")"; }
  std::string quote_identifier(const std::string& id) const override { return quote_with(id, '"'); }

  std::string divide(const std::string& a, const std::string& b) const override {
    return "(CAST(" + a + " AS double precision) / NULLIF(" + b + ", 0))";
  }
  // LEAST/GREATEST skip NULLs in PostgreSQL; the portable meaning is NULL.
  std::string least(const std::string& a, const std::string& b) const override {
    return "(CASE WHEN " + a + " IS NULL OR " + b + " IS NULL THEN NULL ELSE LEAST(" + a + ", " + b +
           ") END)";
  }
  std::string greatest(const std::string& a, const std::string& b) const override {
    return "(CASE WHEN " + a + " IS NULL OR " + b + " IS NULL THEN NULL ELSE GREATEST(" + a + ", " + b +
           ") END)";
  }
  // round(x, n) exists only for numeric; the result is cast back to a double.
  std::string round(const std::string& x, const std::string* digits) const override {
    return "CAST(round(CAST(" + x + " AS numeric)" + (digits ? ", CAST(" + *digits + " AS integer)" : "") +
           ") AS double precision)";
  }
  std::string nullif(const std::string& a, const std::string& b) const override {
    return "NULLIF(" + a + ", " + b + ")";
  }
  std::string boolean(bool value) const override { return value ? "TRUE" : "FALSE"; }
  // Flags are bigint columns (0/1), as in SQLite: truth values convert both ways.
  std::string condition_as_value(const std::string& condition) const override {
    return "CAST(" + condition + " AS integer)";
  }
  std::string value_as_condition(const std::string& value) const override { return "(" + value + " <> 0)"; }
  // Values are text: the column is compared as text.
  std::string in_json_list(const std::string& column, const std::string& placeholder) const override {
    return "CAST(" + column + " AS text) = ANY(ARRAY(SELECT json_array_elements_text(CAST(" + placeholder +
           " AS json))))";
  }
  std::string in_json_values(const std::string& expr, const std::string& placeholder,
                             ListType type) const override {
    const std::string item = type == ListType::Integer ? "CAST(v AS bigint)"
                             : type == ListType::Real  ? "CAST(v AS double precision)"
                                                       : "v";
    return expr + " IN (SELECT " + item + " FROM json_array_elements_text(CAST(" + placeholder +
           " AS json)) AS j(v))";
  }
};

// ClickHouse 18.16 has no server-side parameters: the backend inlines each
// `?` as an escaped literal before sending the query.
class ClickhouseDialect final : public detail::SqlDialect {
 public:
  std::string name() const override { return "clickhouse"; }
  std::string placeholder(size_t) const override { return "?"; }
  std::string days_between(const std::string& a, const std::string& b) const override {
    return "((toInt64(toUnixTimestamp(" + timestamp(b) + ")) - toInt64(toUnixTimestamp(" + timestamp(a) +
           "))) / 86400)";
  }
  std::string bucket_start(const std::string& unit, const std::string& ts,
                           int fiscal_year_start) const override {
    const int shift = checked_fiscal_start(fiscal_year_start) - 1;
    const std::string d = "toDate(substring(" + ts + ", 1, 10))";
    if (unit == "day") return "toString(" + d + ")";
    if (unit == "week") return "toString(toMonday(" + d + "))";
    if (unit == "month") return "toString(toStartOfMonth(" + d + "))";
    if (unit == "quarter" || unit == "year") {
      const std::string start = unit == "quarter" ? "toStartOfQuarter" : "toStartOfYear";
      if (shift == 0) return "toString(" + start + "(" + d + "))";
      const std::string n = std::to_string(shift);
      return "toString(addMonths(" + start + "(addMonths(" + d + ", -" + n + ")), " + n + "))";
    }
    throw QueryError("unknown bucket unit '" + unit + "'");
  }
  std::string date_of(const std::string& ts) const override { return "substring(" + ts + ", 1, 10)"; }
  std::string quantile(const std::string& x, const std::string& p) const override {
    return "quantileExactInclusive(" + p + ")(" + x + ")";
  }
  std::string count_distinct(const std::string& x) const override { return "uniqExact(" + x + ")"; }
  std::string quote_identifier(const std::string& id) const override { return quote_with(id, '`'); }

  std::string divide(const std::string& a, const std::string& b) const override {
    return "(" + a + " / nullIf(" + b + ", 0))";
  }
  std::string least(const std::string& a, const std::string& b) const override {
    return "least(" + a + ", " + b + ")";
  }
  std::string greatest(const std::string& a, const std::string& b) const override {
    return "greatest(" + a + ", " + b + ")";
  }
  std::string round(const std::string& x, const std::string* digits) const override {
    return "round(" + x + (digits ? ", " + *digits : "") + ")";
  }
  std::string nullif(const std::string& a, const std::string& b) const override {
    return "nullIf(" + a + ", " + b + ")";
  }
  std::string boolean(bool value) const override { return value ? "1" : "0"; }
  bool inline_quantile_level() const override { return true; }
  std::string in_json_list(const std::string& column, const std::string& placeholder) const override {
    return "has(JSONExtract(" + placeholder + ", 'Array(String)'), toString(" + column + "))";
  }
  std::string in_json_values(const std::string& expr, const std::string& placeholder,
                             ListType type) const override {
    if (type == ListType::Text) return in_json_list(expr, placeholder);
    const std::string array = type == ListType::Integer ? "'Array(Int64)'" : "'Array(Float64)'";
    return "has(JSONExtract(" + placeholder + ", " + array + "), " + expr + ")";
  }

 private:
  static std::string timestamp(const std::string& ts) { return "toDateTime(" + ts + ", 'UTC')"; }
};

}  // namespace

std::unique_ptr<Dialect> make_sqlite_dialect() {
  return std::make_unique<SqliteDialect>();
}
std::unique_ptr<Dialect> make_postgres_dialect() {
  return std::make_unique<PostgresDialect>();
}
std::unique_ptr<Dialect> make_clickhouse_dialect() {
  return std::make_unique<ClickhouseDialect>();
}

}  // namespace tally::query
