// Ends the whole process from inside a KPI's computation, as a careless
// plugin might: `mode` is exit, _exit, _Exit or quick_exit. It waits a moment
// first so the run's other metrics are mid-query when it does.
#include <tally/sdk.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

class ExitMetric final : public tally::sdk::Metric {
 public:
  void run(tally::sdk::Context& ctx) override {
    const std::string mode = ctx.text("mode");
    ctx.kpi("never", "Never", tally::sdk::Unit::Count, [&](tally::sdk::Which) -> std::optional<double> {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (mode == "exit") std::exit(0);
      if (mode == "_exit") _exit(0);
      if (mode == "_Exit") std::_Exit(0);
      if (mode == "quick_exit") std::quick_exit(0);
      return 1.0;
    });
  }
};

TALLY_METRIC(ExitMetric)
