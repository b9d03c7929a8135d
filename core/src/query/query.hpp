// The data-access core behind the SDK's query API: datasets, named
// dimensions, the portable expression language, and its translation into
// each engine's SQL. Plugins never write SQL: they write expressions, which
// are parsed, checked against the dataset's columns and compiled here, with
// every literal bound as a parameter.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "util/value.hpp"

namespace tally::query {

// A problem with a query: unknown dataset, column or function, a syntax
// error in an expression (with its offset), a filter the dataset cannot take.
class QueryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Which { Current = 0, Compare = 1 };

// What a query inherits from the run it belongs to.
struct Scope {
  std::string period_from;  // 'YYYY-MM-DD', inclusive
  std::string period_to;    // exclusive
  std::optional<std::string> compare_from;
  std::optional<std::string> compare_to;
  int fiscal_year_start = 1;
  // The report's filters: dimension -> allowed values, applied to every query.
  std::map<std::string, std::vector<std::string>> filters;
  // The run's "today" ('YYYY-MM-DD', config `as_of:`), the name `as_of` in expressions.
  std::string as_of;
};

// SQL ready for one engine, with its parameters in placeholder order.
struct CompiledQuery {
  std::string sql;
  std::vector<Value> params;
  std::vector<std::string> columns;  // result column names, in order
};

// The differences between SQL engines. Everything a plugin expresses goes
// through this, so the same plugin binary runs on every backend.
class Dialect {
 public:
  virtual ~Dialect() = default;
  virtual std::string name() const = 0;
  // The n-th (0-based) parameter placeholder: "?" or "$1".
  virtual std::string placeholder(size_t index) const = 0;
  // Fractional days from `a` to `b` (both timestamp/date text expressions).
  virtual std::string days_between(const std::string& a, const std::string& b) const = 0;
  // The start date ('YYYY-MM-DD' text) of the bucket holding `ts`:
  // unit is day|week|month|quarter|year; quarters and years fiscal-aware.
  virtual std::string bucket_start(const std::string& unit, const std::string& ts,
                                   int fiscal_year_start) const = 0;
  // The date part ('YYYY-MM-DD') of a timestamp expression.
  virtual std::string date_of(const std::string& ts) const = 0;
  // Aggregate: the p-quantile (0..1) of x, linear interpolation (percentile_cont).
  virtual std::string quantile(const std::string& x, const std::string& p) const = 0;
  virtual std::string count_distinct(const std::string& x) const = 0;
  // Quote an identifier (an alias).
  virtual std::string quote_identifier(const std::string& id) const = 0;
};

std::unique_ptr<Dialect> make_sqlite_dialect();
std::unique_ptr<Dialect> make_postgres_dialect();
std::unique_ptr<Dialect> make_clickhouse_dialect();

// Describes a dataset for docs and error messages.
struct DatasetInfo {
  std::string name;
  std::string table;
  std::string description;
  std::vector<std::string> columns;     // own columns and related ones
  std::vector<std::string> dimensions;  // the standard dimensions it supports
};
const std::vector<DatasetInfo>& datasets();

// A query being built by a plugin. Each call validates as it goes and
// throws QueryError with a message a plugin author can act on.
class QueryBuilder {
 public:
  explicit QueryBuilder(const std::string& dataset);
  ~QueryBuilder();
  QueryBuilder(QueryBuilder&&) noexcept;
  QueryBuilder& operator=(QueryBuilder&&) noexcept;

  void select(const std::string& alias, const std::string& expr);
  void where(const std::string& expr);
  void group_by(const std::string& alias, const std::string& expr);
  void order_by(const std::string& alias, bool descending);
  void limit(int64_t n);
  void bind(const std::string& name, Value value);
  void use_period(Which which);

  // The dataset's name and the period the query refers to.
  const std::string& dataset() const;
  Which period() const;

  // The records the query's rows are made of, for drill-down: the same
  // dataset, where() conditions, bound parameters and period, selecting each
  // record's id, names, amounts and dates (those of RecordColumns the dataset
  // has), ordered by id. Its own selects, groups, order and limit are dropped,
  // but one aliased drilldown_sum, drilldown_mean, drilldown_median or
  // drilldown_p90: the value per record the KPI aggregates, listed last.
  QueryBuilder records_query() const;
  // The constants a drill-down states beside its records (a target, say):
  // the bound parameters named drilldown_constant_NAME, by NAME.
  std::map<std::string, Value> drilldown_constants() const;

  // Result columns: group-by aliases in order, then select aliases in order.
  CompiledQuery compile(const Dialect& dialect, const Scope& scope) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tally::query
