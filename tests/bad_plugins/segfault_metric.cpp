// Dereferences a null pointer mid-run, after adding a KPI and logging a
// warning: with isolation: process only its own child dies ("killed by signal
// 11 (SIGSEGV)"), the KPI it added is not kept, and the warning is not lost.
#include <tally/sdk.hpp>

#include <cstdlib>

class SegfaultMetric final : public tally::sdk::Metric {
 public:
  void run(tally::sdk::Context& ctx) override {
    ctx.kpi("before", "Before the crash", tally::sdk::Unit::Count,
            [](tally::sdk::Which) -> std::optional<double> { return 1.0; });
    ctx.warn("about to dereference a null pointer");
    volatile int* nowhere = std::getenv("TALLY_NO_SUCH_VARIABLE_EVER") ? new int(1) : nullptr;
    *nowhere = 42;
  }
};

TALLY_METRIC(SegfaultMetric)
