// CallServer::snapshot: the answers an isolated plugin would otherwise ask for
// call by call, sent with Run (run/isolated_calls.hpp, plugins/wire.hpp).
#include <set>

#include "plugins/registry.hpp"
#include "query/query.hpp"
#include "run/isolated_calls.hpp"

namespace tally::run {

namespace {

const tally_host_api& H() {
  return plugins::host_api();
}

}  // namespace

void CallServer::snapshot(wire::Writer& out) {
  tally_ctx* ctx = &ctx_;
  const std::string last_error = ctx->last_error;  // the calls below must leave no trace
  auto str = [](const std::string& s) { return tally_str{s.data(), s.size()}; };
  out.i32(H().has_compare(ctx)).i32(H().fiscal_year_start(ctx)).str(H().currency(ctx));
  out.i32(H().output_is_tty(ctx)).str(H().run_title(ctx));
  for (int32_t which : {TALLY_PERIOD_CURRENT, TALLY_PERIOD_COMPARE}) {
    tally_period p{};
    p.struct_size = sizeof p;
    const int32_t rc = H().period(ctx, which, &p);
    out.i32(rc);
    if (rc == TALLY_OK) out.str(p.from).str(p.to);
  }
  // Every param the plugin may ask for: given or declared.
  std::set<std::string> names;
  if (ctx->params)
    for (const auto& [name, value] : *ctx->params) names.insert(name);
  if (ctx->manifest)
    for (const auto& spec : ctx->manifest->params) names.insert(spec.name);
  out.u32(static_cast<uint32_t>(names.size()));
  for (const auto& name : names) {
    out.str(name);
    tally_value v{};
    const int32_t got = H().param_get(ctx, str(name), &v);
    out.i32(got);
    if (got == TALLY_OK) out.value(v);
    uint64_t size = 0;
    const int32_t sized = H().param_list_size(ctx, str(name), &size);
    out.i32(sized).u64(sized == TALLY_OK ? size : 0);
    for (uint64_t i = 0; sized == TALLY_OK && i < size; ++i) {
      tally_value item{};
      if (H().param_list_item(ctx, str(name), i, &item) != TALLY_OK) item = tally_value{};
      out.value(item);
    }
  }
  out.u32(ctx->config_targets ? static_cast<uint32_t>(ctx->config_targets->size()) : 0);
  if (ctx->config_targets)
    for (const auto& [name, value] : *ctx->config_targets) out.str(name).f64(value);
  const auto& datasets = query::datasets();  // query_new succeeds for these
  out.u32(static_cast<uint32_t>(datasets.size()));
  for (const auto& d : datasets) out.str(d.name);
  out.u8(ctx->run ? 1 : 0);
  if (ctx->run) snapshot_run(out);
  ctx->last_error = last_error;
}

// A report's whole view of the run, as the host table answers it.
void CallServer::snapshot_run(wire::Writer& out) {
  tally_ctx* ctx = &ctx_;
  const uint32_t metrics = H().metric_count(ctx);
  out.u32(metrics);
  for (uint32_t m = 0; m < metrics; ++m) {
    tally_metric_info info{};
    info.struct_size = sizeof info;
    H().metric_info(ctx, m, &info);
    out.str(info.name).str(info.plugin).str(info.title).i32(info.ok).str(info.error);
    out.u32(info.kpi_count).u32(info.table_count);
    for (uint32_t k = 0; k < info.kpi_count; ++k) {
      tally_kpi kpi{};
      kpi.struct_size = sizeof kpi;
      H().metric_kpi(ctx, m, k, &kpi);
      write_kpi(kpi, out);
    }
    for (uint32_t t = 0; t < info.table_count; ++t) {
      tally_table_info table{};
      table.struct_size = sizeof table;
      H().metric_table(ctx, m, t, &table);
      write_table_info(table, out);
      for (uint32_t c = 0; c < table.column_count; ++c) {
        tally_column_info column{};
        column.struct_size = sizeof column;
        H().table_column(ctx, m, t, c, &column);
        out.str(column.name).i32(column.unit);
      }
      for (uint64_t r = 0; r < table.row_count; ++r)
        for (uint32_t c = 0; c < table.column_count; ++c) {
          tally_value v{};
          H().table_cell(ctx, m, t, r, c, &v);
          out.value(v);
        }
    }
    const uint32_t notes = H().metric_note_count(ctx, m);
    out.u32(notes);
    for (uint32_t n = 0; n < notes; ++n) out.str(H().metric_note(ctx, m, n));
  }
  const uint32_t warnings = H().run_warning_count(ctx);
  out.u32(warnings);
  for (uint32_t w = 0; w < warnings; ++w) out.str(H().run_warning(ctx, w));
  const uint32_t facts = H().run_fact_count(ctx);
  out.u32(facts);
  for (uint32_t f = 0; f < facts; ++f) {
    const tally_str name = H().run_fact_name(ctx, f);
    out.str(name).str(H().run_fact(ctx, name));
  }
}

void CallServer::write_kpi(const tally_kpi& kpi, wire::Writer& out) {
  out.str(kpi.name)
      .str(kpi.label)
      .i32(kpi.unit)
      .i32(kpi.has_value)
      .f64(kpi.value)
      .i32(kpi.has_previous)
      .f64(kpi.previous)
      .i32(kpi.has_target)
      .f64(kpi.target)
      .i32(kpi.higher_is_better)
      .i32(kpi.compare_status)
      .str(kpi.note)
      .str(kpi.target_source);
}

void CallServer::write_table_info(const tally_table_info& info, wire::Writer& out) {
  out.str(info.name)
      .str(info.title)
      .i32(info.chart)
      .str(info.chart_x)
      .str(info.chart_ys)
      .u32(info.column_count)
      .u64(info.row_count);
}

}  // namespace tally::run
