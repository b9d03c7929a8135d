// A valid plugin no manifest of the swap test vouches for. Its constructor
// runs the moment it is loaded, and leaves a marker file (the path in
// $TALLY_TEST_UNVOUCHED_MARKER) to prove it ran.
#include <tally/sdk.hpp>

#include <cstdio>
#include <cstdlib>

namespace {

[[gnu::constructor]] void leave_marker() {
  if (const char* path = std::getenv("TALLY_TEST_UNVOUCHED_MARKER")) {
    if (std::FILE* f = std::fopen(path, "w")) {
      std::fputs("unvouched code ran\n", f);
      std::fclose(f);
    }
  }
}

}  // namespace

class Unvouched final : public tally::sdk::Metric {
 public:
  void run(tally::sdk::Context& ctx) override {
    ctx.kpi("created", "Created", tally::sdk::Unit::Count,
            [](tally::sdk::Which) { return std::optional<double>(-1); });
  }
};

TALLY_METRIC(Unvouched)
