// The control messages between tally and its plugin host fork server
// (`tally-plugin-host --fork-server`, run/fork_server.hpp): fixed-size
// records over a SOCK_SEQPACKET socketpair (one message per send, file
// descriptors attached with SCM_RIGHTS). Header-only, as wire.hpp: the plugin
// host builds it without the rest of tally.
//
//   tally -> server  Fork   {request, memory_bytes} + fds [socket, library]:
//                           fork a child that loads the library and speaks
//                           the wire (wire.hpp) on the socket
//                    Kill   {pid}: SIGKILL that child, if it is still the server's
//   server -> tally  Forked {request, pid, value = 0 or errno}
//                    Ended  {pid, value = waitpid status}, once per forked child
//
// The server reaps its children and reports each one's end; tally never waits
// for them itself (they are not its children). tally closing its end ends the
// server, and the server's end ends every child (PR_SET_PDEATHSIG).
#pragma once

#include <cstdint>

namespace tally::fork_protocol {

enum Op : uint32_t { kFork = 1, kKill = 2, kForked = 3, kEnded = 4 };

struct Message {
  uint32_t op = 0;
  int32_t pid = 0;
  int32_t value = 0;  // Forked: errno (0 = forked); Ended: the waitpid status
  uint32_t reserved = 0;
  uint64_t request = 0;       // Fork and Forked: tally's number for the request
  uint64_t memory_bytes = 0;  // Fork: RLIMIT_AS of the child, 0 = none
};

// The argument that makes tally-plugin-host a fork server; the control
// socket is its fd 3.
constexpr const char* kServerArgument = "--fork-server";
constexpr int kControlFd = 3;

}  // namespace tally::fork_protocol
