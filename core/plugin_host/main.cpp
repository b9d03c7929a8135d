// tally-plugin-host: runs plugins in processes of their own for `isolation:
// process` (docs/plugin-guide.md). tally starts it once per run as a fork
// server (`--fork-server`, the control socket on fd 3) and asks it for one
// child per plugin library (fork_server.hpp); each child loads the checked,
// sealed library tally sent and forwards every host call back to tally
// (host_table.cpp, plugins/wire.hpp).
#include <sys/prctl.h>

#include <csignal>
#include <cstring>

#include "fork_server.hpp"
#include "plugins/fork_protocol.hpp"

int main(int argc, char** argv) {
  // Ends with the tally thread that started it (which lives as long as the
  // server is needed); tally closing the control socket ends it too.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (argc != 2 || std::strcmp(argv[1], tally::fork_protocol::kServerArgument) != 0) return 64;
  return tally::plugin_host::serve_forks();
}
