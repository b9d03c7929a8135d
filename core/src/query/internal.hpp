// Internals of the query layer shared by its .cpp files: the parsed form of
// an expression, the dataset definitions (columns, joins, dimensions) and the
// dialect hooks beyond the public Dialect interface. Not part of any API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "query/query.hpp"
#include "util/value.hpp"

namespace tally::query::detail {

// ---- datasets ----

// How a join keeps the base table's rows. Only LEFT joins exist: every
// related column is optional, and no engine is ever sent a FULL JOIN
// (one crashed ClickHouse 18.16).
enum class JoinKind { Left };

// A join a column may need, declared as data (each dialect renders it):
// `table` (a table name, or a parenthesised query naming its tables as
// {name}) read as `alias`, its rows matched on `alias.key = on`. `on` refers
// to the base table as `t` and to other joins by their alias; `depends`
// lists those other joins.
struct JoinDef {
  std::string alias;
  std::string table;  // "reps", or "(SELECT lead_id, min(id) AS id FROM {opportunities} ...)"
  std::string key;    // "id"
  std::string on;     // "t.owner_id"
  JoinKind kind = JoinKind::Left;
  std::vector<std::string> depends;
};

// A name an expression can use: an own column, a related column or a
// dimension, with its SQL and the joins that SQL needs.
struct ColumnDef {
  std::string name;
  std::string sql;
  std::vector<std::string> joins;
};

struct DatasetDef {
  std::string name;
  std::string table;
  // What FROM reads as `t`: the table itself, or a parenthesised query
  // naming its tables as {name} when the dataset completes the table from
  // others (derived subscription events).
  std::string from;
  // When not empty: `from` as PostgreSQL should read it (same rows, a shape
  // its planner runs faster; see subscription_events_query in datasets.cpp).
  std::string from_postgres;
  std::string description;
  std::vector<JoinDef> joins;         // dependencies before dependents
  std::vector<ColumnDef> columns;     // own columns, then related ones
  std::vector<ColumnDef> dimensions;  // the standard dimensions it supports

  const ColumnDef* find_column(std::string_view name) const;
  const ColumnDef* find_dimension(std::string_view name) const;
  const JoinDef* find_join(std::string_view alias) const;
};

// nullptr when there is no such dataset.
const DatasetDef* find_dataset(std::string_view name);
const std::vector<DatasetDef>& dataset_definitions();
// rep, team, manager, region, segment, industry, source, product.
const std::vector<std::string>& standard_dimensions();

// ---- expressions ----

struct Node {
  enum class Kind {
    Number,   // literal: int64 or double in `value`
    String,   // literal text in `value`
    Param,    // :name, name in `text`
    Boolean,  // true / false in `flag`
    Null,
    Column,       // a dataset column or dimension: `column`
    PeriodBound,  // period_from / period_to: `text`
    Star,         // the * of count(*)
    Negate,       // unary minus: args[0]
    Not,          // args[0]
    Binary,       // `text` is the operator: or and = <> < <= > >= + - * /
    IsNull,       // args[0] IS [NOT] NULL; `flag` = negated
    In,           // args[0] [NOT] IN (args[1..]); `flag` = negated
    Call,         // function `text` (lower case) with args
  };
  Kind kind = Kind::Null;
  std::string text;
  Value value;
  bool flag = false;
  const ColumnDef* column = nullptr;
  std::vector<Node> args;
  size_t offset = 0;  // where it starts in the expression text
};

// Parses `text` and resolves its names against `dataset`. Throws QueryError
// with the expression and an offset.
Node parse_expression(std::string_view text, const DatasetDef& dataset);

// The error message format every expression problem uses.
std::string expression_error(std::string_view text, const std::string& problem, size_t offset);

struct FunctionDef {
  std::string name;
  int min_args;
  int max_args;
  bool aggregate;
};
const std::vector<FunctionDef>& functions();
const FunctionDef* find_function(std::string_view name);
bool is_aggregate(const Node& node);  // true when the tree contains an aggregate call

// ---- dialect hooks ----

// What the expression compiler needs from an engine beyond the public
// Dialect interface. Every dialect Tally makes implements it.
// Filter lists and an expression's `in (...)` lists of literals up to this
// many values are bound one parameter each (`IN (?, ?, ...)`, which the
// planner handles best); longer ones as one JSON text parameter
// (SqlDialect::in_json_list, in_json_values).
inline constexpr size_t kMaxInlineValues = 64;

struct SelectParts;

// While compiling, a parameter appears in the SQL text as \x01<id>\x02
// (query.cpp); a dialect's assemble() sees these marks, never values.
inline constexpr char kMarkOpen = '\x01';
inline constexpr char kMarkClose = '\x02';

class SqlDialect : public Dialect {
 public:
  // Real division on every engine; NULL when dividing by zero.
  virtual std::string divide(const std::string& a, const std::string& b) const = 0;
  virtual std::string least(const std::string& a, const std::string& b) const = 0;
  virtual std::string greatest(const std::string& a, const std::string& b) const = 0;
  virtual std::string round(const std::string& x, const std::string* digits) const = 0;
  virtual std::string nullif(const std::string& a, const std::string& b) const = 0;
  // A truth-value literal where a condition is expected.
  virtual std::string boolean(bool value) const = 0;
  // A condition where a value is expected: 1, 0 or NULL (SQLite's own
  // meaning of a comparison's result).
  virtual std::string condition_as_value(const std::string& condition) const { return condition; }
  // A value where a condition is expected: true when not 0.
  virtual std::string value_as_condition(const std::string& value) const { return value; }
  // count(x) as a signed 64-bit integer.
  virtual std::string count(const std::string& x) const { return "count(" + x + ")"; }
  // A number where it meets a real (least/greatest of a count and 100.5):
  // engines that refuse to mix 64-bit integers and reals (ClickHouse) cast it.
  virtual std::string as_real(const std::string& x) const { return x; }
  // sum, avg, min or max of x: NULL when no row has a value (SQL's meaning).
  virtual std::string aggregate(const std::string& function, const std::string& x) const {
    return function + "(" + x + ")";
  }
  // sum(x) over the rows where `condition` holds; 0 when none does (NULL without rows).
  virtual std::string sum_if(const std::string& x, const std::string& condition) const {
    return aggregate("sum", "CASE WHEN " + condition + " THEN " + x + " ELSE 0 END");
  }
  // An expression of one row's columns that a query may repeat (days_between
  // in a CASE and in several aggregates): an engine that does not share
  // common subexpressions marks it here and computes it once per row in
  // assemble() (PostgreSQL). Identity by default.
  virtual std::string per_row(const std::string& expr) const { return expr; }
  // The column the store keeps beside timestamp column `table.column` with
  // its epoch seconds, or "" (the default: none). days_between() of such a
  // column reads it instead of parsing the text on every row.
  virtual std::string stored_epoch(const std::string& table, const std::string& column) const {
    (void)table, (void)column;
    return "";
  }
  // days_between(a, b) where an operand whose `*_epoch` is not empty is read
  // from that stored epoch column (same value as parsing the text).
  virtual std::string days_between_epochs(const std::string& a, const std::string& a_epoch,
                                          const std::string& b, const std::string& b_epoch) const {
    (void)a_epoch, (void)b_epoch;
    return days_between(a, b);
  }
  // `timestamp < date` and `timestamp >= date` compare the timestamp's stored
  // epoch with the date's, and `timestamp IS NULL` tests the epoch, where the
  // column has one (an engine that compares integers much faster than text
  // and whose stored epochs are exact: ClickHouse).
  virtual bool compares_stored_epochs() const { return false; }
  // ClickHouse cannot take the quantile level as a parameter: it is inlined.
  virtual bool inline_quantile_level() const { return false; }
  // The left side of `timestamp < bound` (an upper bound only). Sales history
  // accumulates, so "everything before the period's end" matches most rows;
  // an engine without range statistics (SQLite) would walk the index over
  // nearly the whole table, much slower than scanning it.
  virtual std::string upper_bound_column(const std::string& column) const { return column; }
  // `column IN (the values of a JSON array of strings)`, the array bound as
  // ONE parameter (`placeholder`): how a filter list longer than
  // kMaxInlineValues reaches the engine without one variable per value
  // (SQLite allows 32766 variables, PostgreSQL 65535).
  virtual std::string in_json_list(const std::string& column, const std::string& placeholder) const = 0;
  // `expr IN (the values of a JSON array)` for an expression's long `in`
  // list of literals (a plugin's `id in (...)` of the records it computed),
  // bound as ONE parameter and compared as the literals' type.
  enum class ListType { Integer, Real, Text };
  virtual std::string in_json_values(const std::string& expr, const std::string& placeholder,
                                     ListType type) const = 0;
  // Filter lists and `in (...)` lists of literals longer than this go
  // through in_json_list() / in_json_values().
  virtual size_t max_inline_values() const { return kMaxInlineValues; }
  // The whole statement from its parts (standard_select unless the engine
  // needs another shape, as ClickHouse's one join per SELECT).
  virtual std::string assemble(const SelectParts& parts) const;
};

// A SELECT's parts, rendered and checked, for SqlDialect::assemble().
struct SelectParts {
  const DatasetDef* dataset = nullptr;
  std::vector<const JoinDef*> joins;    // the joins used, dependencies first
  std::vector<std::string> columns;     // each result column's expression, in result order
  std::vector<std::string> aliases;     // each result column's name, unquoted
  std::vector<std::string> conditions;  // ANDed
  std::vector<std::string> groups;      // GROUP BY expressions
  struct OrderTerm {
    size_t column;  // into aliases
    bool descending;
  };
  std::vector<OrderTerm> order;  // NULLs last
  std::optional<int64_t> limit;
};

// SELECT ... FROM dataset AS t LEFT JOIN table AS alias ON alias.key = on
// ... WHERE ... GROUP BY ... ORDER BY ... LIMIT: how SQLite and PostgreSQL
// take a query. `dialect` quotes the result names, `table_name` renders a
// table a query reads. `after_joins` ("CROSS JOIN LATERAL (...) AS x")
// follows the joins.
std::string standard_select(const SelectParts& parts, const Dialect& dialect,
                            const std::function<std::string(const std::string&)>& table_name,
                            const std::string& after_joins = "");
// The AND terms of a rendered condition (`(a AND b) AND c`: a, b, c), each
// without the parentheses around it; a text whose outermost operator is not
// AND (an OR, a BETWEEN, a CASE) is one term (condition_terms.cpp).
std::vector<std::string> and_terms(const std::string& sql);
// Whether a rendered condition whose columns are all `alias__column` is
// false or NULL when they are all NULL (a LEFT JOIN's row without a match),
// so it may filter that table before the join: decided from comparisons,
// IN, IS [NOT] NULL, NOT, AND and OR; anything else counts as "maybe true".
bool rejects_nulls_of(const std::string& alias, const std::string& condition);

// Replaces each {name} in a dataset's query text by table_name(name); a
// plain table name is taken whole.
std::string expand_tables(const std::string& text,
                          const std::function<std::string(const std::string&)>& table_name);

// Shared by the dialects (dialects.cpp): the month a fiscal year starts,
// checked (QueryError outside 1-12); `id` between `quote`s, a quote inside
// doubled; whether `c` may be part of an unquoted identifier; a table name as
// it is (the table_name of standard_select for an unqualified store).
int checked_fiscal_start(int fiscal_year_start);
std::string quote_with(const std::string& id, char quote);
bool identifier_char(char c);
std::string plain_name(const std::string& name);

}  // namespace tally::query::detail

namespace tally::query {

// How a ClickHouse store spreads a table over the shards: the column that
// picks each row's shard and the table holding one shard's rows. A table not
// in the layout is copied whole to every shard.
struct ShardedTable {
  std::string key;
  std::string local_table;
};
using ShardLayout = std::map<std::string, ShardedTable>;

// (table, column) pairs whose epoch seconds the store keeps in `column`_epoch.
using StoredEpochs = std::set<std::pair<std::string, std::string>>;

// The timestamps durations read, whose epochs a store may keep: PostgreSQL's
// schema 5 and ClickHouse's MATERIALIZED columns.
const StoredEpochs& duration_timestamps();

// The exact epoch seconds of a canonical timestamp or date of years 1..9999
// (civil-date arithmetic on the text; NULL for other text): what a store's
// MATERIALIZED `column`_epoch holds, so comparing it with a date's epoch
// selects the rows the text comparison does.
std::string clickhouse_exact_epoch_seconds(const std::string& timestamp_sql);
// A constant of that arithmetic (days from 0000-03-01 to 1970-01-01, plus one):
// it stands in a column's expression only when the column holds exact epochs,
// which is how a backend tells them from the first ones (DateTime's parse).
inline constexpr const char* kExactEpochMark = "719469";

// A ClickHouse dialect whose tables are qualified with `database` (the
// backend's; make_clickhouse_dialect() leaves them unqualified), spread as
// `layout` says (make_clickhouse_dialect(): every table on one server), that
// reads the epochs of `epochs` instead of parsing their text.
std::unique_ptr<Dialect> make_clickhouse_dialect(const std::string& database, ShardLayout layout,
                                                 StoredEpochs epochs = {});

}  // namespace tally::query

namespace tally::query::detail {

// Renders a validated number for inlining into SQL text.
std::string number_literal(double value);

}  // namespace tally::query::detail
