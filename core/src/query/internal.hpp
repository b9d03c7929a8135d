// Internals of the query layer shared by its .cpp files: the parsed form of
// an expression, the dataset definitions (columns, joins, dimensions) and the
// dialect hooks beyond the public Dialect interface. Not part of any API.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "query/query.hpp"
#include "util/value.hpp"

namespace tally::query::detail {

// ---- datasets ----

// A LEFT JOIN a column may need. `sql` refers to the base table as `t` and to
// other joins by their alias; `depends` lists those other joins.
struct JoinDef {
  std::string alias;
  std::string sql;  // "LEFT JOIN reps AS j_owner ON j_owner.id = t.owner_id"
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
  // What FROM reads as `t`: the table itself, or a parenthesised query when
  // the dataset completes the table from others (derived subscription events).
  std::string from;
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
  // sum(x) over the rows where `condition` holds; 0 when none does.
  virtual std::string sum_if(const std::string& x, const std::string& condition) const {
    return "sum(CASE WHEN " + condition + " THEN " + x + " ELSE 0 END)";
  }
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
};

// Filter lists and an expression's `in (...)` lists of literals up to this
// many values are bound one parameter each (`IN (?, ?, ...)`, which the
// planner handles best); longer ones as one JSON text parameter
// (SqlDialect::in_json_list, in_json_values).
inline constexpr size_t kMaxInlineValues = 64;

// Renders a validated number for inlining into SQL text.
std::string number_literal(double value);

}  // namespace tally::query::detail
