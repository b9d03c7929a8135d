// Runs the built tally executable as a user would, capturing both streams.
#pragma once

#include <string>

namespace tally::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `TALLY_EXE <args>` through the shell (args are shell words, quote
// them yourself), with NO_COLOR set and no stdin.
CommandResult run_tally(const std::string& args);
// Runs any shell command.
CommandResult run_shell(const std::string& command);

// A scale-1 demo database written once per test process with `tally demo`
// (the slow part of end-to-end tests), removed at exit.
const std::string& demo_database();

}  // namespace tally::testing
