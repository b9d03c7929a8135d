// Calls abort() mid-run, as a failed assertion would: with isolation: process
// it is "killed by signal 6 (SIGABRT)", alone.
#include <tally/sdk.hpp>

#include <cstdlib>

class AbortMetric final : public tally::sdk::Metric {
 public:
  void run(tally::sdk::Context&) override { std::abort(); }
};

TALLY_METRIC(AbortMetric)
