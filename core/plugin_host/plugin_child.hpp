// One plugin's child process: forked by the fork server (fork_server.hpp)
// with the socket to tally on fd 3 and the checked, sealed library on fd 4.
#pragma once

#include <cstdint>

namespace tally::plugin_host {

constexpr int kLibraryFd = 4;

// Reads Load, sets the memory limit (RLIMIT_AS, 0 = none) before the library
// is opened, loads the plugin from fd 4 and runs each Run tally sends until
// tally closes the socket. Returns the process's exit code.
int run_plugin(uint64_t memory_bytes);

}  // namespace tally::plugin_host
