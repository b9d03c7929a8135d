// Tally plugin SDK: the C++ face of <tally/plugin.h>.
//
// Header-only, so it is compiled into each plugin with the plugin's own
// compiler and standard library; only the plain-C boundary crosses into the
// host. A metric plugin is one class and one macro:
//
//   class WinRate final : public tally::sdk::Metric {
//    public:
//     void run(tally::sdk::Context& ctx) override { ... }
//   };
//   TALLY_METRIC(WinRate)
//
// Every exception a plugin throws is caught in the trampolines below and
// returned to the host as an error message; none ever crosses the boundary.
#pragma once

#include <tally/plugin.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace tally::sdk {

namespace detail {
// The host's function table, set once by tally_plugin_init. Each plugin
// library has its own copy (hidden visibility, RTLD_LOCAL).
inline const tally_host_api*& host_slot() {
  static const tally_host_api* host = nullptr;
  return host;
}
inline const tally_host_api& host() { return *host_slot(); }
// Whether the host's table reaches the entry at `offset` (entries added in a
// later minor are absent from an older host).
inline bool host_has(size_t offset) { return host_slot() && host_slot()->struct_size > offset; }

inline tally_str str_c(std::string_view s) { return tally_str{s.data(), s.size()}; }
inline std::string str_of(tally_str s) { return s.data ? std::string(s.data, s.size) : std::string(); }
}  // namespace detail

// A failure reported by the host or raised by the plugin itself.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Unit : int32_t {
  Text = TALLY_UNIT_TEXT,
  Count = TALLY_UNIT_COUNT,
  Number = TALLY_UNIT_NUMBER,
  Money = TALLY_UNIT_MONEY,
  Percent = TALLY_UNIT_PERCENT,
  Days = TALLY_UNIT_DAYS,
  Minutes = TALLY_UNIT_MINUTES,
  Hours = TALLY_UNIT_HOURS,
  Date = TALLY_UNIT_DATE,
  Flag = TALLY_UNIT_FLAG,
};

enum class Chart : int32_t {
  None = TALLY_CHART_NONE,
  Bar = TALLY_CHART_BAR,
  StackedBar = TALLY_CHART_STACKED_BAR,
  Line = TALLY_CHART_LINE,
  Funnel = TALLY_CHART_FUNNEL,
};

enum class Which : int32_t { Current = TALLY_PERIOD_CURRENT, Compare = TALLY_PERIOD_COMPARE };

struct Period {
  std::string from;  // inclusive, 'YYYY-MM-DD'
  std::string to;    // exclusive
};

// A cell or parameter value. std::monostate is "n/a" (SQL NULL, JSON null).
using Value = std::variant<std::monostate, int64_t, double, std::string>;

inline bool is_null(const Value& v) { return std::holds_alternative<std::monostate>(v); }

// A ratio that is n/a when the denominator is zero, never NaN or inf.
inline Value ratio(double numerator, double denominator) {
  if (denominator == 0.0 || !std::isfinite(numerator) || !std::isfinite(denominator)) return {};
  return numerator / denominator;
}
inline std::optional<double> ratio_opt(double numerator, double denominator) {
  if (denominator == 0.0 || !std::isfinite(numerator) || !std::isfinite(denominator)) return std::nullopt;
  return numerator / denominator;
}
inline Value opt(std::optional<double> v) { return v ? Value{*v} : Value{}; }

namespace detail {
inline Value value_of(const tally_value& v) {
  switch (v.type) {
    case TALLY_VALUE_INT: return Value{v.i};
    case TALLY_VALUE_REAL: return Value{v.d};
    case TALLY_VALUE_TEXT: return Value{str_of(v.s)};
    default: return Value{};
  }
}
// The returned tally_value borrows the string inside `v`.
inline tally_value value_c(const Value& v) {
  tally_value out{};
  if (auto* i = std::get_if<int64_t>(&v)) {
    out.type = TALLY_VALUE_INT;
    out.i = *i;
  } else if (auto* d = std::get_if<double>(&v)) {
    if (std::isfinite(*d)) {
      out.type = TALLY_VALUE_REAL;
      out.d = *d;
    } else {
      out.type = TALLY_VALUE_NULL;  // NaN and inf are never results
    }
  } else if (auto* s = std::get_if<std::string>(&v)) {
    out.type = TALLY_VALUE_TEXT;
    out.s = str_c(*s);
  } else {
    out.type = TALLY_VALUE_NULL;
  }
  return out;
}
}  // namespace detail

// The rows of an executed query, read forward once.
class Rows {
 public:
  Rows(tally_ctx* ctx, tally_rows* rows) : ctx_(ctx), rows_(rows) {}
  Rows(Rows&& other) noexcept : ctx_(other.ctx_), rows_(std::exchange(other.rows_, nullptr)) {}
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;
  ~Rows() {
    if (rows_) detail::host().rows_free(rows_);
  }

  // Advances to the next row; false at the end.
  bool next() {
    int32_t rc = detail::host().rows_next(rows_);
    if (rc < 0) throw Error(detail::str_of(detail::host().last_error(ctx_)));
    return rc == 1;
  }
  uint32_t column_count() const { return detail::host().rows_column_count(rows_); }
  std::string column_name(uint32_t i) const { return detail::str_of(detail::host().rows_column_name(rows_, i)); }

  Value value(uint32_t i) const {
    tally_value v{};
    if (detail::host().rows_get(rows_, i, &v) != TALLY_OK)
      throw Error(detail::str_of(detail::host().last_error(ctx_)));
    return detail::value_of(v);
  }
  bool is_null(uint32_t i) const { return sdk::is_null(value(i)); }
  // Integer (0 for NULL); reals are truncated.
  int64_t integer(uint32_t i) const {
    Value v = value(i);
    if (auto* n = std::get_if<int64_t>(&v)) return *n;
    if (auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
    return 0;
  }
  // Real (0.0 for NULL).
  double number(uint32_t i) const { return optional_number(i).value_or(0.0); }
  std::optional<double> optional_number(uint32_t i) const {
    Value v = value(i);
    if (auto* n = std::get_if<int64_t>(&v)) return static_cast<double>(*n);
    if (auto* d = std::get_if<double>(&v)) return *d;
    return std::nullopt;
  }
  // Text ("" for NULL; numbers are formatted).
  std::string text(uint32_t i) const {
    Value v = value(i);
    if (auto* s = std::get_if<std::string>(&v)) return *s;
    if (auto* n = std::get_if<int64_t>(&v)) return std::to_string(*n);
    if (auto* d = std::get_if<double>(&v)) return std::to_string(*d);
    return {};
  }

 private:
  tally_ctx* ctx_;
  tally_rows* rows_;
};

// A query over one dataset, in the portable expression language.
//
//   auto rows = ctx.query("opportunities")
//                   .select("won", "count_if(status = 'won')")
//                   .where("in_period(closed_at)")
//                   .group_by("rep", "rep")
//                   .run();
class Query {
 public:
  Query(tally_ctx* ctx, std::string_view dataset) : ctx_(ctx) {
    q_ = detail::host().query_new(ctx, detail::str_c(dataset));
    if (!q_) throw Error(detail::str_of(detail::host().last_error(ctx_)));
  }
  Query(Query&& other) noexcept : ctx_(other.ctx_), q_(std::exchange(other.q_, nullptr)) {}
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  ~Query() {
    if (q_) detail::host().query_free(q_);
  }

  Query& select(std::string_view alias, std::string_view expr) {
    return check(detail::host().query_select(q_, detail::str_c(alias), detail::str_c(expr)));
  }
  Query& where(std::string_view expr) { return check(detail::host().query_where(q_, detail::str_c(expr))); }
  Query& group_by(std::string_view alias, std::string_view expr) {
    return check(detail::host().query_group_by(q_, detail::str_c(alias), detail::str_c(expr)));
  }
  Query& group_by(std::string_view dimension) { return group_by(dimension, dimension); }
  Query& order_by(std::string_view alias, bool descending = false) {
    return check(detail::host().query_order_by(q_, detail::str_c(alias), descending ? 1 : 0));
  }
  Query& limit(int64_t n) { return check(detail::host().query_limit(q_, n)); }
  Query& bind(std::string_view name, const Value& value) {
    tally_value v = detail::value_c(value);
    return check(detail::host().query_bind(q_, detail::str_c(name), &v));
  }
  Query& bind(std::string_view name, const char* text) { return bind(name, Value{std::string(text)}); }
  Query& bind(std::string_view name, int value) { return bind(name, Value{int64_t{value}}); }
  Query& use_period(Which which) {
    return check(detail::host().query_use_period(q_, static_cast<int32_t>(which)));
  }
  // The handle, for <tally/drilldown.hpp>.
  tally_query* raw() const { return q_; }
  Rows run() {
    tally_rows* rows = detail::host().query_run(q_);
    if (!rows) throw Error(detail::str_of(detail::host().last_error(ctx_)));
    return Rows(ctx_, rows);
  }

 private:
  Query& check(int32_t rc) {
    if (rc != TALLY_OK) throw Error(detail::str_of(detail::host().last_error(ctx_)));
    return *this;
  }
  tally_ctx* ctx_;
  tally_query* q_ = nullptr;
};

// A headline KPI. Unset optionals are n/a.
struct Kpi {
  std::string name;
  std::string label;
  Unit unit = Unit::Number;
  std::optional<double> value;
  std::optional<double> previous;
  std::optional<double> target;
  bool higher_is_better = true;
  // 1.1: how `previous` may be read, a qualifier shown beside the number,
  // and where the target came from. Ignored by a 1.0 host.
  int32_t compare_status = TALLY_COMPARE_OK;
  std::string note;
  std::string target_source;
};

// A result table being built; columns first, then rows.
class Table {
 public:
  Table(tally_ctx* ctx, tally_table* table) : ctx_(ctx), table_(table) {}

  Table& column(std::string_view name, Unit unit) {
    return check(detail::host().table_add_column(table_, detail::str_c(name), static_cast<int32_t>(unit)));
  }
  // x: the category/time column; ys: the series columns (empty: all numeric).
  Table& chart(Chart chart, std::string_view x, std::string_view ys = {}) {
    tally_chart_hint hint{};
    hint.struct_size = sizeof hint;
    hint.chart = static_cast<int32_t>(chart);
    hint.x = detail::str_c(x);
    hint.ys = detail::str_c(ys);
    return check(detail::host().table_set_chart(table_, &hint));
  }
  Table& row(const std::vector<Value>& cells) {
    std::vector<tally_value> c;
    c.reserve(cells.size());
    for (const auto& v : cells) c.push_back(detail::value_c(v));
    return check(detail::host().table_add_row(table_, c.data(), static_cast<uint32_t>(c.size())));
  }
  Table& row(std::initializer_list<Value> cells) { return row(std::vector<Value>(cells)); }

 private:
  Table& check(int32_t rc) {
    if (rc != TALLY_OK) throw Error(detail::str_of(detail::host().last_error(ctx_)));
    return *this;
  }
  tally_ctx* ctx_;
  tally_table* table_;
};

// What every plugin invocation can reach: params, periods, logging.
class BaseContext {
 public:
  explicit BaseContext(tally_ctx* ctx) : ctx_(ctx) {}

  Value param(std::string_view name) const {
    tally_value v{};
    check(detail::host().param_get(ctx_, detail::str_c(name), &v));
    return detail::value_of(v);
  }
  std::string text(std::string_view name) const {
    Value v = param(name);
    if (auto* s = std::get_if<std::string>(&v)) return *s;
    return {};
  }
  int64_t integer(std::string_view name) const {
    Value v = param(name);
    if (auto* i = std::get_if<int64_t>(&v)) return *i;
    if (auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
    return 0;
  }
  double number(std::string_view name) const {
    Value v = param(name);
    if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
    if (auto* d = std::get_if<double>(&v)) return *d;
    return 0.0;
  }
  std::optional<double> optional_number(std::string_view name) const {
    Value v = param(name);
    if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
    if (auto* d = std::get_if<double>(&v)) return *d;
    return std::nullopt;
  }
  bool flag(std::string_view name) const { return integer(name) != 0; }
  std::vector<std::string> list(std::string_view name) const {
    uint64_t n = 0;
    check(detail::host().param_list_size(ctx_, detail::str_c(name), &n));
    std::vector<std::string> items;
    for (uint64_t i = 0; i < n; ++i) {
      tally_value v{};
      check(detail::host().param_list_item(ctx_, detail::str_c(name), i, &v));
      items.push_back(detail::str_of(v.s));
    }
    return items;
  }

  bool has_compare() const { return detail::host().has_compare(ctx_) != 0; }
  Period period(Which which = Which::Current) const {
    tally_period p{};
    p.struct_size = sizeof p;
    check(detail::host().period(ctx_, static_cast<int32_t>(which), &p));
    return Period{detail::str_of(p.from), detail::str_of(p.to)};
  }
  int fiscal_year_start() const { return detail::host().fiscal_year_start(ctx_); }
  std::string currency() const { return detail::str_of(detail::host().currency(ctx_)); }

  void log(int32_t level, std::string_view message) const {
    detail::host().log(ctx_, level, detail::str_c(message));
  }
  void debug(std::string_view m) const { log(TALLY_LOG_DEBUG, m); }
  void info(std::string_view m) const { log(TALLY_LOG_INFO, m); }
  void warn(std::string_view m) const { log(TALLY_LOG_WARN, m); }

  tally_ctx* raw() const { return ctx_; }

 protected:
  void check(int32_t rc) const {
    if (rc != TALLY_OK) throw Error(detail::str_of(detail::host().last_error(ctx_)));
  }
  tally_ctx* ctx_;
};

// What a metric plugin sees while it runs.
class Context : public BaseContext {
 public:
  using BaseContext::BaseContext;

  Query query(std::string_view dataset) const { return Query(ctx_, dataset); }

  Table table(std::string_view name, std::string_view title = {}) const {
    tally_table* t = detail::host().add_table(ctx_, detail::str_c(name), detail::str_c(title));
    if (!t) throw Error(detail::str_of(detail::host().last_error(ctx_)));
    return Table(ctx_, t);
  }

  // The `targets:` value the config sets for this KPI, if any.
  std::optional<double> config_target(std::string_view kpi_name) const {
    double v = 0;
    if (detail::host().config_target(ctx_, detail::str_c(kpi_name), &v) == 1) return v;
    return std::nullopt;
  }

  void kpi(const Kpi& k) const {
    tally_kpi c{};
    c.struct_size = sizeof c;
    c.name = detail::str_c(k.name);
    c.label = detail::str_c(k.label);
    c.unit = static_cast<int32_t>(k.unit);
    auto set = [](const std::optional<double>& src, int32_t& has, double& dst) {
      has = src.has_value() && std::isfinite(*src) ? 1 : 0;
      dst = has ? *src : 0.0;
    };
    set(k.value, c.has_value, c.value);
    set(k.previous, c.has_previous, c.previous);
    set(k.target, c.has_target, c.target);
    c.higher_is_better = k.higher_is_better ? 1 : 0;
    c.compare_status = k.compare_status;
    c.note = detail::str_c(k.note);
    c.target_source = detail::str_c(k.target_source);
    // A 1.0 host reads only the 1.0 part of the struct.
    if (!detail::host_has(offsetof(tally_host_api, add_note))) c.struct_size = offsetof(tally_kpi, compare_status);
    check(detail::host().add_kpi(ctx_, &c));
  }

  // A note a reader must see beside this metric's numbers (data quality, scope).
  // On a 1.0 host the note goes to the log instead.
  void note(std::string_view text) const {
    if (detail::host_has(offsetof(tally_host_api, add_note)))
      check(detail::host().add_note(ctx_, detail::str_c(text)));
    else
      warn(text);
  }

  // Computes a KPI for the current period and, when the run compares, for
  // the comparison period: `compute(Which)` returns the value (nullopt = n/a).
  template <typename Fn>
  void kpi(std::string name, std::string label, Unit unit, Fn&& compute, bool higher_is_better = true,
           std::optional<double> target = std::nullopt) const {
    Kpi k;
    k.name = std::move(name);
    k.label = std::move(label);
    k.unit = unit;
    k.value = compute(Which::Current);
    if (has_compare()) k.previous = compute(Which::Compare);
    k.target = target;
    k.higher_is_better = higher_is_better;
    kpi(k);
  }
};

// For metrics that compute all of a period's figures at once: the figures
// of the current period and (when the run compares) of the comparison
// period, each KPI picked out of them.
//
//   Figures now = compute(ctx, Which::Current);
//   std::optional<Figures> before;
//   if (ctx.has_compare()) before = compute(ctx, Which::Compare);
//   tally::sdk::PeriodKpis kpis(ctx, now, before);
//   kpis.add("win_rate", "Win rate", Unit::Percent, true, [](const Figures& f) { return f.win_rate(); });
//
// Both figures are borrowed: they must outlive the PeriodKpis.
template <typename Figures>
class PeriodKpis {
 public:
  PeriodKpis(const Context& ctx, const Figures& current, const std::optional<Figures>& previous)
      : ctx_(ctx), current_(current), previous_(previous) {}

  // `pick(figures)` returns the KPI's value as std::optional<double> (nullopt = n/a).
  template <typename Pick>
  PeriodKpis& add(std::string name, std::string label, Unit unit, bool higher_is_better, Pick&& pick) {
    Kpi k;
    k.name = std::move(name);
    k.label = std::move(label);
    k.unit = unit;
    k.value = pick(current_);
    if (previous_) k.previous = pick(*previous_);
    k.higher_is_better = higher_is_better;
    ctx_.kpi(k);
    return *this;
  }

 private:
  const Context& ctx_;
  const Figures& current_;
  const std::optional<Figures>& previous_;
};

// A cell of a finished run, for report plugins.
struct ColumnInfo {
  std::string name;
  Unit unit;
};

struct TableView {
  std::string name;
  std::string title;
  Chart chart = Chart::None;
  std::string chart_x;
  std::vector<std::string> chart_ys;
  std::vector<ColumnInfo> columns;
  std::vector<std::vector<Value>> rows;
};

struct MetricView {
  std::string name;
  std::string plugin;
  std::string title;
  bool ok = true;
  std::string error;
  std::vector<Kpi> kpis;
  std::vector<TableView> tables;
  std::vector<std::string> notes;  // 1.1
};

// What a report plugin sees: the finished run and its own params.
class ReportContext : public BaseContext {
 public:
  using BaseContext::BaseContext;

  std::string title() const { return detail::str_of(detail::host().run_title(ctx_)); }

  // The whole run, copied out of the host once.
  std::vector<MetricView> metrics() const {
    std::vector<MetricView> out;
    const auto& h = detail::host();
    uint32_t n = h.metric_count(ctx_);
    for (uint32_t m = 0; m < n; ++m) {
      tally_metric_info mi{};
      mi.struct_size = sizeof mi;
      check(h.metric_info(ctx_, m, &mi));
      MetricView mv;
      mv.name = detail::str_of(mi.name);
      mv.plugin = detail::str_of(mi.plugin);
      mv.title = detail::str_of(mi.title);
      mv.ok = mi.ok != 0;
      mv.error = detail::str_of(mi.error);
      for (uint32_t k = 0; k < mi.kpi_count; ++k) {
        tally_kpi ck{};
        ck.struct_size = sizeof ck;
        check(h.metric_kpi(ctx_, m, k, &ck));
        Kpi kv;
        kv.name = detail::str_of(ck.name);
        kv.label = detail::str_of(ck.label);
        kv.unit = static_cast<Unit>(ck.unit);
        if (ck.has_value) kv.value = ck.value;
        if (ck.has_previous) kv.previous = ck.previous;
        if (ck.has_target) kv.target = ck.target;
        kv.higher_is_better = ck.higher_is_better != 0;
        kv.compare_status = ck.compare_status;
        kv.note = detail::str_of(ck.note);
        kv.target_source = detail::str_of(ck.target_source);
        mv.kpis.push_back(std::move(kv));
      }
      for (uint32_t t = 0; t < mi.table_count; ++t) {
        tally_table_info ti{};
        ti.struct_size = sizeof ti;
        check(h.metric_table(ctx_, m, t, &ti));
        TableView tv;
        tv.name = detail::str_of(ti.name);
        tv.title = detail::str_of(ti.title);
        tv.chart = static_cast<Chart>(ti.chart);
        tv.chart_x = detail::str_of(ti.chart_x);
        std::string ys = detail::str_of(ti.chart_ys);
        for (size_t start = 0; start < ys.size();) {
          size_t comma = ys.find(',', start);
          if (comma == std::string::npos) comma = ys.size();
          if (comma > start) tv.chart_ys.push_back(ys.substr(start, comma - start));
          start = comma + 1;
        }
        for (uint32_t c = 0; c < ti.column_count; ++c) {
          tally_column_info ci{};
          ci.struct_size = sizeof ci;
          check(h.table_column(ctx_, m, t, c, &ci));
          tv.columns.push_back(ColumnInfo{detail::str_of(ci.name), static_cast<Unit>(ci.unit)});
        }
        tv.rows.reserve(ti.row_count);
        for (uint64_t r = 0; r < ti.row_count; ++r) {
          std::vector<Value> row;
          row.reserve(ti.column_count);
          for (uint32_t c = 0; c < ti.column_count; ++c) {
            tally_value v{};
            check(h.table_cell(ctx_, m, t, r, c, &v));
            row.push_back(detail::value_of(v));
          }
          tv.rows.push_back(std::move(row));
        }
        mv.tables.push_back(std::move(tv));
      }
      if (detail::host_has(offsetof(tally_host_api, metric_note))) {
        uint32_t notes = h.metric_note_count(ctx_, m);
        for (uint32_t i = 0; i < notes; ++i) mv.notes.push_back(detail::str_of(h.metric_note(ctx_, m, i)));
      }
      out.push_back(std::move(mv));
    }
    return out;
  }

  // 1.1: warnings about the whole run; empty on a 1.0 host.
  std::vector<std::string> warnings() const {
    std::vector<std::string> out;
    if (!detail::host_has(offsetof(tally_host_api, run_warning))) return out;
    uint32_t n = detail::host().run_warning_count(ctx_);
    for (uint32_t i = 0; i < n; ++i) out.push_back(detail::str_of(detail::host().run_warning(ctx_, i)));
    return out;
  }
  // 1.1: provenance facts ("data_source", "generated_at", ...) in a stable order.
  std::vector<std::pair<std::string, std::string>> facts() const {
    std::vector<std::pair<std::string, std::string>> out;
    if (!detail::host_has(offsetof(tally_host_api, run_fact))) return out;
    const auto& h = detail::host();
    uint32_t n = h.run_fact_count(ctx_);
    for (uint32_t i = 0; i < n; ++i) {
      tally_str name = h.run_fact_name(ctx_, i);
      out.emplace_back(detail::str_of(name), detail::str_of(h.run_fact(ctx_, name)));
    }
    return out;
  }
  // One fact, or empty when unknown.
  std::string fact(std::string_view name) const {
    if (!detail::host_has(offsetof(tally_host_api, run_fact))) return {};
    return detail::str_of(detail::host().run_fact(ctx_, detail::str_c(name)));
  }

  void write(std::string_view text) const { check(detail::host().write_output(ctx_, detail::str_c(text))); }
  bool output_is_tty() const { return detail::host().output_is_tty(ctx_) != 0; }
};

class Metric {
 public:
  virtual ~Metric() = default;
  virtual void run(Context& ctx) = 0;
};

class Report {
 public:
  virtual ~Report() = default;
  virtual void render(ReportContext& ctx) = 0;
};

// A source reads records (rows) from outside data; the host maps them.
class Source {
 public:
  virtual ~Source() = default;
  // The column names, called once before the first next().
  virtual std::vector<std::string> columns() = 0;
  // Fills `fields` and `line` with the next record; false at the end.
  // Throws sdk::Error naming the line for malformed input.
  virtual bool next(std::vector<std::string>& fields, uint64_t& line) = 0;
  virtual void progress(uint64_t& done, uint64_t& total) {
    done = 0;
    total = 0;
  }
};

namespace detail {
inline void report_error(tally_ctx* ctx, const char* what) {
  host().set_error(ctx, str_c(what ? std::string_view(what) : std::string_view("unknown error")));
}

// Runs `body`, turning every exception into a host error. Returns 0 or 1.
template <typename Body>
int32_t guarded(tally_ctx* ctx, Body&& body) noexcept {
  try {
    body();
    return TALLY_OK;
  } catch (const std::exception& e) {
    report_error(ctx, e.what());
  } catch (...) {
    report_error(ctx, "plugin threw a non-standard exception");
  }
  return TALLY_FAILED;
}

template <typename M>
int32_t metric_run(tally_ctx* ctx) noexcept {
  return guarded(ctx, [&] {
    M metric;
    Context c(ctx);
    metric.run(c);
  });
}

template <typename R>
int32_t report_render(tally_ctx* ctx) noexcept {
  return guarded(ctx, [&] {
    R report;
    ReportContext c(ctx);
    report.render(c);
  });
}

// Holds a Source and the storage the last record's fields point into.
struct SourceReader {
  tally_ctx* ctx;
  std::unique_ptr<Source> source;
  std::vector<std::string> fields;
  std::vector<tally_str> views;
  uint64_t line = 0;

  void expose(tally_record* out) {
    views.resize(fields.size());
    for (size_t i = 0; i < fields.size(); ++i) views[i] = str_c(fields[i]);
    out->line = line;
    out->field_count = static_cast<uint32_t>(views.size());
    out->fields = views.data();
  }
};

template <typename S>
void* source_open(tally_ctx* ctx, tally_str location) noexcept {
  SourceReader* reader = nullptr;
  int32_t rc = guarded(ctx, [&] {
    auto r = std::make_unique<SourceReader>();
    r->ctx = ctx;
    BaseContext c(ctx);
    r->source = std::make_unique<S>(c, str_of(location));
    reader = r.release();
  });
  return rc == TALLY_OK ? reader : nullptr;
}

inline int32_t source_columns(void* handle, tally_ctx* ctx, tally_record* out) noexcept {
  auto* r = static_cast<SourceReader*>(handle);
  return guarded(ctx, [&] {
    r->fields = r->source->columns();
    r->line = 1;
    r->expose(out);
  });
}

inline int32_t source_next(void* handle, tally_ctx* ctx, tally_record* out) noexcept {
  auto* r = static_cast<SourceReader*>(handle);
  bool more = false;
  int32_t rc = guarded(ctx, [&] {
    more = r->source->next(r->fields, r->line);
    if (more) r->expose(out);
  });
  if (rc != TALLY_OK) return -1;
  return more ? 1 : 0;
}

inline void source_progress(void* handle, uint64_t* done, uint64_t* total) noexcept {
  auto* r = static_cast<SourceReader*>(handle);
  try {
    r->source->progress(*done, *total);
  } catch (...) {
    *done = 0;
    *total = 0;
  }
}

inline void source_close(void* handle) noexcept { delete static_cast<SourceReader*>(handle); }

inline bool host_is_usable(const tally_host_api* host) {
  return host && host->struct_size >= offsetof(tally_host_api, output_is_tty) + sizeof(host->output_is_tty) &&
         TALLY_SDK_MAJOR_OF(host->sdk_version) == TALLY_SDK_VERSION_MAJOR;
}
}  // namespace detail
}  // namespace tally::sdk

// Registration: exactly one per plugin library.
#define TALLY_DETAIL_EXPORT_VERSION                                                                   \
  extern "C" TALLY_PLUGIN_EXPORT uint32_t tally_plugin_sdk_version(void) { return TALLY_SDK_VERSION; }

#define TALLY_METRIC(ClassName)                                                                        \
  TALLY_DETAIL_EXPORT_VERSION                                                                          \
  extern "C" TALLY_PLUGIN_EXPORT int32_t tally_plugin_init(const tally_host_api* host,                 \
                                                           tally_plugin_info* info) {                   \
    static const tally_metric_api api = {sizeof(tally_metric_api),                                     \
                                         &::tally::sdk::detail::metric_run<ClassName>};                \
    if (!::tally::sdk::detail::host_is_usable(host) || !info) return TALLY_FAILED;                     \
    ::tally::sdk::detail::host_slot() = host;                                                          \
    info->kind = TALLY_KIND_METRIC;                                                                    \
    info->metric = &api;                                                                               \
    return TALLY_OK;                                                                                   \
  }

#define TALLY_REPORT(ClassName)                                                                        \
  TALLY_DETAIL_EXPORT_VERSION                                                                          \
  extern "C" TALLY_PLUGIN_EXPORT int32_t tally_plugin_init(const tally_host_api* host,                 \
                                                           tally_plugin_info* info) {                   \
    static const tally_report_api api = {sizeof(tally_report_api),                                     \
                                         &::tally::sdk::detail::report_render<ClassName>};             \
    if (!::tally::sdk::detail::host_is_usable(host) || !info) return TALLY_FAILED;                     \
    ::tally::sdk::detail::host_slot() = host;                                                          \
    info->kind = TALLY_KIND_REPORT;                                                                    \
    info->report = &api;                                                                               \
    return TALLY_OK;                                                                                   \
  }

// ClassName must be constructible from (tally::sdk::BaseContext&, std::string location).
#define TALLY_SOURCE(ClassName)                                                                        \
  TALLY_DETAIL_EXPORT_VERSION                                                                          \
  extern "C" TALLY_PLUGIN_EXPORT int32_t tally_plugin_init(const tally_host_api* host,                 \
                                                           tally_plugin_info* info) {                   \
    static const tally_source_api api = {                                                              \
        sizeof(tally_source_api),          &::tally::sdk::detail::source_open<ClassName>,              \
        &::tally::sdk::detail::source_columns, &::tally::sdk::detail::source_next,                     \
        &::tally::sdk::detail::source_progress, &::tally::sdk::detail::source_close};                  \
    if (!::tally::sdk::detail::host_is_usable(host) || !info) return TALLY_FAILED;                     \
    ::tally::sdk::detail::host_slot() = host;                                                          \
    info->kind = TALLY_KIND_SOURCE;                                                                    \
    info->source = &api;                                                                               \
    return TALLY_OK;                                                                                   \
  }
