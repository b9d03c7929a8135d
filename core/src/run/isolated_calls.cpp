// Tally's side of an isolated plugin's calls: each forwarded host-table call
// answered with the same entry the plugin would call in process. (Over 400
// lines: one case per forwarded call, a flat list.)
#include "run/isolated_calls.hpp"

#include <deque>

#include "plugins/registry.hpp"

namespace tally::run {

namespace {

const tally_host_api& H() {
  return plugins::host_api();
}

}  // namespace

CallServer::~CallServer() {
  for (auto& [id, rows] : rows_) H().rows_free(rows);
  for (auto& [id, q] : queries_) H().query_free(q);
}

void CallServer::deferred(const char* call) {
  if (deferred_error_.empty()) deferred_error_ = std::string(call) + ": " + ctx_.last_error;
}

tally_query* CallServer::query(uint64_t id) const {
  auto it = queries_.find(id);
  return it == queries_.end() ? nullptr : it->second;
}

void CallServer::write_rows(tally_rows* rows, wire::Writer& out) {
  wire::Writer values;
  uint32_t count = 0;
  int32_t status = 1;
  const uint32_t columns = H().rows_column_count(rows);
  while (count < wire::kRowsPerChunk) {
    status = H().rows_next(rows);
    if (status != 1) break;
    for (uint32_t c = 0; c < columns; ++c) {
      tally_value v{};
      H().rows_get(rows, c, &v);
      values.value(v);
    }
    ++count;
  }
  out.u32(count).append(values).i32(status);
}

bool CallServer::serve(uint32_t op, const std::string& payload, wire::Writer& out, bool& has_reply) {
  wire::Reader in(payload);
  tally_ctx* ctx = &ctx_;
  has_reply = true;
  std::string text;  // a value's text, alive for the call
  auto id_of = [&](auto& map, auto* handle) -> uint64_t {
    if (!handle) return 0;
    const uint64_t id = next_id_++;
    map[id] = handle;
    return id;
  };
  auto table = [&](uint64_t id) -> tally_table* {
    auto it = tables_.find(id);
    return it == tables_.end() ? nullptr : it->second;
  };
  auto str = [](const std::string& s) { return tally_str{s.data(), s.size()}; };

  switch (op) {
    case wire::kLog: {
      const int32_t level = in.i32();
      const std::string message = in.str();
      has_reply = false;
      if (in.ok()) H().log(ctx, level, str(message));
      break;
    }
    case wire::kSetError: {
      const std::string message = in.str();
      has_reply = false;
      if (in.ok()) H().set_error(ctx, str(message));
      break;
    }
    case wire::kLastError: out.str(H().last_error(ctx)); break;
    case wire::kParamGet:
    case wire::kParamListItem: {
      const std::string name = in.str();
      const uint64_t index = op == wire::kParamListItem ? in.u64() : 0;
      if (!in.ok()) return false;
      tally_value v{};
      const int32_t rc = op == wire::kParamGet ? H().param_get(ctx, str(name), &v)
                                               : H().param_list_item(ctx, str(name), index, &v);
      out.i32(rc);
      if (rc == TALLY_OK) out.value(v);
      break;
    }
    case wire::kParamListSize: {
      const std::string name = in.str();
      uint64_t n = 0;
      const int32_t rc = H().param_list_size(ctx, str(name), &n);
      out.i32(rc).u64(n);
      break;
    }
    case wire::kHasCompare: out.i32(H().has_compare(ctx)); break;
    case wire::kPeriod: {
      const int32_t which = in.i32();
      tally_period p{};
      p.struct_size = in.u32();
      const int32_t rc = H().period(ctx, which, &p);
      out.i32(rc);
      if (rc == TALLY_OK) out.str(p.from).str(p.to);
      break;
    }
    case wire::kFiscalYearStart: out.i32(H().fiscal_year_start(ctx)); break;
    case wire::kCurrency: out.str(H().currency(ctx)); break;
    case wire::kQueryNew: {
      const std::string dataset = in.str();
      if (!in.ok()) return false;
      out.u64(id_of(queries_, H().query_new(ctx, str(dataset))));
      break;
    }
    case wire::kQuerySelect:
    case wire::kQueryGroupBy: {
      tally_query* q = query(in.u64());
      const std::string alias = in.str(), expr = in.str();
      if (!in.ok()) return false;
      out.i32(op == wire::kQuerySelect ? H().query_select(q, str(alias), str(expr))
                                       : H().query_group_by(q, str(alias), str(expr)));
      break;
    }
    case wire::kQueryWhere: {
      tally_query* q = query(in.u64());
      const std::string expr = in.str();
      out.i32(H().query_where(q, str(expr)));
      break;
    }
    case wire::kQueryOrderBy: {
      tally_query* q = query(in.u64());
      const std::string alias = in.str();
      out.i32(H().query_order_by(q, str(alias), in.i32()));
      break;
    }
    case wire::kQueryLimit: {
      tally_query* q = query(in.u64());
      out.i32(H().query_limit(q, in.i64()));
      break;
    }
    case wire::kQueryBind: {
      tally_query* q = query(in.u64());
      const std::string name = in.str();
      const tally_value v = in.value(text);
      if (!in.ok()) return false;
      out.i32(H().query_bind(q, str(name), &v));
      break;
    }
    case wire::kQueryUsePeriod: {  // cannot fail for a query it was given: no reply
      tally_query* q = query(in.u64());
      has_reply = false;
      H().query_use_period(q, in.i32());
      break;
    }
    case wire::kQueryRun: {
      tally_query* q = query(in.u64());
      tally_rows* rows = q ? H().query_run(q) : nullptr;
      const uint64_t id = id_of(rows_, rows);
      out.u64(id);
      if (!rows) break;
      const uint32_t columns = H().rows_column_count(rows);
      out.u32(columns);
      for (uint32_t c = 0; c < columns; ++c) out.str(H().rows_column_name(rows, c));
      write_rows(rows, out);
      break;
    }
    case wire::kQueryFree: {
      has_reply = false;
      auto it = queries_.find(in.u64());
      if (it != queries_.end()) {
        H().query_free(it->second);
        queries_.erase(it);
      }
      break;
    }
    case wire::kRowsFetch: {
      auto it = rows_.find(in.u64());
      if (it == rows_.end()) return false;
      write_rows(it->second, out);
      break;
    }
    case wire::kRowsFree: {
      has_reply = false;
      auto it = rows_.find(in.u64());
      if (it != rows_.end()) {
        H().rows_free(it->second);
        rows_.erase(it);
      }
      break;
    }
    case wire::kRowsBadColumn: {
      const uint32_t column = in.u32(), width = in.u32();
      ctx->last_error = "column " + std::to_string(column) + " out of range (row has " +
                        std::to_string(width) + " columns; call next() first)";
      out.i32(TALLY_FAILED);
      break;
    }
    case wire::kAddKpi: {
      tally_kpi k{};
      k.struct_size = in.u32();
      std::string name, label, note, source;
      if (k.struct_size >= offsetof(tally_kpi, higher_is_better)) {
        name = in.str();
        label = in.str();
        k.name = str(name);
        k.label = str(label);
        k.unit = in.i32();
        k.has_value = in.i32();
        k.value = in.f64();
        k.has_previous = in.i32();
        k.previous = in.f64();
        k.has_target = in.i32();
        k.target = in.f64();
        k.higher_is_better = in.i32();
        k.compare_status = in.i32();
        note = in.str();
        source = in.str();
        k.note = str(note);
        k.target_source = str(source);
      }
      if (!in.ok()) return false;
      out.i32(H().add_kpi(ctx, &k));
      break;
    }
    case wire::kAddTable: {
      const std::string name = in.str(), title = in.str();
      if (!in.ok()) return false;
      out.u64(id_of(tables_, H().add_table(ctx, str(name), str(title))));
      break;
    }
    case wire::kTableAddColumn: {
      tally_table* t = table(in.u64());
      const std::string name = in.str();
      out.i32(H().table_add_column(t, str(name), in.i32()));
      break;
    }
    case wire::kTableSetChart: {
      tally_table* t = table(in.u64());
      tally_chart_hint hint{};
      hint.struct_size = in.u32();
      std::string x, ys;
      if (hint.struct_size >= sizeof hint) {
        hint.chart = in.i32();
        x = in.str();
        ys = in.str();
        hint.x = str(x);
        hint.ys = str(ys);
      }
      if (!in.ok()) return false;
      out.i32(H().table_set_chart(t, &hint));
      break;
    }
    case wire::kTableAddRow: {
      tally_table* t = table(in.u64());
      const uint32_t count = in.u32();
      if (count > payload.size()) return false;
      std::vector<tally_value> cells(count);
      std::deque<std::string> texts;
      for (auto& cell : cells) {
        texts.emplace_back();
        cell = in.value(texts.back());
      }
      if (!in.ok()) return false;
      out.i32(H().table_add_row(t, cells.data(), count));
      break;
    }
    case wire::kConfigTarget: {
      const std::string name = in.str();
      double value = 0;
      const int32_t found = H().config_target(ctx, str(name), &value);
      out.i32(found).f64(value);
      break;
    }
    case wire::kRunTitle: out.str(H().run_title(ctx)); break;
    case wire::kMetricCount: out.u32(H().metric_count(ctx)); break;
    case wire::kMetricInfo: {
      const uint32_t m = in.u32();
      tally_metric_info info{};
      info.struct_size = in.u32();
      const int32_t rc = H().metric_info(ctx, m, &info);
      out.i32(rc);
      if (rc == TALLY_OK)
        out.str(info.name)
            .str(info.plugin)
            .str(info.title)
            .i32(info.ok)
            .str(info.error)
            .u32(info.kpi_count)
            .u32(info.table_count);
      break;
    }
    case wire::kMetricKpi: {
      const uint32_t m = in.u32(), k = in.u32();
      tally_kpi kpi{};
      kpi.struct_size = in.u32();
      const int32_t rc = H().metric_kpi(ctx, m, k, &kpi);
      out.i32(rc);
      if (rc == TALLY_OK) write_kpi(kpi, out);
      break;
    }
    case wire::kMetricTable: {
      const uint32_t m = in.u32(), t = in.u32();
      tally_table_info info{};
      info.struct_size = in.u32();
      const int32_t rc = H().metric_table(ctx, m, t, &info);
      out.i32(rc);
      if (rc == TALLY_OK) write_table_info(info, out);
      break;
    }
    case wire::kTableColumn: {
      const uint32_t m = in.u32(), t = in.u32(), c = in.u32();
      tally_column_info info{};
      info.struct_size = in.u32();
      const int32_t rc = H().table_column(ctx, m, t, c, &info);
      out.i32(rc);
      if (rc == TALLY_OK) out.str(info.name).i32(info.unit);
      break;
    }
    case wire::kTableCell: {
      const uint32_t m = in.u32(), t = in.u32();
      const uint64_t r = in.u64();
      const uint32_t c = in.u32();
      const bool has_out = in.u8() != 0;
      tally_value v{};
      const int32_t rc = H().table_cell(ctx, m, t, r, c, has_out ? &v : nullptr);
      out.i32(rc);
      if (rc == TALLY_OK) out.value(v);
      break;
    }
    case wire::kWriteOutput: {
      const std::string data = in.str();
      if (!in.ok()) return false;
      out.i32(H().write_output(ctx, str(data)));
      break;
    }
    case wire::kOutputIsTty: out.i32(H().output_is_tty(ctx)); break;
    case wire::kAddNote: {
      const std::string note = in.str();
      if (!in.ok() || !H().add_note) return false;
      out.i32(H().add_note(ctx, str(note)));
      break;
    }
    case wire::kMetricNoteCount: out.u32(H().metric_note_count(ctx, in.u32())); break;
    case wire::kMetricNote: {
      const uint32_t m = in.u32(), n = in.u32();
      out.str(H().metric_note(ctx, m, n));
      break;
    }
    case wire::kRunWarningCount: out.u32(H().run_warning_count(ctx)); break;
    case wire::kRunWarning: out.str(H().run_warning(ctx, in.u32())); break;
    case wire::kRunFactCount: out.u32(H().run_fact_count(ctx)); break;
    case wire::kRunFactName: out.str(H().run_fact_name(ctx, in.u32())); break;
    case wire::kRunFact: {
      const std::string name = in.str();
      out.str(H().run_fact(ctx, str(name)));
      break;
    }
    case wire::kAddDrilldown: {
      tally_drilldown d{};
      d.struct_size = in.u32();
      std::string kpi, row;
      if (d.struct_size >= offsetof(tally_drilldown, query) + sizeof d.query) {
        kpi = in.str();
        row = in.str();
        d.kpi = str(kpi);
        d.row = str(row);
        d.part = in.i32();
        d.query = query(in.u64());
      }
      if (!in.ok() || !H().add_drilldown) return false;
      out.i32(H().add_drilldown(ctx, &d));
      break;
    }
    case wire::kQueryNewDeferred: {
      const uint64_t id = in.u64();
      const std::string dataset = in.str();
      has_reply = false;
      if (!in.ok() || id < wire::kChildIds || queries_.count(id)) return false;
      if (tally_query* q = H().query_new(ctx, str(dataset)))
        queries_[id] = q;
      else
        deferred("query_new");
      break;
    }
    case wire::kAddNoteDeferred: {
      const std::string note = in.str();
      has_reply = false;
      if (!in.ok() || !H().add_note) return false;
      if (H().add_note(ctx, str(note)) != TALLY_OK) deferred("add_note");
      break;
    }
    case wire::kAddDrilldownDeferred: {
      tally_drilldown d{};
      d.struct_size = sizeof d;
      std::string kpi = in.str(), row = in.str();
      d.kpi = str(kpi);
      d.row = str(row);
      d.part = in.i32();
      d.query = query(in.u64());
      has_reply = false;
      if (!in.ok() || !H().add_drilldown) return false;
      if (H().add_drilldown(ctx, &d) != TALLY_OK) deferred("add_drilldown");
      break;
    }
    default: return false;
  }
  return in.ok();
}

}  // namespace tally::run
