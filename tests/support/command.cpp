#include "support/command.hpp"

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "support/fixture.hpp"

namespace tally::testing {

namespace {}  // namespace

CommandResult run_shell(const std::string& command) {
  TempDir dir;
  std::string out = dir.file("out"), err = dir.file("err");
  std::string full = "NO_COLOR=1 " + command + " </dev/null >'" + out + "' 2>'" + err + "'";
  int status = std::system(full.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

CommandResult run_tally(const std::string& args) {
  return run_shell(std::string("'") + TALLY_EXE + "' " + args);
}

const std::string& demo_database() {
  static TempDir dir;
  static const std::string path = [] {
    std::string p = dir.file("demo.db");
    auto r = run_tally("demo --db '" + p + "'");
    if (r.exit_code != 0) throw std::runtime_error("tally demo failed: " + r.err);
    return p;
  }();
  return path;
}

}  // namespace tally::testing
