// The host table a plugin gets in its child process (`isolation: process`):
// every entry answers from the invocation's snapshot when it can and
// otherwise forwards the call to tally over the socket (plugins/wire.hpp), so
// queries run on tally's one connection and results land in tally's own
// structures. A query's rows come over in chunks and are read from here.
//
// Longer than 400 lines on purpose: one forwarding function per entry of the
// host table, mirroring run/host_api.cpp entry by entry, reads best as one list.
#include "host_table.hpp"

#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "channel.hpp"
#include "plugins/wire.hpp"
#include "snapshot.hpp"

using namespace tally;

struct tally_ctx {};  // one invocation at a time; tally holds the real one
struct tally_query {
  uint64_t id;
};
struct tally_table {
  uint64_t id;
};
struct tally_rows {
  uint64_t id = 0;
  std::vector<std::string> columns;
  std::vector<tally_value> cells;  // rows of columns.size() values, text in `texts`
  std::deque<std::string> texts;   // the texts of `cells`
  size_t row = 0, rows = 0;        // next row to return (1-based after next()), rows held
  int32_t status = 0;              // after the held rows: 1 more, 0 end, -1 error
  std::vector<tally_value> current;
};

namespace {

using plugin_host::call;
using plugin_host::flush_outbox;
using plugin_host::lost;
using plugin_host::reader;

tally_ctx the_ctx;
std::mutex call_mutex;  // a plugin's own threads may call the host too
// Strings handed back to the plugin, kept for the invocation.
std::deque<std::string> arena;
std::mutex arena_mutex;

plugin_host::Snapshot snapshot;  // of the current invocation, its strings in `arena`
bool metric_kind = false;        // a metric plugin (queries, results), not a report

struct Reply {
  std::string data;
  wire::Reader in{std::string_view()};
  Reply(uint32_t op, const wire::Writer& w) {
    std::lock_guard lock(call_mutex);
    call(op, w, &data);
    in = wire::Reader(data);
  }
};

tally_str keep(std::string s) {
  std::lock_guard lock(arena_mutex);
  arena.push_back(std::move(s));
  return tally_str{arena.back().data(), arena.back().size()};
}

tally_str keep_str(wire::Reader& in) {
  return keep(in.str());
}

tally_value keep_value(wire::Reader& in) {
  std::string text;
  tally_value v = in.value(text);
  if (v.type == TALLY_VALUE_TEXT) v.s = keep(std::move(text));
  return v;
}

int32_t status_of(uint32_t op, const wire::Writer& w) {
  Reply r(op, w);
  return r.in.i32();
}

// ---- every kind ----

void h_log(tally_ctx*, int32_t level, tally_str message) {
  std::lock_guard lock(call_mutex);
  call(wire::kLog, wire::Writer().i32(level).str(message));
  flush_outbox();  // at once: seen even if the plugin dies next
}
tally_str h_last_error(tally_ctx*) {
  Reply r(wire::kLastError, wire::Writer());
  return keep_str(r.in);
}
void h_set_error(tally_ctx*, tally_str message) {
  std::lock_guard lock(call_mutex);
  call(wire::kSetError, wire::Writer().str(message));
  flush_outbox();
}
int32_t h_param_get(tally_ctx*, tally_str name, tally_value* out) {
  if (auto* p = snapshot.param(name); p && p->value) {
    if (out) *out = *p->value;
    return TALLY_OK;
  }
  Reply r(wire::kParamGet, wire::Writer().str(name));
  const int32_t rc = r.in.i32();
  if (rc == TALLY_OK && out) *out = keep_value(r.in);
  return rc;
}
int32_t h_param_list_size(tally_ctx*, tally_str name, uint64_t* out) {
  if (auto* p = snapshot.param(name); p && p->items) {
    if (out) *out = p->items->size();
    return TALLY_OK;
  }
  Reply r(wire::kParamListSize, wire::Writer().str(name));
  const int32_t rc = r.in.i32();
  if (rc == TALLY_OK && out) *out = r.in.u64();
  return rc;
}
int32_t h_param_list_item(tally_ctx*, tally_str name, uint64_t index, tally_value* out) {
  if (auto* p = snapshot.param(name); p && p->items && index < p->items->size()) {
    if (out) *out = (*p->items)[index];
    return TALLY_OK;
  }
  Reply r(wire::kParamListItem, wire::Writer().str(name).u64(index));
  const int32_t rc = r.in.i32();
  if (rc == TALLY_OK && out) *out = keep_value(r.in);
  return rc;
}
int32_t h_has_compare(tally_ctx*) {
  return snapshot.has_compare;
}
int32_t h_period(tally_ctx*, int32_t which, tally_period* out) {
  const auto& known = snapshot.periods[which == TALLY_PERIOD_COMPARE ? 1 : 0];
  if (known && out && out->struct_size >= sizeof(tally_period)) {
    out->from = known->from;
    out->to = known->to;
    return TALLY_OK;
  }
  Reply r(wire::kPeriod, wire::Writer().i32(which).u32(out ? out->struct_size : 0));
  const int32_t rc = r.in.i32();
  if (rc == TALLY_OK) {
    out->from = keep_str(r.in);
    out->to = keep_str(r.in);
  }
  return rc;
}
int32_t h_fiscal_year_start(tally_ctx*) {
  return snapshot.fiscal_year_start;
}
tally_str h_currency(tally_ctx*) {
  return snapshot.currency;
}

// ---- metrics: data ----

tally_query* h_query_new(tally_ctx*, tally_str dataset) {
  // A metric's query of a known dataset cannot fail: the child names it and goes on.
  const std::string_view name(dataset.data ? dataset.data : "", dataset.data ? dataset.size : 0);
  if (metric_kind && snapshot.datasets.count(name)) {
    std::lock_guard lock(call_mutex);
    static uint64_t next = 0;
    const uint64_t id = wire::kChildIds | ++next;
    call(wire::kQueryNewDeferred, wire::Writer().u64(id).str(dataset));
    return new tally_query{id};
  }
  Reply r(wire::kQueryNew, wire::Writer().str(dataset));
  const uint64_t id = r.in.u64();
  return id ? new tally_query{id} : nullptr;
}
int32_t h_query_select(tally_query* q, tally_str alias, tally_str expr) {
  return q ? status_of(wire::kQuerySelect, wire::Writer().u64(q->id).str(alias).str(expr)) : TALLY_FAILED;
}
int32_t h_query_where(tally_query* q, tally_str expr) {
  return q ? status_of(wire::kQueryWhere, wire::Writer().u64(q->id).str(expr)) : TALLY_FAILED;
}
int32_t h_query_group_by(tally_query* q, tally_str alias, tally_str expr) {
  return q ? status_of(wire::kQueryGroupBy, wire::Writer().u64(q->id).str(alias).str(expr)) : TALLY_FAILED;
}
int32_t h_query_order_by(tally_query* q, tally_str alias, int32_t descending) {
  return q ? status_of(wire::kQueryOrderBy, wire::Writer().u64(q->id).str(alias).i32(descending))
           : TALLY_FAILED;
}
int32_t h_query_limit(tally_query* q, int64_t n) {
  return q ? status_of(wire::kQueryLimit, wire::Writer().u64(q->id).i64(n)) : TALLY_FAILED;
}
int32_t h_query_bind(tally_query* q, tally_str name, const tally_value* value) {
  if (!q) return TALLY_FAILED;
  tally_value null{};
  return status_of(wire::kQueryBind, wire::Writer().u64(q->id).str(name).value(value ? *value : null));
}
// Cannot fail for a query tally gave: no reply awaited.
int32_t h_query_use_period(tally_query* q, int32_t which) {
  if (!q) return TALLY_FAILED;
  std::lock_guard lock(call_mutex);
  call(wire::kQueryUsePeriod, wire::Writer().u64(q->id).i32(which));
  return TALLY_OK;
}

// Takes a chunk of rows: count, then the values, then the status after them.
void take_rows(tally_rows& rows, wire::Reader& in) {
  rows.cells.clear();
  rows.texts.clear();
  rows.rows = in.u32();
  rows.row = 0;
  const size_t n = rows.rows * rows.columns.size();
  rows.cells.reserve(n);
  for (size_t i = 0; i < n && in.ok(); ++i) {
    std::string text;
    tally_value v = in.value(text);
    if (v.type == TALLY_VALUE_TEXT) {
      rows.texts.push_back(std::move(text));
      v.s = tally_str{rows.texts.back().data(), rows.texts.back().size()};
    }
    rows.cells.push_back(v);
  }
  rows.status = in.i32();
  if (!in.ok()) lost();
}

tally_rows* h_query_run(tally_query* q) {
  if (!q) return nullptr;
  Reply r(wire::kQueryRun, wire::Writer().u64(q->id));
  const uint64_t id = r.in.u64();
  if (!id) return nullptr;
  auto rows = std::make_unique<tally_rows>();
  rows->id = id;
  const uint32_t columns = r.in.u32();
  for (uint32_t c = 0; c < columns && r.in.ok(); ++c) rows->columns.push_back(r.in.str());
  take_rows(*rows, r.in);
  return rows.release();
}
void h_query_free(tally_query* q) {
  if (!q) return;
  {
    std::lock_guard lock(call_mutex);
    call(wire::kQueryFree, wire::Writer().u64(q->id));
  }
  delete q;
}
int32_t h_rows_next(tally_rows* rows) {
  if (!rows) return -1;
  if (rows->row >= rows->rows) {
    if (rows->status != 1) return rows->status;
    Reply r(wire::kRowsFetch, wire::Writer().u64(rows->id));
    take_rows(*rows, r.in);
    if (rows->rows == 0) return rows->status == 1 ? -1 : rows->status;
  }
  const size_t width = rows->columns.size();
  rows->current.assign(rows->cells.begin() + static_cast<ptrdiff_t>(rows->row * width),
                       rows->cells.begin() + static_cast<ptrdiff_t>((rows->row + 1) * width));
  ++rows->row;
  return 1;
}
uint32_t h_rows_column_count(tally_rows* rows) {
  return rows ? static_cast<uint32_t>(rows->columns.size()) : 0;
}
tally_str h_rows_column_name(tally_rows* rows, uint32_t column) {
  if (!rows || column >= rows->columns.size()) return tally_str{nullptr, 0};
  return tally_str{rows->columns[column].data(), rows->columns[column].size()};
}
int32_t h_rows_get(tally_rows* rows, uint32_t column, tally_value* out) {
  if (!rows) return TALLY_FAILED;
  if (column >= rows->current.size()) {
    // The same words as in-process, kept on tally's side as the last error.
    return status_of(wire::kRowsBadColumn,
                     wire::Writer().u32(column).u32(static_cast<uint32_t>(rows->current.size())));
  }
  *out = rows->current[column];
  return TALLY_OK;
}
void h_rows_free(tally_rows* rows) {
  if (!rows) return;
  {
    std::lock_guard lock(call_mutex);
    call(wire::kRowsFree, wire::Writer().u64(rows->id));
  }
  delete rows;
}

// ---- metrics: results ----
// Versioned structs are sent with the plugin's struct_size and only the
// fields inside it; tally reads them as it would in-process.

int32_t h_add_kpi(tally_ctx*, const tally_kpi* kpi) {
  wire::Writer w;
  const uint32_t size = kpi ? kpi->struct_size : 0;
  w.u32(size);
  if (kpi && size >= offsetof(tally_kpi, higher_is_better)) {
    w.str(kpi->name).str(kpi->label).i32(kpi->unit);
    w.i32(kpi->has_value).f64(kpi->value).i32(kpi->has_previous).f64(kpi->previous);
    w.i32(kpi->has_target).f64(kpi->target);
    w.i32(size >= offsetof(tally_kpi, compare_status) ? kpi->higher_is_better : 1);
    const bool v1_1 = size >= sizeof(tally_kpi);
    w.i32(v1_1 ? kpi->compare_status : 0);
    w.str(v1_1 ? kpi->note : tally_str{}).str(v1_1 ? kpi->target_source : tally_str{});
  }
  return status_of(wire::kAddKpi, w);
}
tally_table* h_add_table(tally_ctx*, tally_str name, tally_str title) {
  Reply r(wire::kAddTable, wire::Writer().str(name).str(title));
  const uint64_t id = r.in.u64();
  if (!id) return nullptr;
  static std::deque<tally_table> tables;  // live as long as the process, as in-process
  std::lock_guard lock(arena_mutex);
  tables.push_back(tally_table{id});
  return &tables.back();
}
int32_t h_table_add_column(tally_table* t, tally_str name, int32_t unit) {
  return t ? status_of(wire::kTableAddColumn, wire::Writer().u64(t->id).str(name).i32(unit)) : TALLY_FAILED;
}
int32_t h_table_set_chart(tally_table* t, const tally_chart_hint* hint) {
  if (!t || !hint) return TALLY_FAILED;
  wire::Writer w;
  w.u64(t->id).u32(hint->struct_size);
  if (hint->struct_size >= sizeof(tally_chart_hint)) w.i32(hint->chart).str(hint->x).str(hint->ys);
  return status_of(wire::kTableSetChart, w);
}
int32_t h_table_add_row(tally_table* t, const tally_value* cells, uint32_t count) {
  if (!t) return TALLY_FAILED;
  wire::Writer w;
  w.u64(t->id).u32(count);
  for (uint32_t i = 0; cells && i < count; ++i) w.value(cells[i]);
  return status_of(wire::kTableAddRow, w);
}
int32_t h_config_target(tally_ctx*, tally_str kpi_name, double* out) {
  auto it = snapshot.targets.find(std::string_view(kpi_name.data ? kpi_name.data : "", kpi_name.size));
  if (it == snapshot.targets.end()) return 0;
  if (out) *out = it->second;
  return 1;
}

// ---- reports ----

tally_str h_run_title(tally_ctx*) {
  return snapshot.run_title;
}
uint32_t h_metric_count(tally_ctx*) {
  return static_cast<uint32_t>(snapshot.metrics.size());
}
int32_t h_metric_info(tally_ctx*, uint32_t m, tally_metric_info* out) {
  if (auto* metric = snapshot.metric(m); metric && out && out->struct_size >= sizeof(tally_metric_info)) {
    const uint32_t size = out->struct_size;
    *out = metric->info;
    out->struct_size = size;
    return TALLY_OK;
  }
  Reply r(wire::kMetricInfo, wire::Writer().u32(m).u32(out ? out->struct_size : 0));
  const int32_t rc = r.in.i32();
  if (rc != TALLY_OK) return rc;
  out->name = keep_str(r.in);
  out->plugin = keep_str(r.in);
  out->title = keep_str(r.in);
  out->ok = r.in.i32();
  out->error = keep_str(r.in);
  out->kpi_count = r.in.u32();
  out->table_count = r.in.u32();
  return rc;
}
int32_t h_metric_kpi(tally_ctx*, uint32_t m, uint32_t k, tally_kpi* out) {
  const uint32_t size = out ? out->struct_size : 0;
  if (auto* metric = snapshot.metric(m);
      metric && k < metric->kpis.size() && out && size >= offsetof(tally_kpi, higher_is_better)) {
    const tally_kpi& kpi = metric->kpis[k];
    std::memcpy(static_cast<void*>(out), &kpi, offsetof(tally_kpi, higher_is_better));
    out->struct_size = size;
    if (size >= offsetof(tally_kpi, compare_status)) out->higher_is_better = kpi.higher_is_better;
    if (size >= sizeof(tally_kpi)) {
      out->compare_status = kpi.compare_status;
      out->note = kpi.note;
      out->target_source = kpi.target_source;
    }
    return TALLY_OK;
  }
  Reply r(wire::kMetricKpi, wire::Writer().u32(m).u32(k).u32(size));
  const int32_t rc = r.in.i32();
  if (rc != TALLY_OK) return rc;
  out->name = keep_str(r.in);
  out->label = keep_str(r.in);
  out->unit = r.in.i32();
  out->has_value = r.in.i32();
  out->value = r.in.f64();
  out->has_previous = r.in.i32();
  out->previous = r.in.f64();
  out->has_target = r.in.i32();
  out->target = r.in.f64();
  const int32_t higher = r.in.i32();
  const int32_t compare_status = r.in.i32();
  tally_str note = keep_str(r.in), target_source = keep_str(r.in);
  if (size >= offsetof(tally_kpi, compare_status)) out->higher_is_better = higher;
  if (size >= sizeof(tally_kpi)) {
    out->compare_status = compare_status;
    out->note = note;
    out->target_source = target_source;
  }
  return rc;
}
int32_t h_metric_table(tally_ctx*, uint32_t m, uint32_t t, tally_table_info* out) {
  if (auto* table = snapshot.table(m, t); table && out && out->struct_size >= sizeof(tally_table_info)) {
    const uint32_t size = out->struct_size;
    *out = table->info;
    out->struct_size = size;
    return TALLY_OK;
  }
  Reply r(wire::kMetricTable, wire::Writer().u32(m).u32(t).u32(out ? out->struct_size : 0));
  const int32_t rc = r.in.i32();
  if (rc != TALLY_OK) return rc;
  out->name = keep_str(r.in);
  out->title = keep_str(r.in);
  out->chart = r.in.i32();
  out->chart_x = keep_str(r.in);
  out->chart_ys = keep_str(r.in);
  out->column_count = r.in.u32();
  out->row_count = r.in.u64();
  return rc;
}
int32_t h_table_column(tally_ctx*, uint32_t m, uint32_t t, uint32_t c, tally_column_info* out) {
  if (auto* table = snapshot.table(m, t);
      table && c < table->columns.size() && out && out->struct_size >= sizeof(tally_column_info)) {
    out->name = table->columns[c].name;
    out->unit = table->columns[c].unit;
    return TALLY_OK;
  }
  Reply r(wire::kTableColumn, wire::Writer().u32(m).u32(t).u32(c).u32(out ? out->struct_size : 0));
  const int32_t rc = r.in.i32();
  if (rc != TALLY_OK) return rc;
  out->name = keep_str(r.in);
  out->unit = r.in.i32();
  return rc;
}
int32_t h_table_cell(tally_ctx*, uint32_t m, uint32_t t, uint64_t row, uint32_t c, tally_value* out) {
  if (auto* table = snapshot.table(m, t);
      table && row < table->info.row_count && c < table->columns.size() && out) {
    *out = table->cells[row * table->columns.size() + c];
    return TALLY_OK;
  }
  Reply r(wire::kTableCell, wire::Writer().u32(m).u32(t).u64(row).u32(c).u8(out != nullptr));
  const int32_t rc = r.in.i32();
  if (rc == TALLY_OK) *out = keep_value(r.in);
  return rc;
}
int32_t h_write_output(tally_ctx*, tally_str text) {
  return status_of(wire::kWriteOutput, wire::Writer().str(text));
}
int32_t h_output_is_tty(tally_ctx*) {
  return snapshot.output_is_tty;
}

// ---- 1.1 and 1.2 ----

int32_t h_add_note(tally_ctx*, tally_str text) {
  if (metric_kind && text.data && text.size > 0) {  // what tally checks: it cannot fail
    std::lock_guard lock(call_mutex);
    call(wire::kAddNoteDeferred, wire::Writer().str(text));
    return TALLY_OK;
  }
  return status_of(wire::kAddNote, wire::Writer().str(text));
}
uint32_t h_metric_note_count(tally_ctx*, uint32_t m) {
  if (auto* metric = snapshot.metric(m)) return static_cast<uint32_t>(metric->notes.size());
  Reply r(wire::kMetricNoteCount, wire::Writer().u32(m));
  return r.in.u32();
}
tally_str h_metric_note(tally_ctx*, uint32_t m, uint32_t n) {
  if (auto* metric = snapshot.metric(m); metric && n < metric->notes.size()) return metric->notes[n];
  Reply r(wire::kMetricNote, wire::Writer().u32(m).u32(n));
  return keep_str(r.in);
}
uint32_t h_run_warning_count(tally_ctx*) {
  return static_cast<uint32_t>(snapshot.warnings.size());
}
tally_str h_run_warning(tally_ctx*, uint32_t w) {
  if (w < snapshot.warnings.size()) return snapshot.warnings[w];
  Reply r(wire::kRunWarning, wire::Writer().u32(w));
  return keep_str(r.in);
}
uint32_t h_run_fact_count(tally_ctx*) {
  return static_cast<uint32_t>(snapshot.facts.size());
}
tally_str h_run_fact_name(tally_ctx*, uint32_t f) {
  if (f < snapshot.facts.size()) return snapshot.facts[f].first;
  Reply r(wire::kRunFactName, wire::Writer().u32(f));
  return keep_str(r.in);
}
tally_str h_run_fact(tally_ctx*, tally_str name) {
  const std::string_view wanted(name.data ? name.data : "", name.data ? name.size : 0);
  for (const auto& [key, value] : snapshot.facts)
    if (std::string_view(key.data, key.size) == wanted) return value;
  Reply r(wire::kRunFact, wire::Writer().str(name));
  return keep_str(r.in);
}
int32_t h_add_drilldown(tally_ctx*, const tally_drilldown* d) {
  // What tally checks; a query that does not compile is kept as the drill-down's error.
  if (metric_kind && d && d->struct_size >= offsetof(tally_drilldown, query) + sizeof d->query && d->query &&
      (d->part == TALLY_DRILLDOWN_RECORDS || d->part == TALLY_DRILLDOWN_DENOMINATOR) && d->kpi.data &&
      d->kpi.size > 0) {
    std::lock_guard lock(call_mutex);
    call(wire::kAddDrilldownDeferred, wire::Writer().str(d->kpi).str(d->row).i32(d->part).u64(d->query->id));
    return TALLY_OK;
  }
  wire::Writer w;
  const uint32_t size = d ? d->struct_size : 0;
  w.u32(size);
  if (d && size >= offsetof(tally_drilldown, query) + sizeof d->query)
    w.str(d->kpi).str(d->row).i32(d->part).u64(d->query ? d->query->id : 0);
  return status_of(wire::kAddDrilldown, w);
}

const tally_host_api kTable = {
    sizeof(tally_host_api),
    TALLY_SDK_VERSION,
    &h_log,
    &h_last_error,
    &h_set_error,
    &h_param_get,
    &h_param_list_size,
    &h_param_list_item,
    &h_has_compare,
    &h_period,
    &h_fiscal_year_start,
    &h_currency,
    &h_query_new,
    &h_query_select,
    &h_query_where,
    &h_query_group_by,
    &h_query_order_by,
    &h_query_limit,
    &h_query_bind,
    &h_query_use_period,
    &h_query_run,
    &h_query_free,
    &h_rows_next,
    &h_rows_column_count,
    &h_rows_column_name,
    &h_rows_get,
    &h_rows_free,
    &h_add_kpi,
    &h_add_table,
    &h_table_add_column,
    &h_table_set_chart,
    &h_table_add_row,
    &h_config_target,
    &h_run_title,
    &h_metric_count,
    &h_metric_info,
    &h_metric_kpi,
    &h_metric_table,
    &h_table_column,
    &h_table_cell,
    &h_write_output,
    &h_output_is_tty,
    &h_add_note,
    &h_metric_note_count,
    &h_metric_note,
    &h_run_warning_count,
    &h_run_warning,
    &h_run_fact_count,
    &h_run_fact_name,
    &h_run_fact,
    &h_add_drilldown,
};

}  // namespace

namespace tally::plugin_host {

const tally_host_api& forwarding_table() {
  return kTable;
}

void set_metric_kind(bool metric) {
  metric_kind = metric;
}

bool begin_invocation(wire::Reader& run) {
  std::lock_guard lock(arena_mutex);
  arena.clear();
  return snapshot.read(run, arena);
}

tally_ctx* invocation_context() {
  return &the_ctx;
}

void end_invocation(int32_t status) {
  std::lock_guard lock(call_mutex);
  call(wire::kDone, wire::Writer().i32(status));
  flush_outbox();
}

}  // namespace tally::plugin_host
