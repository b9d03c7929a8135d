// The host function table: every entry catches every exception and turns it
// into a status plus ctx->last_error, so nothing C++ crosses the boundary.
// Over 400 lines: one short C function per entry of the table (about fifty),
// each a thin wrapper over the run's context; splitting them by theme would
// scatter the one place that shows what crosses the boundary.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <string_view>

#include "plugins/entry_checks.hpp"
#include "plugins/registry.hpp"
#include "run/context.hpp"

namespace tally::plugins {

namespace {

using tally::Value;

std::string str(tally_str s) {
  return s.data ? std::string(s.data, s.size) : std::string();
}
tally_str view(const std::string& s) {
  return tally_str{s.data(), s.size()};
}

int32_t fail(tally_ctx* ctx, std::string message) {
  if (ctx) ctx->last_error = std::move(message);
  return TALLY_FAILED;
}

// Runs `body` and converts exceptions into a failed status.
template <typename Body>
int32_t guarded(tally_ctx* ctx, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::exception& e) {
    return fail(ctx, e.what());
  } catch (...) {
    return fail(ctx, "unknown error in the host");
  }
}

tally_value to_c(const Value& v) {
  tally_value out{};
  if (auto* i = std::get_if<int64_t>(&v)) {
    out.type = TALLY_VALUE_INT;
    out.i = *i;
  } else if (auto* d = std::get_if<double>(&v)) {
    out.type = TALLY_VALUE_REAL;
    out.d = *d;
  } else if (auto* s = std::get_if<std::string>(&v)) {
    out.type = TALLY_VALUE_TEXT;
    out.s = view(*s);
  } else {
    out.type = TALLY_VALUE_NULL;
  }
  return out;
}

Value from_c(const tally_value* v) {
  if (!v) return {};
  switch (v->type) {
    case TALLY_VALUE_INT: return Value{v->i};
    case TALLY_VALUE_REAL: return std::isfinite(v->d) ? Value{v->d} : Value{};
    case TALLY_VALUE_TEXT: return Value{str(v->s)};
    default: return Value{};
  }
}

// A versioned struct the plugin hands over shorter than the version that
// defined its fields: refused, never read or written past its end.
bool too_short(tally_ctx* ctx, const char* function, const char* type, uint32_t got, size_t need) {
  if (got >= need) return false;
  fail(ctx, plugins::short_struct_text(function, type, got, need));
  return true;
}

bool valid_unit(int32_t unit) {
  return unit >= TALLY_UNIT_TEXT && unit <= TALLY_UNIT_FLAG;
}

// ---- every kind ----

void host_log(tally_ctx* ctx, int32_t level, tally_str message) {
  try {
    auto lvl = level <= TALLY_LOG_DEBUG  ? spdlog::level::debug
               : level == TALLY_LOG_INFO ? spdlog::level::info
               : level == TALLY_LOG_WARN ? spdlog::level::warn
                                         : spdlog::level::err;
    spdlog::log(lvl, "[{}] {}", ctx ? ctx->name : std::string("plugin"),
                std::string_view(message.data, message.size));
  } catch (...) {
  }
}

tally_str host_last_error(tally_ctx* ctx) {
  return ctx ? view(ctx->last_error) : tally_str{nullptr, 0};
}

void host_set_error(tally_ctx* ctx, tally_str message) {
  try {
    if (ctx) ctx->plugin_error = str(message);
  } catch (...) {
  }
}

const ParamValue* find_param(tally_ctx* ctx, tally_str name, std::string& error) {
  std::string key = str(name);
  if (!ctx->params) {
    error = "no params";
    return nullptr;
  }
  auto it = ctx->params->find(key);
  if (it == ctx->params->end()) {
    if (ctx->manifest && ctx->manifest->find_param(key)) {
      static const ParamValue unset{};
      return &unset;  // declared, not given, no default: n/a
    }
    error = "param '" + key + "' is not declared in the manifest of '" + ctx->plugin + "'";
    return nullptr;
  }
  return &it->second;
}

int32_t host_param_get(tally_ctx* ctx, tally_str name, tally_value* out) {
  return guarded(ctx, [&]() -> int32_t {
    std::string error;
    const ParamValue* p = find_param(ctx, name, error);
    if (!p) return fail(ctx, error);
    if (p->is_list) return fail(ctx, "param '" + str(name) + "' is a list; use param_list_item");
    *out = to_c(p->scalar);
    return TALLY_OK;
  });
}

int32_t host_param_list_size(tally_ctx* ctx, tally_str name, uint64_t* out) {
  return guarded(ctx, [&]() -> int32_t {
    std::string error;
    const ParamValue* p = find_param(ctx, name, error);
    if (!p) return fail(ctx, error);
    *out = p->is_list ? p->list.size() : (is_null(p->scalar) ? 0 : 1);
    return TALLY_OK;
  });
}

int32_t host_param_list_item(tally_ctx* ctx, tally_str name, uint64_t index, tally_value* out) {
  return guarded(ctx, [&]() -> int32_t {
    std::string error;
    const ParamValue* p = find_param(ctx, name, error);
    if (!p) return fail(ctx, error);
    if (!p->is_list) {
      if (index != 0 || is_null(p->scalar)) return fail(ctx, "list index out of range");
      *out = to_c(p->scalar);
      return TALLY_OK;
    }
    if (index >= p->list.size()) return fail(ctx, "list index out of range");
    out->type = TALLY_VALUE_TEXT;
    out->s = view(p->list[index]);
    return TALLY_OK;
  });
}

int32_t host_has_compare(tally_ctx* ctx) {
  return ctx && ctx->scope.compare_from.has_value() ? 1 : 0;
}

int32_t host_period(tally_ctx* ctx, int32_t which, tally_period* out) {
  return guarded(ctx, [&]() -> int32_t {
    if (!out) return fail(ctx, "period: no tally_period given");
    if (too_short(ctx, "period", "tally_period", out->struct_size, sizeof(tally_period))) return TALLY_FAILED;
    if (which == TALLY_PERIOD_COMPARE) {
      if (!ctx->scope.compare_from) return fail(ctx, "this run has no comparison period");
      out->from = view(*ctx->scope.compare_from);
      out->to = view(*ctx->scope.compare_to);
    } else {
      out->from = view(ctx->scope.period_from);
      out->to = view(ctx->scope.period_to);
    }
    return TALLY_OK;
  });
}

int32_t host_fiscal_year_start(tally_ctx* ctx) {
  return ctx ? ctx->scope.fiscal_year_start : 1;
}
tally_str host_currency(tally_ctx* ctx) {
  return ctx ? view(ctx->currency) : tally_str{"USD", 3};
}

// ---- metrics: data ----

tally_query* host_query_new(tally_ctx* ctx, tally_str dataset) {
  try {
    if (!ctx->connection || !ctx->dialect) {
      fail(ctx, "queries are only available to metric plugins");
      return nullptr;
    }
    return new tally_query{ctx, query::QueryBuilder(str(dataset))};
  } catch (const std::exception& e) {
    fail(ctx, e.what());
  } catch (...) {
    fail(ctx, "unknown error creating a query");
  }
  return nullptr;
}

template <typename Body>
int32_t with_query(tally_query* q, Body&& body) {
  if (!q) return TALLY_FAILED;
  return guarded(q->ctx, [&]() -> int32_t {
    body(q->builder);
    return TALLY_OK;
  });
}

int32_t host_query_select(tally_query* q, tally_str alias, tally_str expr) {
  return with_query(q, [&](query::QueryBuilder& b) { b.select(str(alias), str(expr)); });
}
int32_t host_query_where(tally_query* q, tally_str expr) {
  return with_query(q, [&](query::QueryBuilder& b) { b.where(str(expr)); });
}
int32_t host_query_group_by(tally_query* q, tally_str alias, tally_str expr) {
  return with_query(q, [&](query::QueryBuilder& b) { b.group_by(str(alias), str(expr)); });
}
int32_t host_query_order_by(tally_query* q, tally_str alias, int32_t descending) {
  return with_query(q, [&](query::QueryBuilder& b) { b.order_by(str(alias), descending != 0); });
}
int32_t host_query_limit(tally_query* q, int64_t n) {
  return with_query(q, [&](query::QueryBuilder& b) { b.limit(n); });
}
int32_t host_query_bind(tally_query* q, tally_str name, const tally_value* value) {
  return with_query(q, [&](query::QueryBuilder& b) { b.bind(str(name), from_c(value)); });
}
int32_t host_query_use_period(tally_query* q, int32_t which) {
  return with_query(q, [&](query::QueryBuilder& b) {
    b.use_period(which == TALLY_PERIOD_COMPARE ? query::Which::Compare : query::Which::Current);
  });
}

tally_rows* host_query_run(tally_query* q) {
  if (!q) return nullptr;
  tally_ctx* ctx = q->ctx;
  try {
    auto compiled = q->builder.compile(*ctx->dialect, ctx->scope);
    if (q->builder.period() == query::Which::Compare) ctx->compare_datasets.insert(q->builder.dataset());
    if (ctx->datasets.insert(q->builder.dataset()).second && ctx->on_new_dataset)
      ctx->on_new_dataset(q->builder.dataset());
    auto rows = std::make_unique<tally_rows>();
    rows->ctx = ctx;
    rows->started = std::chrono::steady_clock::now();
    if (spdlog::should_log(spdlog::level::trace)) rows->sql = compiled.sql;
    rows->cursor = ctx->connection->execute(compiled);
    return rows.release();
  } catch (const std::exception& e) {
    fail(ctx, e.what());
  } catch (...) {
    fail(ctx, "unknown error running a query");
  }
  return nullptr;
}

void host_query_free(tally_query* q) {
  delete q;
}

// For -vv: the time from running a query to reading its last row, once.
void log_query_time(tally_rows* rows) {
  if (rows->sql.empty()) return;
  spdlog::trace(
      "[{}] {} row(s) in {:.1f} ms: {}", rows->ctx->name, rows->row_count,
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - rows->started).count(),
      rows->sql);
  rows->sql.clear();
}

int32_t host_rows_next(tally_rows* rows) {
  if (!rows) return -1;
  try {
    if (!rows->cursor->next()) {
      log_query_time(rows);
      return 0;
    }
    ++rows->row_count;
    rows->current.resize(rows->cursor->column_count());
    for (size_t i = 0; i < rows->current.size(); ++i) rows->current[i] = rows->cursor->get(i);
    return 1;
  } catch (const std::exception& e) {
    fail(rows->ctx, e.what());
  } catch (...) {
    fail(rows->ctx, "unknown error reading rows");
  }
  return -1;
}

uint32_t host_rows_column_count(tally_rows* rows) {
  return rows ? static_cast<uint32_t>(rows->cursor->column_count()) : 0;
}

tally_str host_rows_column_name(tally_rows* rows, uint32_t column) {
  if (!rows || column >= rows->cursor->column_count()) return tally_str{nullptr, 0};
  return view(rows->cursor->column_name(column));
}

int32_t host_rows_get(tally_rows* rows, uint32_t column, tally_value* out) {
  if (!rows) return TALLY_FAILED;
  if (column >= rows->current.size())
    return fail(rows->ctx, "column " + std::to_string(column) + " out of range (row has " +
                               std::to_string(rows->current.size()) + " columns; call next() first)");
  *out = to_c(rows->current[column]);
  return TALLY_OK;
}

void host_rows_free(tally_rows* rows) {
  if (rows) log_query_time(rows);  // freed before its last row
  delete rows;
}

// ---- metrics: results ----

int32_t host_add_kpi(tally_ctx* ctx, const tally_kpi* kpi) {
  return guarded(ctx, [&]() -> int32_t {
    if (!ctx->result) return fail(ctx, "results can only be added by metric plugins");
    if (!kpi) return fail(ctx, "add_kpi: no tally_kpi given");
    if (too_short(ctx, "add_kpi", "tally_kpi", kpi->struct_size, offsetof(tally_kpi, higher_is_better)))
      return TALLY_FAILED;
    run::Kpi k;
    k.name = str(kpi->name);
    if (k.name.empty()) return fail(ctx, "a KPI needs a name");
    if (ctx->result->find_kpi(k.name)) return fail(ctx, "KPI '" + k.name + "' added twice");
    if (!valid_unit(kpi->unit)) return fail(ctx, "KPI '" + k.name + "' has an unknown unit");
    k.label = str(kpi->label);
    k.unit = kpi->unit;
    auto take = [](int32_t has, double v) -> std::optional<double> {
      if (!has || !std::isfinite(v)) return std::nullopt;
      return v;
    };
    k.value = take(kpi->has_value, kpi->value);
    k.previous = take(kpi->has_previous, kpi->previous);
    k.target = take(kpi->has_target, kpi->target);
    k.higher_is_better =
        kpi->struct_size >= offsetof(tally_kpi, compare_status) ? kpi->higher_is_better != 0 : true;
    if (kpi->struct_size >= sizeof(tally_kpi)) {  // 1.1 fields
      if (kpi->compare_status < TALLY_COMPARE_OK || kpi->compare_status > TALLY_COMPARE_NOT_COMPARABLE)
        return fail(ctx, "KPI '" + k.name + "' has an unknown compare_status");
      k.compare_status = kpi->compare_status;
      k.note = str(kpi->note);
      k.target_source = str(kpi->target_source);
    }
    ctx->result->kpis.push_back(std::move(k));
    return TALLY_OK;
  });
}

tally_table* host_add_table(tally_ctx* ctx, tally_str name, tally_str title) {
  try {
    if (!ctx->result) {
      fail(ctx, "results can only be added by metric plugins");
      return nullptr;
    }
    run::Table t;
    t.name = str(name);
    if (t.name.empty()) {
      fail(ctx, "a table needs a name");
      return nullptr;
    }
    if (ctx->result->find_table(t.name)) {
      fail(ctx, "table '" + t.name + "' added twice");
      return nullptr;
    }
    t.title = str(title);
    ctx->result->tables.push_back(std::move(t));
    ctx->tables.push_back(std::make_unique<tally_table>(tally_table{ctx, ctx->result->tables.size() - 1}));
    return ctx->tables.back().get();
  } catch (const std::exception& e) {
    fail(ctx, e.what());
  }
  return nullptr;
}

run::Table& table_of(tally_table* t) {
  return t->ctx->result->tables[t->index];
}

int32_t host_table_add_column(tally_table* t, tally_str name, int32_t unit) {
  if (!t) return TALLY_FAILED;
  return guarded(t->ctx, [&]() -> int32_t {
    run::Table& table = table_of(t);
    if (!table.rows.empty()) return fail(t->ctx, "table '" + table.name + "': add columns before rows");
    if (!valid_unit(unit)) return fail(t->ctx, "table '" + table.name + "': unknown unit");
    std::string column = str(name);
    if (table.column_index(column) >= 0)
      return fail(t->ctx, "table '" + table.name + "': column '" + column + "' added twice");
    table.columns.push_back(run::Column{column, unit});
    return TALLY_OK;
  });
}

int32_t host_table_set_chart(tally_table* t, const tally_chart_hint* hint) {
  if (!t || !hint) return TALLY_FAILED;
  return guarded(t->ctx, [&]() -> int32_t {
    run::Table& table = table_of(t);
    if (too_short(t->ctx, "table_set_chart", "tally_chart_hint", hint->struct_size, sizeof(tally_chart_hint)))
      return TALLY_FAILED;
    if (hint->chart < TALLY_CHART_NONE || hint->chart > TALLY_CHART_FUNNEL)
      return fail(t->ctx, "table '" + table.name + "': unknown chart type");
    table.chart = hint->chart;
    table.chart_x = str(hint->x);
    table.chart_ys = str(hint->ys);
    return TALLY_OK;
  });
}

int32_t host_table_add_row(tally_table* t, const tally_value* cells, uint32_t count) {
  if (!t) return TALLY_FAILED;
  return guarded(t->ctx, [&]() -> int32_t {
    run::Table& table = table_of(t);
    if (count != table.columns.size())
      return fail(t->ctx, "table '" + table.name + "': row has " + std::to_string(count) +
                              " cells, table has " + std::to_string(table.columns.size()) + " columns");
    std::vector<Value> row;
    row.reserve(count);
    for (uint32_t i = 0; i < count; ++i) row.push_back(from_c(&cells[i]));
    table.rows.push_back(std::move(row));
    return TALLY_OK;
  });
}

int32_t host_config_target(tally_ctx* ctx, tally_str kpi_name, double* out) {
  if (!ctx || !ctx->config_targets) return 0;
  auto it = ctx->config_targets->find(str(kpi_name));
  if (it == ctx->config_targets->end()) return 0;
  *out = it->second;
  return 1;
}

// ---- reports ----

tally_str host_run_title(tally_ctx* ctx) {
  return ctx && ctx->run ? view(ctx->run->title) : tally_str{nullptr, 0};
}

uint32_t host_metric_count(tally_ctx* ctx) {
  return ctx && ctx->run ? static_cast<uint32_t>(ctx->run->metrics.size()) : 0;
}

const run::MetricResult* metric_at(tally_ctx* ctx, uint32_t m) {
  if (!ctx || !ctx->run || m >= ctx->run->metrics.size()) return nullptr;
  return &ctx->run->metrics[m];
}

int32_t host_metric_info(tally_ctx* ctx, uint32_t m, tally_metric_info* out) {
  const run::MetricResult* r = metric_at(ctx, m);
  if (!r || !out) return fail(ctx, "metric index out of range");
  if (too_short(ctx, "metric_info", "tally_metric_info", out->struct_size, sizeof(tally_metric_info)))
    return TALLY_FAILED;
  out->name = view(r->name);
  out->plugin = view(r->plugin);
  out->title = view(r->title);
  out->ok = r->ok ? 1 : 0;
  out->error = view(r->error);
  out->kpi_count = static_cast<uint32_t>(r->kpis.size());
  out->table_count = static_cast<uint32_t>(r->tables.size());
  return TALLY_OK;
}

int32_t host_metric_kpi(tally_ctx* ctx, uint32_t m, uint32_t k, tally_kpi* out) {
  const run::MetricResult* r = metric_at(ctx, m);
  if (!r || k >= r->kpis.size() || !out) return fail(ctx, "KPI index out of range");
  if (too_short(ctx, "metric_kpi", "tally_kpi", out->struct_size, offsetof(tally_kpi, higher_is_better)))
    return TALLY_FAILED;
  const run::Kpi& kpi = r->kpis[k];
  out->name = view(kpi.name);
  out->label = view(kpi.label);
  out->unit = kpi.unit;
  out->has_value = kpi.value.has_value();
  out->value = kpi.value.value_or(0);
  out->has_previous = kpi.previous.has_value();
  out->previous = kpi.previous.value_or(0);
  out->has_target = kpi.target.has_value();
  out->target = kpi.target.value_or(0);
  if (out->struct_size >= offsetof(tally_kpi, compare_status))
    out->higher_is_better = kpi.higher_is_better ? 1 : 0;
  if (out->struct_size >= sizeof(tally_kpi)) {  // 1.1 fields
    out->compare_status = kpi.compare_status;
    out->note = view(kpi.note);
    out->target_source = view(kpi.target_source);
  }
  return TALLY_OK;
}

const run::Table* table_at(tally_ctx* ctx, uint32_t m, uint32_t t) {
  const run::MetricResult* r = metric_at(ctx, m);
  if (!r || t >= r->tables.size()) return nullptr;
  return &r->tables[t];
}

int32_t host_metric_table(tally_ctx* ctx, uint32_t m, uint32_t t, tally_table_info* out) {
  const run::Table* table = table_at(ctx, m, t);
  if (!table || !out) return fail(ctx, "table index out of range");
  if (too_short(ctx, "metric_table", "tally_table_info", out->struct_size, sizeof(tally_table_info)))
    return TALLY_FAILED;
  out->name = view(table->name);
  out->title = view(table->title);
  out->chart = table->chart;
  out->chart_x = view(table->chart_x);
  out->chart_ys = view(table->chart_ys);
  out->column_count = static_cast<uint32_t>(table->columns.size());
  out->row_count = table->rows.size();
  return TALLY_OK;
}

int32_t host_table_column(tally_ctx* ctx, uint32_t m, uint32_t t, uint32_t c, tally_column_info* out) {
  const run::Table* table = table_at(ctx, m, t);
  if (!table || c >= table->columns.size() || !out) return fail(ctx, "column index out of range");
  if (too_short(ctx, "table_column", "tally_column_info", out->struct_size, sizeof(tally_column_info)))
    return TALLY_FAILED;
  out->name = view(table->columns[c].name);
  out->unit = table->columns[c].unit;
  return TALLY_OK;
}

int32_t host_table_cell(tally_ctx* ctx, uint32_t m, uint32_t t, uint64_t r, uint32_t c, tally_value* out) {
  const run::Table* table = table_at(ctx, m, t);
  if (!table || r >= table->rows.size() || c >= table->columns.size() || !out)
    return fail(ctx, "cell index out of range");
  *out = to_c(table->rows[r][c]);
  return TALLY_OK;
}

int32_t host_write_output(tally_ctx* ctx, tally_str text) {
  return guarded(ctx, [&]() -> int32_t {
    if (!ctx->output) return fail(ctx, "no output for this plugin");
    ctx->output->write(text.data, static_cast<std::streamsize>(text.size));
    if (!*ctx->output) return fail(ctx, "cannot write output");
    return TALLY_OK;
  });
}

int32_t host_output_is_tty(tally_ctx* ctx) {
  return ctx && ctx->output_is_tty ? 1 : 0;
}

// ---- 1.1: notes, run warnings, provenance ----

int32_t host_add_note(tally_ctx* ctx, tally_str text) {
  return guarded(ctx, [&]() -> int32_t {
    if (!ctx->result) return fail(ctx, "notes can only be added by metric plugins");
    std::string note = str(text);
    if (note.empty()) return fail(ctx, "a note needs text");
    // The same remark from two queries of one metric is shown once.
    for (const auto& existing : ctx->result->notes)
      if (existing == note) return TALLY_OK;
    ctx->result->notes.push_back(std::move(note));
    return TALLY_OK;
  });
}

uint32_t host_metric_note_count(tally_ctx* ctx, uint32_t m) {
  const run::MetricResult* r = metric_at(ctx, m);
  return r ? static_cast<uint32_t>(r->notes.size()) : 0;
}

tally_str host_metric_note(tally_ctx* ctx, uint32_t m, uint32_t n) {
  const run::MetricResult* r = metric_at(ctx, m);
  if (!r || n >= r->notes.size()) return tally_str{nullptr, 0};
  return view(r->notes[n]);
}

uint32_t host_run_warning_count(tally_ctx* ctx) {
  return ctx && ctx->run ? static_cast<uint32_t>(ctx->run->warnings.size()) : 0;
}

tally_str host_run_warning(tally_ctx* ctx, uint32_t w) {
  if (!ctx || !ctx->run || w >= ctx->run->warnings.size()) return tally_str{nullptr, 0};
  return view(ctx->run->warnings[w]);
}

uint32_t host_run_fact_count(tally_ctx* ctx) {
  return ctx && ctx->run ? static_cast<uint32_t>(ctx->run->facts.size()) : 0;
}

tally_str host_run_fact_name(tally_ctx* ctx, uint32_t f) {
  if (!ctx || !ctx->run || f >= ctx->run->facts.size()) return tally_str{nullptr, 0};
  return view(ctx->run->facts[f].first);
}

tally_str host_run_fact(tally_ctx* ctx, tally_str name) {
  if (!ctx || !ctx->run) return tally_str{nullptr, 0};
  std::string wanted = str(name);
  for (const auto& [key, value] : ctx->run->facts)
    if (key == wanted) return view(value);
  return tally_str{nullptr, 0};
}

// ---- 1.2: drill-down ----

int32_t host_add_drilldown(tally_ctx* ctx, const tally_drilldown* d) {
  return guarded(ctx, [&]() -> int32_t {
    if (!ctx->result || !ctx->dialect)
      return fail(ctx, "add_drilldown: only metric plugins declare drill-downs");
    if (!d || d->struct_size < offsetof(tally_drilldown, query) + sizeof d->query || !d->query)
      return fail(ctx, "add_drilldown: no drill-down or no query given");
    if (d->part != TALLY_DRILLDOWN_RECORDS && d->part != TALLY_DRILLDOWN_DENOMINATOR)
      return fail(ctx,
                  "add_drilldown: part must be TALLY_DRILLDOWN_RECORDS or TALLY_DRILLDOWN_DENOMINATOR, got " +
                      std::to_string(d->part));
    run::Drilldown drill;
    drill.kpi = str(d->kpi);
    drill.row = str(d->row);
    drill.part = d->part;
    if (drill.kpi.empty()) return fail(ctx, "add_drilldown: the KPI name is empty");
    drill.dataset = d->query->builder.dataset();
    drill.constants = d->query->builder.drilldown_constants();
    try {
      drill.records = d->query->builder.records_query().compile(*ctx->dialect, ctx->scope);
    } catch (const query::QueryError& e) {
      drill.error = e.what();  // listed when asked; the KPI itself is fine
    }
    auto& all = ctx->result->drilldowns;
    auto same = std::find_if(all.begin(), all.end(), [&](const run::Drilldown& x) {
      return x.kpi == drill.kpi && x.row == drill.row && x.part == drill.part;
    });
    if (same != all.end())
      *same = std::move(drill);
    else
      all.push_back(std::move(drill));
    return TALLY_OK;
  });
}

const tally_host_api kHostApi = {
    sizeof(tally_host_api),
    TALLY_SDK_VERSION,
    &host_log,
    &host_last_error,
    &host_set_error,
    &host_param_get,
    &host_param_list_size,
    &host_param_list_item,
    &host_has_compare,
    &host_period,
    &host_fiscal_year_start,
    &host_currency,
    &host_query_new,
    &host_query_select,
    &host_query_where,
    &host_query_group_by,
    &host_query_order_by,
    &host_query_limit,
    &host_query_bind,
    &host_query_use_period,
    &host_query_run,
    &host_query_free,
    &host_rows_next,
    &host_rows_column_count,
    &host_rows_column_name,
    &host_rows_get,
    &host_rows_free,
    &host_add_kpi,
    &host_add_table,
    &host_table_add_column,
    &host_table_set_chart,
    &host_table_add_row,
    &host_config_target,
    &host_run_title,
    &host_metric_count,
    &host_metric_info,
    &host_metric_kpi,
    &host_metric_table,
    &host_table_column,
    &host_table_cell,
    &host_write_output,
    &host_output_is_tty,
    &host_add_note,
    &host_metric_note_count,
    &host_metric_note,
    &host_run_warning_count,
    &host_run_warning,
    &host_run_fact_count,
    &host_run_fact_name,
    &host_run_fact,
    &host_add_drilldown,
};

}  // namespace

const tally_host_api& host_api() {
  // At an older minor (the ABI tests' TALLY_HOST_SDK_VERSION), the table that
  // minor had: its size and version, the later entries absent.
  static const auto tables = [] {
    std::array<tally_host_api, TALLY_SDK_VERSION_MINOR + 1> out{};
    for (uint32_t minor = 0; minor < out.size(); ++minor) {
      tally_host_api& t = out[minor];
      t = kHostApi;
      t.sdk_version = static_cast<uint32_t>((TALLY_SDK_VERSION_MAJOR << 16) | minor);
      t.struct_size = static_cast<uint32_t>(host_api_size(t.sdk_version));
      if (t.struct_size <= offsetof(tally_host_api, add_note)) t.add_note = nullptr;
      if (t.struct_size <= offsetof(tally_host_api, add_drilldown)) t.add_drilldown = nullptr;
    }
    return out;
  }();
  return tables[TALLY_SDK_MINOR_OF(host_sdk_version())];
}

}  // namespace tally::plugins
