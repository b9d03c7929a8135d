// Throwaway servers for tests: a child process bound to 127.0.0.1 on a free
// port, stopped (SIGTERM, then SIGKILL) when the guard goes, even when the
// test fails.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace tally::testing {

// A TCP port on 127.0.0.1 that nothing listens on right now.
int free_port();
// Whether something accepts connections on 127.0.0.1:port.
bool port_open(int port);

class ServerProcess {
 public:
  // Starts argv[0] (searched in PATH) with stdout and stderr to `log_path`.
  ServerProcess(const std::vector<std::string>& argv, const std::string& log_path);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  // Waits until 127.0.0.1:port accepts connections; false after `seconds`
  // or when the process ended.
  bool wait_for_port(int port, double seconds = 15) const;
  bool running() const;
  void stop();

 private:
  pid_t pid_ = -1;
};

// /usr/bin/python3 when present (Debian's, with python3-aiosmtpd), else python3.
std::string system_python();

}  // namespace tally::testing
