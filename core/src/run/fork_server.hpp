// tally's side of the plugin host fork server (`tally-plugin-host
// --fork-server`, plugins/fork_protocol.hpp): one process per pool, started
// once (exec and relocation paid once), which forks a child per isolated
// plugin library. The children are the server's, not tally's: the server
// reaps them and reports each one's wait status, which a thread of this
// class reads into a table that waiters look up. That thread also started the
// server and lives as long as it, so the server's PR_SET_PDEATHSIG (which
// watches the starting thread) fires only when tally is done or gone.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace tally::run {

class ForkServer {
 public:
  using Clock = std::chrono::steady_clock;

  ForkServer() = default;
  // Closes the control socket: the server ends, and any child still running
  // with it; then reaps the server.
  ~ForkServer();
  ForkServer(const ForkServer&) = delete;
  ForkServer& operator=(const ForkServer&) = delete;

  // Starts the server if it is not running yet (in the background: the call
  // does not wait for it to be ready).
  void start();

  // A new child that loads the library open at `library` and speaks the wire
  // on `socket` (both sent to the server; the caller still closes its own
  // copies), with RLIMIT_AS `memory_bytes` (0 = none). Its pid; throws
  // std::runtime_error saying why there is none.
  pid_t fork_child(int socket, int library, uint64_t memory_bytes);

  // The child's waitpid status once it has ended, waiting until `deadline`;
  // nullopt at the deadline or when the server is gone (see gone()).
  std::optional<int> wait_end(pid_t pid, Clock::time_point deadline);

  // SIGKILLs the child (if it has not been reaped yet).
  void kill(pid_t pid);

  // Why the server is not there any more ("" while it runs): "tally's plugin
  // host server (process 123) was killed by signal 9 (SIGKILL)".
  std::string gone();

 private:
  void serve();  // the thread: starts the server, then reads its reports
  bool send_message(const void* message, size_t size, int socket, int library);

  std::mutex mutex_;
  std::condition_variable changed_;
  std::thread thread_;
  int control_ = -1;      // tally's end of the control socket
  pid_t server_ = -1;     // the server's pid once started
  bool started_ = false;  // the thread has tried to start the server
  std::string gone_;      // why the server is not there ("" while it runs)
  uint64_t next_request_ = 0;
  std::map<uint64_t, std::pair<pid_t, int>> forked_;  // request -> pid, errno
  std::map<pid_t, int> ended_;                        // pid -> waitpid status, until taken
};

// "9 (SIGKILL)".
std::string signal_text(int sig);

}  // namespace tally::run
