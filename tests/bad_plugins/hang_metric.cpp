// Never returns (sleeps forever, ignoring SIGTERM): with isolation: process
// and a timeout, tally stops it when the timeout runs out.
#include <tally/sdk.hpp>

#include <chrono>
#include <csignal>
#include <thread>

class HangMetric final : public tally::sdk::Metric {
 public:
  void run(tally::sdk::Context&) override {
    std::signal(SIGTERM, SIG_IGN);
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
};

TALLY_METRIC(HangMetric)
