// ClickHouse 18.16's spelling of the portable core (the shared parts: dialects.cpp).
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "util/text.hpp"

#include "query/internal.hpp"

namespace tally::query {

using detail::checked_fiscal_start;
using detail::identifier_char;
using detail::plain_name;
using detail::quote_with;

namespace {

// ClickHouse 18.16 has no server-side parameters: the backend inlines each
// `?` as an escaped literal before sending the query. It takes one JOIN per
// SELECT, resolves qualified names unreliably across shards and lets an
// alias shadow a column of the same name, so assemble() nests one join per
// subquery and renames every `alias.column` to a unique `alias__column`
// (docs/query-language.md). NULL text dates are parsed with the *OrNull
// functions; aggregates over no rows are NULL as in SQL.
class ClickhouseDialect final : public detail::SqlDialect {
 public:
  ClickhouseDialect(std::string database, ShardLayout layout, StoredEpochs epochs)
      : database_(std::move(database)), layout_(std::move(layout)), epochs_(std::move(epochs)) {}
  std::string name() const override { return "clickhouse"; }
  std::string placeholder(size_t) const override { return "?"; }
  std::string days_between(const std::string& a, const std::string& b) const override {
    return days_between_epochs(a, "", b, "");
  }
  // A stored epoch (a MATERIALIZED column of the store, computed exactly once
  // when the row was written) spares parsing text on every read.
  std::string days_between_epochs(const std::string& a, const std::string& a_epoch, const std::string& b,
                                  const std::string& b_epoch) const override {
    // Without one, the engine's DateTime: short enough to repeat in a query
    // (an exact quantile repeats its operand dozens of times), right for
    // 1970..2105 (it wraps outside).
    auto epoch = [](const std::string& ts, const std::string& stored) {
      return stored.empty() ? "toInt64(toUnixTimestamp(parseDateTimeBestEffortOrNull(" + ts + ", 'UTC')))"
                            : stored;
    };
    return "((" + epoch(b, b_epoch) + " - " + epoch(a, a_epoch) + ") / 86400)";
  }
  std::string stored_epoch(const std::string& table, const std::string& column) const override {
    return epochs_.contains({table, column}) ? column + "_epoch" : "";
  }
  bool compares_stored_epochs() const override { return true; }
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
  // values at ranks k = floor(r) and k + 1, r = p * (n - 1) (as SQLite's
  // tally_quantile and percentile_cont), NULL without values. Sorting all
  // values took most of the demo's time at 100M activities, so no sort:
  // quantileExact(p) selects (nth_element) the value v at rank
  // j = floor(p * n), which is k or k + 1; the other rank's value is v again
  // when v repeats far enough, else the nearest value below or above v.
  std::string quantile(const std::string& x, const std::string& p) const override {
    const std::string values = "groupArray(toFloat64(" + x + "))";
    const std::string n = "toFloat64(length(" + values + "))";
    const std::string rank = "(" + p + " * (greatest(" + n + ", 1) - 1))";
    const std::string k = "floor(" + rank + ")";
    const std::string v = "arrayReduce('quantileExact(" + p + ")', " + values + ")";
    const std::string j = "least(floor(" + p + " * " + n + "), greatest(" + n + ", 1) - 1)";
    // One pass marks the values below v, one those above: counts and the
    // nearest neighbours come from the marks (maxIf, minIf), not from more
    // passes or filtered copies.
    const std::string below = "arrayMap(tally_q -> tally_q < " + v + ", " + values + ")";
    const std::string above = "arrayMap(tally_q -> tally_q > " + v + ", " + values + ")";
    const std::string lo = "if(" + j + " = " + k + " OR arraySum(" + below + ") <= " + k + ", " + v +
                           ", arrayReduce('maxIf', " + values + ", " + below + "))";
    const std::string hi = "if(" + k + " + 1 <= " + j + " OR " + n + " - arraySum(" + above + ") > " + k +
                           " + 1, " + v + ", arrayReduce('minIf', " + values + ", " + above + "))";
    return "if(length(" + values + ") = 0, NULL, if(" + rank + " = " + k + ", " + lo + ", " + lo + " + (" +
           hi + " - " + lo + ") * (" + rank + " - " + k + ")))";
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
    return parts.joins.empty() ? assemble_flat(parts) : assemble_nested(parts);
  }

 private:
  // No join: one SELECT straight from the table, so over a Distributed table
  // each shard filters and aggregates its own rows and only partial results
  // travel (a subquery in FROM would ship every row to the URL's server).
  // Columns are read by their own names, so the result names take a prefix
  // no column has: an alias equal to a column name would shadow it
  // (ClickHouse connections name the result columns from the query, not
  // from these aliases).
  std::string assemble_flat(const detail::SelectParts& parts) const {
    auto own = [](const std::string& sql) {
      return rename_columns(
          sql, [](const std::string&, const std::string& column) { return quote_with(column, '`'); });
    };
    detail::SelectParts out = parts;
    for (auto* list : {&out.columns, &out.conditions, &out.groups})
      for (auto& item : *list) item = own(item);
    for (auto& alias : out.aliases) alias = "tally__" + alias;
    return detail::standard_select(out, *this, [this](const std::string& t) { return qualified(t); });
  }

  // Joins: one per nested SELECT (18.16 takes one per SELECT), every
  // `alias.column` renamed to a unique `alias__column`. The conditions on
  // `t` alone filter its rows in the innermost SELECT, where the shards
  // apply them before any row travels or meets a join (the same rows: a
  // LEFT JOIN keeps every left row whatever matches).
  std::string assemble_nested(const detail::SelectParts& parts) const {
    std::map<std::string, std::set<std::string>> used;  // alias -> columns read from it
    auto flat = [&](const std::string& sql) { return flatten(sql, used); };
    detail::SelectParts out = parts;
    for (auto* list : {&out.columns, &out.groups})
      for (auto& item : *list) item = flat(item);
    std::vector<std::string> own_conditions;
    // Conditions on one joined table that no row without a match passes
    // also filter that table's rows before the join (and stay after it):
    // a row whose match they remove fails them after the join all the same.
    std::map<std::string, std::vector<std::string>> join_conditions;
    std::map<std::string, std::set<std::string>> join_condition_reads;
    out.conditions.clear();
    std::vector<std::string> terms;
    for (const auto& condition : parts.conditions)
      for (auto& term : detail::and_terms(condition)) terms.push_back(std::move(term));
    for (const auto& term : terms) {
      std::map<std::string, std::set<std::string>> reads;
      std::string sql = flatten(term, reads);
      for (const auto& [alias, columns] : reads) used[alias].insert(columns.begin(), columns.end());
      const bool own = std::all_of(reads.begin(), reads.end(), [](const auto& r) { return r.first == "t"; });
      // (Not a long list of values: it would travel twice for a small gain.)
      const auto marks = std::count(sql.begin(), sql.end(), detail::kMarkOpen);
      if (reads.size() == 1 && reads.begin()->first != "t" &&
          marks <= static_cast<std::ptrdiff_t>(detail::kMaxInlineValues) &&
          detail::rejects_nulls_of(reads.begin()->first, sql)) {
        join_conditions[reads.begin()->first].push_back("(" + sql + ")");
        const auto& columns = reads.begin()->second;
        join_condition_reads[reads.begin()->first].insert(columns.begin(), columns.end());
      }
      (own ? own_conditions : out.conditions).push_back(std::move(sql));
    }
    std::vector<std::string> on;
    for (const auto* j : parts.joins) {
      on.push_back(flat(j->on));
      used[j->alias].insert(j->key);
    }
    auto table = [this](const std::string& name) { return qualified(name); };
    // A row of `t` whose key matches no row passing a join's conditions
    // fails them after the join: the shards drop it before it travels.
    for (size_t i = 0; i < parts.joins.size(); ++i) {
      const auto& j = *parts.joins[i];
      const auto& filters = join_conditions[j.alias];
      if (filters.empty()) continue;
      auto matches = matching_keys(*parts.dataset, j, on[i], filters, join_condition_reads[j.alias]);
      if (matches) own_conditions.push_back(on[i] + " IN " + *matches);
    }
    std::string from = "(SELECT " + projection("t", used["t"]) + " FROM " +
                       detail::expand_tables(parts.dataset->from, table);
    if (!own_conditions.empty()) {
      for (auto& c : own_conditions) c = "(" + c + ")";
      from += " WHERE " + join(own_conditions, " AND ");
    }
    from += ")";
    std::string last_join;
    for (size_t i = 0; i < parts.joins.size(); ++i) {
      const auto& j = *parts.joins[i];
      std::string left = on[i];
      if (!std::all_of(left.begin(), left.end(), identifier_char)) {
        // ON takes columns only: a computed key becomes one first.
        from = "(SELECT *, " + left + " AS " + j.alias + "__on FROM " + from + ")";
        left = j.alias + "__on";
      }
      const auto& filters = join_conditions[j.alias];
      const std::string join_sql = "ALL LEFT JOIN (SELECT " + projection(j.alias, used[j.alias]) + " FROM " +
                                   detail::expand_tables(j.table, table) +
                                   (filters.empty() ? "" : " WHERE " + join(filters, " AND ")) + ") ON " +
                                   left + " = " + j.alias + "__" + j.key;
      if (i + 1 < parts.joins.size())
        from = "(SELECT * FROM " + from + " " + join_sql + ")";
      else
        last_join = join_sql;
    }
    // standard_select with no joins of its own, reading the nested query as
    // its FROM and making the last join itself: one more `SELECT *` level
    // only copied every row (the churn query's 1.5M rows: 2.3 s, not 3.0 s).
    detail::DatasetDef nested;
    nested.from = from;
    out.dataset = &nested;
    out.joins.clear();
    return detail::standard_select(out, *this, plain_name, last_join);
  }

  // "(SELECT key FROM ...)": the keys of join `j`'s rows that pass `filters`,
  // for the innermost SELECT when the shards run it (`t` is a sharded table);
  // nullopt elsewhere (`t` read whole by the URL's server: no row travels
  // that the join would not drop, and the IN would read the joined table
  // twice) and where a shard lacks keys: a key computed or read through
  // another join, or two sharded tables spread by other columns than the
  // ones matched.
  std::optional<std::string> matching_keys(const detail::DatasetDef& dataset, const detail::JoinDef& j,
                                           const std::string& left, const std::vector<std::string>& filters,
                                           const std::set<std::string>& filter_columns) const {
    const std::string own = "t__";
    if (left.compare(0, own.size(), own) != 0 || !std::all_of(left.begin(), left.end(), identifier_char) ||
        !std::all_of(j.table.begin(), j.table.end(), identifier_char))
      return std::nullopt;
    const auto sharded_t = dataset.from == dataset.table ? layout_.find(dataset.table) : layout_.end();
    if (sharded_t == layout_.end()) return std::nullopt;
    const auto sharded_join = layout_.find(j.table);
    std::string source = qualified(j.table);  // a copy on every shard
    if (sharded_join != layout_.end()) {
      // On a shard, only keys that spread as `t`'s do are all at hand.
      if (sharded_t->second.key != left.substr(own.size()) || sharded_join->second.key != j.key)
        return std::nullopt;
      source = qualified(sharded_join->second.local_table);
    }
    std::set<std::string> columns = filter_columns;
    columns.insert(j.key);
    return "(SELECT " + j.alias + "__" + j.key + " FROM (SELECT " + projection(j.alias, columns) + " FROM " +
           source + " WHERE " + join(filters, " AND ") + "))";
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
  // `j_x__col`, recorded in `used`.
  static std::string flatten(const std::string& sql, std::map<std::string, std::set<std::string>>& used) {
    return rename_columns(sql, [&](const std::string& alias, const std::string& column) {
      used[alias].insert(column);
      return alias + "__" + column;
    });
  }
  // Each `t.col` / `j_x.col` replaced by rename(alias, col). Literals are
  // parameter marks by now, so no text of a plugin's is touched.
  template <typename Rename>
  static std::string rename_columns(const std::string& sql, Rename rename) {
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
      out += rename(sql.substr(i, dot - i), sql.substr(dot + 1, end - dot - 1));
      i = end;
    }
    return out;
  }

  std::string database_;
  ShardLayout layout_;
  StoredEpochs epochs_;
};

}  // namespace

const StoredEpochs& duration_timestamps() {
  static const StoredEpochs timestamps = {{"stage_history", "entered_at"}, {"stage_history", "exited_at"},
                                          {"opportunities", "created_at"}, {"opportunities", "closed_at"},
                                          {"leads", "created_at"},         {"leads", "first_response_at"}};
  return timestamps;
}

// Days from a March-based year (y' = year - 1 in January and February), so
// leap days fall at the end of a year. Years 1..9999 keep y' >= 0, where
// intDiv rounds as floor. `if` evaluates both branches, hence the OrZero
// parses; a day past its month's end runs on into the next, as SQLite's
// julianday does.
std::string clickhouse_exact_epoch_seconds(const std::string& timestamp_sql) {
  auto number = [&](int from, int length) {
    return "toInt64OrZero(substring(" + timestamp_sql + ", " + std::to_string(from) + ", " +
           std::to_string(length) + "))";
  };
  const std::string month = number(6, 2);
  const std::string year = "(" + number(1, 4) + " - (" + month + " <= 2))";
  const std::string days = "(365 * " + year + " + intDiv(" + year + ", 4) - intDiv(" + year +
                           ", 100) + intDiv(" + year + ", 400) + intDiv(153 * ((" + month +
                           " + 9) % 12) + 2, 5) + " + number(9, 2) + " - " + kExactEpochMark + ")";
  return "if(match(" + timestamp_sql +
         ", '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])( "
         "([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9])?$'), " +
         days + " * 86400 + " + number(12, 2) + " * 3600 + " + number(15, 2) + " * 60 + " + number(18, 2) +
         ", NULL)";
}

std::unique_ptr<Dialect> make_clickhouse_dialect() {
  return std::make_unique<ClickhouseDialect>("", ShardLayout{}, StoredEpochs{});
}
std::unique_ptr<Dialect> make_clickhouse_dialect(const std::string& database, ShardLayout layout,
                                                 StoredEpochs epochs) {
  return std::make_unique<ClickhouseDialect>(database, std::move(layout), std::move(epochs));
}

}  // namespace tally::query
