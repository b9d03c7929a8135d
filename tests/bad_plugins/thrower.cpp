// Throws a std::exception from run(): the wrapper must turn it into an error.
#include <tally/sdk.hpp>

#include <stdexcept>

class Thrower final : public tally::sdk::Metric {
 public:
  void run(tally::sdk::Context&) override { throw std::runtime_error("boom: the plugin threw on purpose"); }
};

TALLY_METRIC(Thrower)
