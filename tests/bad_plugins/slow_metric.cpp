// A metric that takes its time: sleeps `mode` milliseconds, then counts the
// opportunities created in the period (the dashboard's "a slow metric cannot
// block the page" test).
#include <tally/sdk.hpp>

#include <chrono>
#include <cstdlib>
#include <thread>

class SlowMetric final : public tally::sdk::Metric {
 public:
  void run(tally::sdk::Context& ctx) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(ctx.text("mode").c_str())));
    auto rows = ctx.query("opportunities").select("n", "count(*)").where("in_period(created_at)").run();
    tally::sdk::Kpi k;
    k.name = "created";
    k.unit = tally::sdk::Unit::Count;
    if (rows.next()) k.value = rows.number(0);
    ctx.kpi(k);
  }
};

TALLY_METRIC(SlowMetric)
