// Allocates and touches memory in 1 MiB blocks until allocation fails; with
// isolation: process and memory: 64MiB it "ran out of its memory limit".
// Never run it in-process: it would take what the machine has.
#include <tally/sdk.hpp>

#include <cstring>
#include <memory>
#include <vector>

class MemoryHog final : public tally::sdk::Metric {
 public:
  void run(tally::sdk::Context&) override {
    std::vector<std::unique_ptr<char[]>> blocks;
    for (;;) {
      blocks.emplace_back(new char[1 << 20]);
      std::memset(blocks.back().get(), 1, 1 << 20);
    }
  }
};

TALLY_METRIC(MemoryHog)
