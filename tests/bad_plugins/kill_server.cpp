// Kills the process that started it when that is tally's plugin host server
// (the fork server of `isolation: process`), then waits to die with it
// (PR_SET_PDEATHSIG): the run must say so for this plugin and for the
// isolated plugins after it, while the other metrics render. Under any other
// parent (in-process: tally) it only fails; it never kills tally.
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <string>

#include <tally/sdk.hpp>

class KillServer final : public tally::sdk::Metric {
 public:
  void run(tally::sdk::Context&) override {
    const pid_t parent = ::getppid();
    std::string name;
    std::getline(std::ifstream("/proc/" + std::to_string(parent) + "/comm"), name);
    if (name != "tally-plugin-ho")  // the kernel keeps 15 characters of "tally-plugin-host"
      throw std::runtime_error("not started by tally's plugin host server but by '" + name + "'");
    ::kill(parent, SIGKILL);
    for (;;) ::pause();
  }
};

TALLY_METRIC(KillServer)
