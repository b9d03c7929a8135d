// A well-behaved metric: one KPI counting opportunities created in period.
#include <tally/sdk.hpp>

class GoodMetric final : public tally::sdk::Metric {
 public:
  void run(tally::sdk::Context& ctx) override {
    ctx.kpi("created", "Created", tally::sdk::Unit::Count, [&](tally::sdk::Which w) -> std::optional<double> {
      auto rows = ctx.query("opportunities").use_period(w).select("n", "count(*)").where("in_period(created_at)").run();
      return rows.next() ? std::optional<double>(rows.number(0)) : std::nullopt;
    });
  }
};

TALLY_METRIC(GoodMetric)
