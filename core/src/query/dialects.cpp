// SQLite, PostgreSQL and ClickHouse spellings of the portable core. Dates and
// timestamps are canonical text ('YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS', UTC)
// on every engine, so each dialect parses them the same way.
#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "util/text.hpp"

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

bool identifier_char(char c) {
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::string plain_name(const std::string& name) {
  return name;
}

}  // namespace

namespace detail {

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

std::string standard_select(const SelectParts& parts,
                            const std::function<std::string(const std::string&)>& table_name,
                            const std::string& after_joins) {
  std::string sql = "SELECT " + join(parts.columns, ", ") + " FROM " +
                    expand_tables(parts.dataset->from, table_name) + " AS t";
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
  if (!parts.order.empty()) sql += " ORDER BY " + join(parts.order, ", ");
  if (parts.limit) sql += " LIMIT " + std::to_string(*parts.limit);
  return sql;
}

std::string SqlDialect::assemble(const SelectParts& parts) const {
  return standard_select(parts, plain_name);
}

}  // namespace detail

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

// PostgreSQL evaluates an expression as often as a query spells it. The
// per-stage p90 of days in stage spells days_between (two text-to-timestamp
// casts) ten times per row, which was 60% of its time. per_row() marks such
// an expression; assemble() computes each one the query uses more than once
// a single time per row, in `CROSS JOIN LATERAL (SELECT expr AS v0, ...
// OFFSET 0) AS tally_row` after the joins (OFFSET 0 keeps the planner from
// inlining it back), read as tally_row.v0. One used once stays in place. The
// marks are control characters, which no rendered SQL contains otherwise
// (literals travel as parameters).
constexpr char kRowOpen = '\x03';
constexpr char kRowClose = '\x04';

std::string without_row_marks(std::string sql) {
  sql.erase(std::remove_if(sql.begin(), sql.end(), [](char c) { return c == kRowOpen || c == kRowClose; }),
            sql.end());
  return sql;
}

// `sql` with each outermost marked expression replaced by replace(expression).
template <typename Replace>
std::string replace_row_marks(const std::string& sql, Replace&& replace) {
  std::string out;
  for (size_t i = 0; i < sql.size();) {
    if (sql[i] != kRowOpen) {
      out += sql[i++];
      continue;
    }
    size_t end = i;
    for (int depth = 0; end < sql.size(); ++end) {
      if (sql[end] == kRowOpen) ++depth;
      if (sql[end] == kRowClose && --depth == 0) break;
    }
    out += replace(without_row_marks(sql.substr(i + 1, end - i - 1)));
    i = end + 1;
  }
  return out;
}

// Rewrites `parts` as described above; returns the LATERAL clause, or "".
std::string hoist_per_row(detail::SelectParts& parts) {
  const auto lists = {&parts.columns, &parts.conditions, &parts.groups};
  std::map<std::string, int> uses;
  std::vector<std::string> order;  // first use first, so the SQL is stable
  for (auto* list : lists)
    for (const auto& item : *list)
      replace_row_marks(item, [&](const std::string& e) {
        if (uses[e]++ == 0) order.push_back(e);
        return e;
      });
  std::map<std::string, std::string> hoisted;  // expression -> tally_row.vN
  std::vector<std::string> values;
  for (const auto& e : order) {
    if (uses[e] < 2) continue;
    const std::string name = "v" + std::to_string(values.size());
    hoisted[e] = "tally_row." + name;
    values.push_back(e + " AS " + name);
  }
  for (auto* list : lists)
    for (auto& item : *list)
      item = replace_row_marks(item, [&](const std::string& e) {
        auto it = hoisted.find(e);
        return it == hoisted.end() ? e : it->second;
      });
  if (values.empty()) return "";
  return "CROSS JOIN LATERAL (SELECT " + join(values, ", ") + " OFFSET 0) AS tally_row";
}

class PostgresDialect final : public detail::SqlDialect {
 public:
  std::string name() const override { return "postgresql"; }
  std::string placeholder(size_t index) const override { return "$" + std::to_string(index + 1); }
  std::string days_between(const std::string& a, const std::string& b) const override {
    return days_between_epochs(a, "", b, "");
  }
  // date_part gives double precision seconds; EXTRACT gives numeric, whose
  // arithmetic and sorting made the per-stage p90 several times slower.
  // Whole seconds divided once: the same double as SQLite's
  // tally_days_between. A stored epoch (schema version 5) holds that same
  // date_part, computed when the row was written.
  std::string days_between_epochs(const std::string& a, const std::string& a_epoch, const std::string& b,
                                  const std::string& b_epoch) const override {
    auto epoch = [](const std::string& ts, const std::string& stored) {
      return stored.empty() ? "date_part('epoch', CAST(" + ts + " AS timestamp))" : stored;
    };
    return "((" + epoch(b, b_epoch) + " - " + epoch(a, a_epoch) + ") / 86400.0)";
  }
  // The `<column>_epoch` columns migration 5 of store/postgres/schema.cpp adds.
  std::string stored_epoch(const std::string& table, const std::string& column) const override {
    static const std::set<std::pair<std::string, std::string>> stored = {
        {"stage_history", "entered_at"}, {"stage_history", "exited_at"}, {"opportunities", "created_at"},
        {"opportunities", "closed_at"},  {"leads", "created_at"},        {"leads", "first_response_at"}};
    return stored.contains({table, column}) ? column + "_epoch" : "";
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
  std::string per_row(const std::string& expr) const override { return kRowOpen + expr + kRowClose; }
  std::string assemble(const detail::SelectParts& parts) const override {
    detail::SelectParts out = parts;
    const std::string lateral = hoist_per_row(out);
    if (out.dataset == nullptr || out.dataset->from_postgres.empty())
      return detail::standard_select(out, plain_name, lateral);
    detail::DatasetDef dataset = *out.dataset;  // a copy reading from_postgres
    dataset.from = dataset.from_postgres;
    out.dataset = &dataset;
    return detail::standard_select(out, plain_name, lateral);
  }

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
// `?` as an escaped literal before sending the query. It takes one JOIN per
// SELECT, resolves qualified names unreliably across shards and lets an
// alias shadow a column of the same name, so assemble() nests one join per
// subquery and renames every `alias.column` to a unique `alias__column`
// (docs/query-language.md). NULL text dates are parsed with the *OrNull
// functions; aggregates over no rows are NULL as in SQL.
class ClickhouseDialect final : public detail::SqlDialect {
 public:
  explicit ClickhouseDialect(std::string database) : database_(std::move(database)) {}
  std::string name() const override { return "clickhouse"; }
  std::string placeholder(size_t) const override { return "?"; }
  std::string days_between(const std::string& a, const std::string& b) const override {
    return "((toInt64(toUnixTimestamp(" + timestamp(b) + ")) - toInt64(toUnixTimestamp(" + timestamp(a) +
           "))) / 86400)";
  }
  std::string bucket_start(const std::string& unit, const std::string& ts,
                           int fiscal_year_start) const override {
    const int shift = checked_fiscal_start(fiscal_year_start) - 1;
    const std::string d = "toDateOrNull(substring(" + ts + ", 1, 10))";
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
  // 18.16 has no quantileExactInclusive: linear interpolation between the
  // closest ranks of the sorted values (as SQLite's tally_quantile and
  // percentile_cont), NULL without values; the rank never underflows.
  std::string quantile(const std::string& x, const std::string& p) const override {
    const std::string values = "arraySort(groupArray(toFloat64(" + x + ")))";
    const std::string rank = "(" + p + " * (toFloat64(greatest(length(" + values + "), 1)) - 1))";
    const std::string lo = "arrayElement(" + values + ", toUInt64(floor(" + rank + ")) + 1)";
    const std::string hi = "arrayElement(" + values + ", toUInt64(ceil(" + rank + ")) + 1)";
    return "if(length(" + values + ") = 0, NULL, " + lo + " + (" + hi + " - " + lo + ") * (" + rank +
           " - floor(" + rank + ")))";
  }
  // uniqExact of a Nullable argument is NULL over no rows; SQL counts 0.
  std::string count_distinct(const std::string& x) const override {
    return "ifNull(uniqExact(" + x + "), 0)";
  }
  std::string quote_identifier(const std::string& id) const override { return quote_with(id, '`'); }
  // sum over no rows is 0 and min/max/avg give defaults for non-Nullable
  // values; SQL gives NULL (sumOrNull does not exist in 18.16).
  std::string aggregate(const std::string& function, const std::string& x) const override {
    return "if(count(" + x + ") = 0, NULL, " + function + "(" + x + "))";
  }

  std::string divide(const std::string& a, const std::string& b) const override {
    return "(" + a + " / nullIf(" + b + ", 0))";
  }
  // count() is UInt64, which ClickHouse will not mix with Int64 or Float64.
  std::string count(const std::string& x) const override { return "toInt64(count(" + x + "))"; }
  std::string as_real(const std::string& x) const override { return "toFloat64(" + x + ")"; }
  // least/greatest: NULL when either is (as the other engines mean it).
  std::string least(const std::string& a, const std::string& b) const override {
    return "multiIf(isNull(" + a + ") OR isNull(" + b + "), NULL, " + a + " <= " + b + ", " + a + ", " + b +
           ")";
  }
  std::string greatest(const std::string& a, const std::string& b) const override {
    return "multiIf(isNull(" + a + ") OR isNull(" + b + "), NULL, " + a + " >= " + b + ", " + a + ", " + b +
           ")";
  }
  std::string round(const std::string& x, const std::string* digits) const override {
    return "round(" + x + (digits ? ", " + *digits : "") + ")";
  }
  std::string nullif(const std::string& a, const std::string& b) const override {
    return "nullIf(" + a + ", " + b + ")";
  }
  std::string boolean(bool value) const override { return value ? "1" : "0"; }
  bool inline_quantile_level() const override { return true; }
  // Values travel inlined (no parameter limit) and 18.16 has no JSONExtract:
  // a list of any length is `IN (...)`; in_json_list() serves only longer
  // lists than size_t holds.
  size_t max_inline_values() const override { return static_cast<size_t>(-1); }
  std::string in_json_list(const std::string& column, const std::string& placeholder) const override {
    return "has(JSONExtract(" + placeholder + ", 'Array(String)'), toString(" + column + "))";
  }
  std::string in_json_values(const std::string& expr, const std::string& placeholder,
                             ListType type) const override {
    if (type == ListType::Text) return in_json_list(expr, placeholder);
    const std::string array = type == ListType::Integer ? "'Array(Int64)'" : "'Array(Float64)'";
    return "has(JSONExtract(" + placeholder + ", " + array + "), " + expr + ")";
  }

  std::string assemble(const detail::SelectParts& parts) const override {
    std::map<std::string, std::set<std::string>> used;  // alias -> columns read from it
    auto flat = [&](const std::string& sql) { return flatten(sql, used); };
    detail::SelectParts out = parts;
    for (auto* list : {&out.columns, &out.conditions, &out.groups})
      for (auto& item : *list) item = flat(item);
    std::vector<std::string> on;
    for (const auto* j : parts.joins) {
      on.push_back(flat(j->on));
      used[j->alias].insert(j->key);
    }
    auto table = [this](const std::string& name) { return qualified(name); };
    std::string from = "(SELECT " + projection("t", used["t"]) + " FROM " +
                       detail::expand_tables(parts.dataset->from, table) + ")";
    for (size_t i = 0; i < parts.joins.size(); ++i) {
      const auto& j = *parts.joins[i];
      std::string left = on[i];
      if (!std::all_of(left.begin(), left.end(), identifier_char)) {
        // ON takes columns only: a computed key becomes one first.
        from = "(SELECT *, " + left + " AS " + j.alias + "__on FROM " + from + ")";
        left = j.alias + "__on";
      }
      from = "(SELECT * FROM " + from + " ALL LEFT JOIN (SELECT " + projection(j.alias, used[j.alias]) +
             " FROM " + detail::expand_tables(j.table, table) + ") ON " + left + " = " + j.alias + "__" +
             j.key + ")";
    }
    // standard_select with no joins, reading the nested query as its FROM.
    detail::DatasetDef nested;
    nested.from = from;
    out.dataset = &nested;
    out.joins.clear();
    return detail::standard_select(out, plain_name);
  }

 private:
  std::string timestamp(const std::string& ts) const {
    return "parseDateTimeBestEffortOrNull(" + ts + ", 'UTC')";
  }
  std::string qualified(const std::string& table) const {
    return database_.empty() ? table : quote_with(database_, '`') + "." + table;
  }
  static std::string projection(const std::string& alias, const std::set<std::string>& columns) {
    if (columns.empty()) return "1 AS " + alias + "__none";
    std::vector<std::string> items;
    for (const auto& c : columns) items.push_back(c + " AS " + alias + "__" + c);
    return join(items, ", ");
  }
  // Every `t.col` / `j_x.col` (a dataset's column SQL) becomes `t__col` /
  // `j_x__col`, recorded in `used`. Literals are parameter marks by now, so
  // no text of a plugin's is touched.
  static std::string flatten(const std::string& sql, std::map<std::string, std::set<std::string>>& used) {
    std::string out;
    size_t i = 0;
    while (i < sql.size()) {
      const bool starts = (i == 0 || !identifier_char(sql[i - 1])) &&
                          (sql.compare(i, 2, "t.") == 0 || sql.compare(i, 2, "j_") == 0);
      size_t dot = i;
      while (starts && dot < sql.size() && identifier_char(sql[dot])) ++dot;
      size_t end = dot + 1;
      while (starts && end < sql.size() && identifier_char(sql[end])) ++end;
      if (!starts || dot >= sql.size() || sql[dot] != '.' || end == dot + 1) {
        out += sql[i++];
        continue;
      }
      const std::string alias = sql.substr(i, dot - i), column = sql.substr(dot + 1, end - dot - 1);
      used[alias].insert(column);
      out += alias + "__" + column;
      i = end;
    }
    return out;
  }

  std::string database_;
};

}  // namespace

std::unique_ptr<Dialect> make_sqlite_dialect() {
  return std::make_unique<SqliteDialect>();
}
std::unique_ptr<Dialect> make_postgres_dialect() {
  return std::make_unique<PostgresDialect>();
}
std::unique_ptr<Dialect> make_clickhouse_dialect() {
  return std::make_unique<ClickhouseDialect>("");
}
std::unique_ptr<Dialect> make_clickhouse_dialect(const std::string& database) {
  return std::make_unique<ClickhouseDialect>(database);
}

}  // namespace tally::query
