// A well-behaved metric whose KPI label holds the bytes the TAMPER step of
// bad_plugin() changes after sealing: code and data the seal covers.
#include <tally/sdk.hpp>

class TamperTarget final : public tally::sdk::Metric {
 public:
  void run(tally::sdk::Context& ctx) override {
    ctx.kpi("created", "tampered-with: a label long enough to live in read-only data",
            tally::sdk::Unit::Count, [](tally::sdk::Which) { return std::optional<double>(1); });
  }
};

TALLY_METRIC(TamperTarget)
