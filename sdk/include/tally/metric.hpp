// Metric plugins: the Context a metric runs in (queries, tables, KPIs,
// notes), PeriodKpis, and TALLY_METRIC. A metric plugin is one class and
// one macro:
//
//   class WinRate final : public tally::sdk::Metric {
//    public:
//     void run(tally::sdk::Context& ctx) override { ... }
//   };
//   TALLY_METRIC(WinRate)
#pragma once

#include <tally/context.hpp>
#include <tally/detail/guard.hpp>
#include <tally/detail/host.hpp>
#include <tally/kpi.hpp>
#include <tally/query.hpp>
#include <tally/value.hpp>

#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tally::sdk {

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
    if (!detail::host_has(offsetof(tally_host_api, add_note)))
      c.struct_size = offsetof(tally_kpi, compare_status);
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

class Metric {
 public:
  virtual ~Metric() = default;
  virtual void run(Context& ctx) = 0;
};

namespace detail {
template <typename M>
int32_t metric_run(tally_ctx* ctx) noexcept {
  return guarded(ctx, [&] {
    M metric;
    Context c(ctx);
    metric.run(c);
  });
}
}  // namespace detail
}  // namespace tally::sdk

#define TALLY_METRIC(ClassName)                                                         \
  TALLY_DETAIL_EXPORT_VERSION                                                           \
  TALLY_PLUGIN_NOTE(TALLY_KIND_METRIC);                                                 \
  extern "C" TALLY_PLUGIN_EXPORT int32_t tally_plugin_init(const tally_host_api* host,  \
                                                           tally_plugin_info* info) {   \
    static const tally_metric_api api = {sizeof(tally_metric_api),                      \
                                         &::tally::sdk::detail::metric_run<ClassName>}; \
    if (!::tally::sdk::detail::host_is_usable(host) || !info) return TALLY_FAILED;      \
    ::tally::sdk::detail::host_slot() = host;                                           \
    info->kind = TALLY_KIND_METRIC;                                                     \
    info->metric = &api;                                                                \
    return TALLY_OK;                                                                    \
  }
