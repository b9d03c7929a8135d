#include "run/fork_server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "plugins/fork_protocol.hpp"
#include "run/isolated.hpp"

extern char** environ;

namespace tally::run {

using fork_protocol::Message;

std::string signal_text(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return std::to_string(sig) + (abbrev ? " (SIG" + std::string(abbrev) + ")" : std::string());
}

namespace {

std::string server_name(pid_t pid) {
  return "tally's plugin host server (process " + std::to_string(pid) + ")";
}

std::string server_end(pid_t pid, int status) {
  if (WIFSIGNALED(status)) return server_name(pid) + " was killed by signal " + signal_text(WTERMSIG(status));
  return server_name(pid) + " ended with exit code " + std::to_string(WEXITSTATUS(status));
}

// Spawns `tally-plugin-host --fork-server` with `control` as its fd 3; its
// pid, or throws.
pid_t spawn_server(int control) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, control, fork_protocol::kControlFd);
  // Default signal handling and no blocked signals, whatever this thread had.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &all);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  const std::string path = plugin_host_path();
  char* argv[] = {const_cast<char*>("tally-plugin-host"), const_cast<char*>(fork_protocol::kServerArgument),
                  nullptr};
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, path.c_str(), &actions, &attributes, argv, environ);
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0)
    throw std::runtime_error("tally's plugin host server could not be started (" + path +
                             "): " + std::strerror(rc));
  return pid;
}

}  // namespace

ForkServer::~ForkServer() {
  if (!thread_.joinable()) return;
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return started_; });
  if (control_ >= 0) {
    ::shutdown(control_, SHUT_WR);  // the server reads the end and ends
    if (!changed_.wait_for(lock, std::chrono::seconds(2), [&] { return !gone_.empty(); }))
      ::kill(server_, SIGKILL);  // not reaped yet (the thread reaps it): still ours
  }
  lock.unlock();
  thread_.join();
  if (control_ >= 0) ::close(control_);
}

void ForkServer::start() {
  std::lock_guard lock(mutex_);
  if (!thread_.joinable()) thread_ = std::thread([this] { serve(); });
}

void ForkServer::serve() {
  int control = -1;
  pid_t pid = -1;
  std::string failure;
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    failure =
        "tally's plugin host server could not be started: no socket: " + std::string(std::strerror(errno));
  } else {
    // A high number, so that the dup2 onto fd 3 never overwrites it.
    const int remote = ::fcntl(sv[1], F_DUPFD_CLOEXEC, 10);
    ::close(sv[1]);
    try {
      if (remote < 0) throw std::runtime_error("tally's plugin host server could not be started: no fd");
      pid = spawn_server(remote);
      control = sv[0];
    } catch (const std::exception& e) {
      failure = e.what();
      ::close(sv[0]);
    }
    if (remote >= 0) ::close(remote);
  }
  {
    std::lock_guard lock(mutex_);
    started_ = true;
    control_ = control;
    server_ = pid;
    gone_ = failure;
  }
  changed_.notify_all();
  if (control < 0) return;

  for (;;) {
    Message message;
    const ssize_t n = ::recv(control, &message, sizeof message, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n != static_cast<ssize_t>(sizeof message)) break;  // the server ended (or spoke nonsense)
    std::lock_guard lock(mutex_);
    if (message.op == fork_protocol::kForked) {
      forked_[message.request] = {message.pid, message.value};
      // The server reports a fork before that child's end: an end of the same
      // pid still here is an earlier child's nobody waited for.
      ended_.erase(message.pid);
    } else if (message.op == fork_protocol::kEnded)
      ended_[message.pid] = message.value;
    changed_.notify_all();
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  {
    std::lock_guard lock(mutex_);
    gone_ = server_end(pid, status);
  }
  changed_.notify_all();
}

bool ForkServer::send_message(const void* message, size_t size, int socket, int library) {
  iovec data{const_cast<void*>(message), size};
  alignas(cmsghdr) char control[CMSG_SPACE(2 * sizeof(int))] = {};
  msghdr header{};
  header.msg_iov = &data;
  header.msg_iovlen = 1;
  if (socket >= 0) {
    header.msg_control = control;
    header.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&header);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(2 * sizeof(int));
    const int fds[2] = {socket, library};
    std::memcpy(CMSG_DATA(c), fds, sizeof fds);
  }
  ssize_t n;
  do n = ::sendmsg(control_, &header, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(size);
}

pid_t ForkServer::fork_child(int socket, int library, uint64_t memory_bytes) {
  start();
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return started_; });
  if (!gone_.empty()) throw std::runtime_error(gone_);
  Message request;
  request.op = fork_protocol::kFork;
  request.request = ++next_request_;
  request.memory_bytes = memory_bytes;
  lock.unlock();
  const bool sent = send_message(&request, sizeof request, socket, library);
  const int send_error = errno;
  lock.lock();
  if (!sent) {
    // Most likely the server has just ended: the thread says how.
    changed_.wait_for(lock, std::chrono::seconds(2), [&] { return !gone_.empty(); });
    throw std::runtime_error(!gone_.empty() ? gone_
                                            : server_name(server_) + " cannot be reached: " +
                                                  std::string(std::strerror(send_error)));
  }
  changed_.wait(lock, [&] { return forked_.count(request.request) || !gone_.empty(); });
  auto it = forked_.find(request.request);
  if (it == forked_.end()) throw std::runtime_error(gone_);
  const auto [pid, error] = it->second;
  forked_.erase(it);
  if (error != 0) throw std::runtime_error(server_name(server_) + " cannot fork: " + std::strerror(error));
  return pid;
}

std::optional<int> ForkServer::wait_end(pid_t pid, Clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  changed_.wait_until(lock, deadline, [&] { return ended_.count(pid) || !gone_.empty(); });
  auto it = ended_.find(pid);
  if (it == ended_.end()) return std::nullopt;
  const int status = it->second;
  ended_.erase(it);
  return status;
}

void ForkServer::kill(pid_t pid) {
  Message request;
  request.op = fork_protocol::kKill;
  request.pid = pid;
  {
    std::lock_guard lock(mutex_);
    if (control_ < 0 || !gone_.empty()) return;  // its children went with it
  }
  send_message(&request, sizeof request, -1, -1);
}

std::string ForkServer::gone() {
  std::lock_guard lock(mutex_);
  return gone_;
}

}  // namespace tally::run
