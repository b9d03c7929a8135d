// Reports the address-space limit its process runs under as the KPI
// `memory_limit_mib` (-1: none), so a test sees that every child of the
// plugin host server gets its own `memory:` and none inherits another's.
#include <sys/resource.h>

#include <tally/sdk.hpp>

class MemoryLimitMetric final : public tally::sdk::Metric {
 public:
  void run(tally::sdk::Context& ctx) override {
    rlimit limit{};
    ::getrlimit(RLIMIT_AS, &limit);
    const double mib = limit.rlim_cur == RLIM_INFINITY ? -1.0 : static_cast<double>(limit.rlim_cur >> 20);
    ctx.kpi("memory_limit_mib", "Memory limit (MiB)", tally::sdk::Unit::Count,
            [&](tally::sdk::Which) -> std::optional<double> { return mib; });
  }
};

TALLY_METRIC(MemoryLimitMetric)
