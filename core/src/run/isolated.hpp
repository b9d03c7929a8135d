// `isolation: process`: a plugin's run or render in a child process
// (tally-plugin-host, core/plugin_host/) that forwards every host call back
// here, where it is answered by the same host table against the same
// tally_ctx as in-process. A plugin that crashes, hangs past its timeout or
// outgrows its memory limit takes only its child down; the caller records
// what happened as the metric's or report's error.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "plugins/isolation.hpp"
#include "plugins/registry.hpp"
#include "run/context.hpp"

namespace tally::run {

// The children of one run. A child stays up after its invocation and is
// used again for the next invocation of the same plugin (same memory limit),
// so a library used by several metrics is started and loaded once per run.
class ProcessPool {
 public:
  explicit ProcessPool(plugins::Registry& registry);
  ~ProcessPool();
  ProcessPool(const ProcessPool&) = delete;
  ProcessPool& operator=(const ProcessPool&) = delete;

  // Runs the metric's run() or the report's render() of `plugin` in a child
  // and returns its status, `ctx` filled as in-process. Throws PluginError
  // for a refused library and for a child that did not return: "plugin 'x'
  // (metric 'y') was killed by signal 11 (SIGSEGV)", "... exceeded its
  // timeout of 2 s and was stopped", "... ran out of its memory limit of
  // 64 MiB". `who` is "metric 'y'" or "report 'y'".
  int32_t invoke(const std::string& plugin, const std::string& who, const plugins::Isolation& isolation,
                 tally_ctx& ctx);

  struct Child;

 private:
  std::unique_ptr<Child> take(const std::string& key);
  void give_back(const std::string& key, std::unique_ptr<Child> child);

  plugins::Registry& registry_;
  std::mutex mutex_;
  std::map<std::string, std::vector<std::unique_ptr<Child>>> idle_;
};

// Where tally-plugin-host is: $TALLY_PLUGIN_HOST, else beside the running
// executable, else the build tree's, else the installed one.
std::string plugin_host_path();

}  // namespace tally::run
