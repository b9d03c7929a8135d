// Throws something that is not a std::exception.
#include <tally/sdk.hpp>

class OddThrower final : public tally::sdk::Metric {
 public:
  void run(tally::sdk::Context&) override { throw 42; }
};

TALLY_METRIC(OddThrower)
