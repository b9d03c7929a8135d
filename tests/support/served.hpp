// `tally serve` as a throwaway child process for tests: on 127.0.0.1 and a
// free port (the server picks it with --port 0 and prints it), stopped
// (SIGTERM, then SIGKILL) when the object goes, even when a test fails.
#pragma once

#include <sys/types.h>

#include <string>

#include "support/fixture.hpp"

namespace tally::testing {

class Served {
 public:
  // `args`: the configs and options after `tally serve`, as shell words.
  explicit Served(const std::string& args);
  ~Served();
  Served(const Served&) = delete;
  Served& operator=(const Served&) = delete;

  bool ok() const { return port_ > 0; }
  int port() const { return port_; }
  std::string url(const std::string& path = "/") const;
  // What the server wrote so far (for failure messages).
  std::string output() const;
  std::string errors() const;

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace tally::testing
