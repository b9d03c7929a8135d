#include "fork_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <set>

#include "channel.hpp"
#include "plugin_child.hpp"
#include "plugins/fork_protocol.hpp"

namespace tally::plugin_host {

namespace {

using fork_protocol::kControlFd;
using fork_protocol::Message;

void tell(const Message& message) {
  // tally gone: the next recv sees it and the server ends.
  [[maybe_unused]] auto n = ::send(kControlFd, &message, sizeof message, MSG_NOSIGNAL);
}

// The child's side of a fork: the socket to tally becomes fd 3 (replacing the
// control socket), the library fd 4; nothing else of the server stays open.
[[noreturn]] void become_child(int socket, int library, int signals, const sigset_t& mask, pid_t server,
                               uint64_t memory_bytes) {
  ::sigprocmask(SIG_SETMASK, &mask, nullptr);
  ::close(signals);
  // Dies with the server, which dies with tally; a server gone already means
  // tally is too.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != server) _exit(70);
  const int high_socket = ::fcntl(socket, F_DUPFD, 10);
  const int high_library = ::fcntl(library, F_DUPFD, 10);
  if (high_socket < 0 || high_library < 0) _exit(70);
  ::close(socket);
  ::close(library);
  if (::dup2(high_socket, kSocket) < 0 || ::dup2(high_library, kLibraryFd) < 0) _exit(70);
  ::close(high_socket);
  ::close(high_library);
  std::exit(run_plugin(memory_bytes));
}

// Receives one request and the file descriptors sent with it (-1 if none).
// 0 at end of input (tally closed its end), -1 on an error.
ssize_t receive(Message& message, int (&fds)[2]) {
  fds[0] = fds[1] = -1;
  iovec data{&message, sizeof message};
  alignas(cmsghdr) char control[CMSG_SPACE(2 * sizeof(int))];
  msghdr header{};
  header.msg_iov = &data;
  header.msg_iovlen = 1;
  header.msg_control = control;
  header.msg_controllen = sizeof control;
  ssize_t n;
  do n = ::recvmsg(kControlFd, &header, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n <= 0) return n;
  for (cmsghdr* c = CMSG_FIRSTHDR(&header); c; c = CMSG_NXTHDR(&header, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      if (i < 2)
        fds[i] = fd;
      else
        ::close(fd);
    }
  }
  return n == static_cast<ssize_t>(sizeof message) ? n : -1;
}

}  // namespace

int serve_forks() {
  const pid_t self = ::getpid();
  // SIGCHLD read from a signalfd, beside the control socket in one poll.
  sigset_t child_signal, mask;
  sigemptyset(&child_signal);
  sigaddset(&child_signal, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &child_signal, &mask);
  const int signals = ::signalfd(-1, &child_signal, SFD_CLOEXEC | SFD_NONBLOCK);
  if (signals < 0) return 71;
  std::set<pid_t> live;  // forked, not yet reaped: the only pids Kill may touch

  for (;;) {
    pollfd watched[2] = {{kControlFd, POLLIN, 0}, {signals, POLLIN, 0}};
    if (::poll(watched, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return 71;
    }
    if (watched[1].revents) {
      signalfd_siginfo info;
      while (::read(signals, &info, sizeof info) > 0) {
      }
      int status = 0;
      for (pid_t pid; (pid = ::waitpid(-1, &status, WNOHANG)) > 0;) {
        live.erase(pid);
        Message ended;
        ended.op = fork_protocol::kEnded;
        ended.pid = pid;
        ended.value = status;
        tell(ended);
      }
    }
    if (!watched[0].revents) continue;
    Message request;
    int fds[2];
    const ssize_t n = receive(request, fds);
    if (n <= 0) {
      // tally is done (or gone): its children go with the server.
      for (pid_t pid : live) ::kill(pid, SIGKILL);
      return n == 0 ? 0 : 71;
    }
    if (request.op == fork_protocol::kKill) {
      if (live.count(request.pid)) ::kill(request.pid, SIGKILL);
    } else if (request.op == fork_protocol::kFork) {
      Message forked;
      forked.op = fork_protocol::kForked;
      forked.request = request.request;
      if (fds[0] < 0 || fds[1] < 0) {
        forked.value = EINVAL;
      } else if (const pid_t pid = ::fork(); pid == 0) {
        become_child(fds[0], fds[1], signals, mask, self, request.memory_bytes);
      } else if (pid < 0) {
        forked.value = errno;
      } else {
        live.insert(pid);
        forked.pid = pid;
      }
      tell(forked);
    }
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  }
}

}  // namespace tally::plugin_host
