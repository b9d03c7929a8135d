// `isolation: process`: a plugin's run or render in a child process
// (tally-plugin-host, core/plugin_host/) that forwards every host call back
// here, where it is answered by the same host table against the same
// tally_ctx as in-process. A plugin that crashes, hangs past its timeout or
// outgrows its memory limit takes only its child down; the caller records
// what happened as the metric's or report's error.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "plugins/isolation.hpp"
#include "plugins/registry.hpp"
#include "run/context.hpp"
#include "run/fork_server.hpp"

namespace tally::run {

// The children of one run, forked by one plugin host server (fork_server.hpp)
// started with the first of them. A child stays up after its invocation and is
// used again for the next invocation of the same plugin (same memory limit),
// so a library used by several metrics is started and loaded once per run.
// With prestart(), every child is started up front, side by side, and ended
// as soon as its last use in the run is done; the destructor ends the rest
// together (sockets closed first, then all reaped).
class ProcessPool {
 public:
  explicit ProcessPool(plugins::Registry& registry);
  ~ProcessPool();

  // Starts, in a thread of its own, one child for each plugin (and memory
  // limit) that `uses` runs with `isolation: process`, so that starting and
  // loading happen while tally checks the config and runs other metrics.
  // `uses` lists every use of the run (plugin name, settings), which also
  // tells when a child's last use is done. A plugin that cannot be started
  // ahead is started again at its turn, which reports why.
  void prestart(const std::vector<std::pair<std::string, plugins::Isolation>>& uses);
  // Starts the plugin host server now (in the background) rather than with
  // the first child: for pools that start their children lazily.
  void start_server() { server_.start(); }
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

  static constexpr size_t kMaxPrestarted = 32;  // children started ahead, at most

  ForkServer server_;  // first: it outlives every child (they are its children)
  plugins::Registry& registry_;
  std::mutex mutex_;
  std::condition_variable started_;  // a child started ahead is ready (or failed to start)
  std::map<std::string, std::vector<std::unique_ptr<Child>>> idle_;
  std::set<std::string> starting_;               // keys being started ahead
  std::map<std::string, int> remaining_;         // uses left in the run, by key (prestart only)
  std::vector<std::unique_ptr<Child>> retired_;  // told to end, to be reaped
  bool closing_ = false;                         // the pool is being destroyed
  std::thread starter_;
};

// Where tally-plugin-host is: $TALLY_PLUGIN_HOST, else beside the running
// executable, else the build tree's, else the installed one.
std::string plugin_host_path();

}  // namespace tally::run
