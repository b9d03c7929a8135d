// Report plugins: the finished run as a report reads it (MetricView,
// TableView), the ReportContext, and TALLY_REPORT.
#pragma once

#include <tally/context.hpp>
#include <tally/detail/guard.hpp>
#include <tally/detail/host.hpp>
#include <tally/kpi.hpp>
#include <tally/value.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tally::sdk {

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

class Report {
 public:
  virtual ~Report() = default;
  virtual void render(ReportContext& ctx) = 0;
};

namespace detail {
template <typename R>
int32_t report_render(tally_ctx* ctx) noexcept {
  return guarded(ctx, [&] {
    R report;
    ReportContext c(ctx);
    report.render(c);
  });
}
}  // namespace detail
}  // namespace tally::sdk

#define TALLY_REPORT(ClassName)                                                            \
  TALLY_DETAIL_EXPORT_VERSION                                                              \
  TALLY_PLUGIN_NOTE(TALLY_KIND_REPORT);                                                    \
  extern "C" TALLY_PLUGIN_EXPORT int32_t tally_plugin_init(const tally_host_api* host,     \
                                                           tally_plugin_info* info) {      \
    static const tally_report_api api = {sizeof(tally_report_api),                         \
                                         &::tally::sdk::detail::report_render<ClassName>}; \
    if (!::tally::sdk::detail::host_is_usable(host) || !info) return TALLY_FAILED;         \
    ::tally::sdk::detail::host_slot() = host;                                              \
    info->kind = TALLY_KIND_REPORT;                                                        \
    info->report = &api;                                                                   \
    return TALLY_OK;                                                                       \
  }
