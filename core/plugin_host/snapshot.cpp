#include "snapshot.hpp"

#include <string_view>

namespace tally::plugin_host {

namespace {

struct Texts {
  wire::Reader& in;
  std::deque<std::string>& kept;
  tally_str str() {
    kept.push_back(in.str());
    return tally_str{kept.back().data(), kept.back().size()};
  }
  tally_value value() {
    std::string text;
    tally_value v = in.value(text);
    if (v.type == TALLY_VALUE_TEXT) {
      kept.push_back(std::move(text));
      v.s = tally_str{kept.back().data(), kept.back().size()};
    }
    return v;
  }
};

std::string_view view(tally_str s) {
  return s.data ? std::string_view(s.data, s.size) : std::string_view();
}

}  // namespace

bool Snapshot::read(wire::Reader& in, std::deque<std::string>& texts) {
  Texts t{in, texts};
  *this = Snapshot{};
  has_compare = in.i32();
  fiscal_year_start = in.i32();
  currency = t.str();
  output_is_tty = in.i32();
  run_title = t.str();
  for (auto& period : periods) {
    if (in.i32() != TALLY_OK) continue;
    tally_period p{};
    p.struct_size = sizeof p;
    p.from = t.str();
    p.to = t.str();
    period = p;
  }
  for (uint32_t n = in.u32(); in.ok() && n > 0; --n) {
    std::string name = in.str();
    Param p;
    if (in.i32() == TALLY_OK) p.value = t.value();
    const int32_t sized = in.i32();
    const uint64_t size = in.u64();
    if (sized == TALLY_OK) {
      if (size > in.remaining()) return false;
      p.items.emplace();
      for (uint64_t i = 0; i < size && in.ok(); ++i) p.items->push_back(t.value());
    }
    params.emplace(std::move(name), std::move(p));
  }
  for (uint32_t n = in.u32(); in.ok() && n > 0; --n) {
    std::string name = in.str();
    targets[std::move(name)] = in.f64();
  }
  for (uint32_t n = in.u32(); in.ok() && n > 0; --n) datasets.insert(in.str());
  has_run = in.u8() != 0;
  if (!has_run) return in.ok();
  const uint32_t count = in.u32();
  if (count > in.remaining()) return false;
  metrics.resize(count);
  for (auto& m : metrics) {
    m.info.struct_size = sizeof m.info;
    m.info.name = t.str();
    m.info.plugin = t.str();
    m.info.title = t.str();
    m.info.ok = in.i32();
    m.info.error = t.str();
    m.info.kpi_count = in.u32();
    m.info.table_count = in.u32();
    if (m.info.kpi_count > in.remaining() || m.info.table_count > in.remaining()) return false;
    m.kpis.resize(m.info.kpi_count);
    for (auto& k : m.kpis) {
      k.struct_size = sizeof k;
      k.name = t.str();
      k.label = t.str();
      k.unit = in.i32();
      k.has_value = in.i32();
      k.value = in.f64();
      k.has_previous = in.i32();
      k.previous = in.f64();
      k.has_target = in.i32();
      k.target = in.f64();
      k.higher_is_better = in.i32();
      k.compare_status = in.i32();
      k.note = t.str();
      k.target_source = t.str();
    }
    m.tables.resize(m.info.table_count);
    for (auto& table : m.tables) {
      auto& i = table.info;
      i.struct_size = sizeof i;
      i.name = t.str();
      i.title = t.str();
      i.chart = in.i32();
      i.chart_x = t.str();
      i.chart_ys = t.str();
      i.column_count = in.u32();
      i.row_count = in.u64();
      if (i.column_count > in.remaining() || i.row_count * i.column_count > in.remaining()) return false;
      table.columns.resize(i.column_count);
      for (auto& c : table.columns) {
        c.struct_size = sizeof c;
        c.name = t.str();
        c.unit = in.i32();
      }
      table.cells.reserve(i.row_count * i.column_count);
      for (uint64_t n = 0; n < i.row_count * i.column_count && in.ok(); ++n) table.cells.push_back(t.value());
    }
    for (uint32_t n = in.u32(); in.ok() && n > 0; --n) m.notes.push_back(t.str());
  }
  for (uint32_t n = in.u32(); in.ok() && n > 0; --n) warnings.push_back(t.str());
  for (uint32_t n = in.u32(); in.ok() && n > 0; --n) {
    const tally_str name = t.str();
    facts.emplace_back(name, t.str());
  }
  return in.ok();
}

const Snapshot::Param* Snapshot::param(tally_str name) const {
  auto it = params.find(view(name));
  return it == params.end() ? nullptr : &it->second;
}

const Snapshot::Table* Snapshot::table(uint32_t m, uint32_t t) const {
  const Metric* metric = this->metric(m);
  return metric && t < metric->tables.size() ? &metric->tables[t] : nullptr;
}

}  // namespace tally::plugin_host
