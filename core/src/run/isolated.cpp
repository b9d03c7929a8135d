#include "run/isolated.hpp"

#define BOOST_DLL_USE_STD_FS
#include <boost/dll/runtime_symbol_info.hpp>

#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "plugins/entry_checks.hpp"
#include "plugins/plugin_error.hpp"
#include "plugins/wire.hpp"
#include "run/isolated_calls.hpp"

namespace tally::run {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string plugin_host_path() {
  if (const char* env = std::getenv("TALLY_PLUGIN_HOST"); env && *env) return env;
  std::error_code ec;
  const fs::path exe = boost::dll::program_location(ec);
  if (!ec) {
    const fs::path beside = exe.parent_path() / "tally-plugin-host";
    if (fs::exists(beside, ec)) return beside.string();
  }
#ifdef TALLY_BUILD_PLUGIN_HOST
  if (fs::exists(TALLY_BUILD_PLUGIN_HOST, ec)) return TALLY_BUILD_PLUGIN_HOST;
#endif
  return TALLY_INSTALLED_PLUGIN_HOST;
}

struct ProcessPool::Child {
  ForkServer* server = nullptr;  // whose child it is: it reaps it and says how it ended
  pid_t pid = -1;
  int fd = -1;
  std::unique_ptr<wire::FrameReader> reader;  // over fd, kept across invocations
  bool loaded = false;                        // its Loaded message was read
  Clock::time_point started;                  // when it was asked for
  ~Child() {
    if (fd >= 0) ::close(fd);  // the child's read ends: it exits
    // An idle child exits at once on end of input; give it a moment, then stop it.
    if (pid > 0 && !server->wait_end(pid, Clock::now() + std::chrono::milliseconds(100))) stop();
  }
  // Stops the child now and returns how it ended (waitpid status); nullopt
  // when the server went first (and took the child with it).
  std::optional<int> stop() {
    server->kill(pid);
    auto status = server->wait_end(pid, Clock::now() + std::chrono::seconds(10));
    pid = -1;
    return status;
  }
  // Waits until `deadline` for the child to end by itself; then stops it.
  std::optional<int> reap(Clock::time_point deadline, bool& timed_out) {
    timed_out = false;
    if (auto status = server->wait_end(pid, deadline)) {
      pid = -1;
      return status;
    }
    if (!server->gone().empty()) {
      pid = -1;
      return std::nullopt;
    }
    timed_out = true;
    return stop();
  }
};

namespace {

// What became of a child that did not return: `who` is "plugin 'x' (metric 'y')".
std::string fate(const std::string& who, std::optional<int> status, bool out_of_memory, bool timed_out,
                 const plugins::Isolation& isolation, const std::string& server_gone) {
  if (timed_out)
    return who + " exceeded its timeout of " + plugins::seconds_text(isolation.timeout_seconds) +
           " and was stopped";
  if (out_of_memory)
    return who + " ran out of its memory limit of " + plugins::bytes_text(isolation.memory_bytes);
  if (!status && !server_gone.empty()) return who + " ended when " + server_gone;
  if (!status) return who + ": its process was stopped and did not say how it ended";
  if (WIFSIGNALED(*status)) return who + " was killed by signal " + signal_text(WTERMSIG(*status));
  if (WIFEXITED(*status))
    return who + ": its process ended with exit code " + std::to_string(WEXITSTATUS(*status)) +
           " before the plugin returned";
  return who + ": its process ended before the plugin returned";
}

std::unique_ptr<ProcessPool::Child> spawn(ForkServer& server, const plugins::SealedImage& image,
                                          uint64_t memory_bytes, Clock::time_point started) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    throw plugins::PluginError("plugin '" + image.manifest.name +
                               "': cannot create a socket for its process: " + std::strerror(errno));
  auto child = std::make_unique<ProcessPool::Child>();
  child->server = &server;
  child->fd = sv[0];
  try {
    child->pid = server.fork_child(sv[1], *image.fd, memory_bytes);
  } catch (const std::exception& e) {
    ::close(sv[1]);
    throw plugins::PluginError("plugin '" + image.manifest.name + "': cannot start its process: " + e.what());
  }
  ::close(sv[1]);  // the child has its own copy
  child->reader = std::make_unique<wire::FrameReader>(child->fd);
  child->started = started;
  // Load at once: the child opens the plugin while tally goes on; its answer
  // (Loaded) is read when the plugin's turn comes.
  const auto& m = image.manifest;
  wire::Writer load;
  load.str(m.name)
      .u32(static_cast<uint32_t>((m.sdk_major << 16) | (m.sdk_minor & 0xFFFF)))
      .u32(plugins::host_sdk_version())
      .i32(plugins::kind_code(m.kind))
      .str(plugins::kind_name(m.kind))
      .str(m.manifest_path)
      .u8(image.deepbind ? 1 : 0)
      .str(m.library_path());
  // A child gone already is found out, with its fate, when Loaded is read.
  wire::send_frame(child->fd, wire::kLoad, load.data());
  return child;
}

// Starts a child for `plugin`: the library checked and sealed, the process
// spawned and told to load it.
std::unique_ptr<ProcessPool::Child> start(ForkServer& server, plugins::Registry& registry,
                                          const std::string& plugin, uint64_t memory_bytes) {
  const auto started = Clock::now();
  return spawn(server, registry.sealed_image(plugin), memory_bytes, started);
}

}  // namespace

ProcessPool::ProcessPool(plugins::Registry& registry) : registry_(registry) {}

ProcessPool::~ProcessPool() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  started_.notify_all();
  if (starter_.joinable()) starter_.join();
  // Every child told to end first (its socket closed), then all reaped: they
  // exit side by side, not one after another.
  std::vector<std::unique_ptr<Child>> all = std::move(retired_);
  for (auto& [key, list] : idle_)
    for (auto& child : list) all.push_back(std::move(child));
  for (auto& child : all)
    if (child->fd >= 0) {
      ::close(child->fd);
      child->fd = -1;
    }
  const auto deadline = Clock::now() + std::chrono::milliseconds(100);
  for (auto& child : all) {
    bool timed_out = false;
    if (child->pid > 0) child->reap(deadline, timed_out);
  }
  all.clear();  // before the server ends
}

void ProcessPool::prestart(const std::vector<std::pair<std::string, plugins::Isolation>>& uses) {
  std::vector<std::pair<std::string, uint64_t>> order;  // plugin, memory limit: one child each
  {
    std::lock_guard lock(mutex_);
    for (const auto& [plugin, isolation] : uses) {
      if (!isolation.process) continue;
      const std::string key = plugin + "\n" + std::to_string(isolation.memory_bytes);
      if (remaining_[key]++ == 0 && order.size() < kMaxPrestarted) {
        order.emplace_back(plugin, isolation.memory_bytes);
        starting_.insert(key);
      }
    }
  }
  if (order.empty()) return;
  server_.start();  // exec'd and relocated while the first library is checked
  starter_ = std::thread([this, order] {
    for (const auto& [plugin, memory] : order) {
      const std::string key = plugin + "\n" + std::to_string(memory);
      std::unique_ptr<Child> child;
      try {
        child = start(server_, registry_, plugin, memory);
      } catch (const std::exception& e) {
        // Started again at the plugin's turn, which reports the same refusal there.
        spdlog::debug("plugin '{}': not started ahead: {}", plugin, e.what());
      }
      std::lock_guard lock(mutex_);
      starting_.erase(key);
      if (child) idle_[key].push_back(std::move(child));
      started_.notify_all();
    }
    // The children die with the thread that started them (PR_SET_PDEATHSIG
    // watches the thread): it lives as long as the pool.
    std::unique_lock lock(mutex_);
    started_.wait(lock, [&] { return closing_; });
  });
}

std::unique_ptr<ProcessPool::Child> ProcessPool::take(const std::string& key) {
  std::unique_lock lock(mutex_);
  started_.wait(lock, [&] { return starting_.count(key) == 0; });
  if (auto it = remaining_.find(key); it != remaining_.end() && it->second > 0) --it->second;
  auto& list = idle_[key];
  if (list.empty()) return nullptr;
  auto child = std::move(list.back());
  list.pop_back();
  return child;
}

void ProcessPool::give_back(const std::string& key, std::unique_ptr<Child> child) {
  std::lock_guard lock(mutex_);
  auto it = remaining_.find(key);
  if (it != remaining_.end() && it->second == 0) {
    // No use of it is left in the run: told to end now, reaped with the others.
    ::close(child->fd);
    child->fd = -1;
    retired_.push_back(std::move(child));
    return;
  }
  idle_[key].push_back(std::move(child));
}

int32_t ProcessPool::invoke(const std::string& plugin, const std::string& role,
                            const plugins::Isolation& isolation, tally_ctx& ctx) {
  const std::string who = "plugin '" + plugin + "' (" + role + ")";
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(isolation.timeout_seconds));
  const std::string key = plugin + "\n" + std::to_string(isolation.memory_bytes);
  std::unique_ptr<Child> child = take(key);
  uint32_t op = 0;
  std::string payload;
  bool out_of_memory = false;

  // Ends the child and says why it did not return.
  auto failed = [&](wire::Received how) -> plugins::PluginError {
    bool timed_out = how == wire::Received::TimedOut;
    std::optional<int> status;
    if (timed_out || how == wire::Received::Malformed)
      status = child->stop();
    else
      status = child->reap(deadline, timed_out);
    if (how == wire::Received::Malformed)
      return plugins::PluginError(who + " sent a malformed message to tally and was stopped");
    return plugins::PluginError(fate(who, status, out_of_memory, timed_out, isolation, server_.gone()));
  };
  // The next message, noting a child that reports running out of memory.
  auto receive = [&]() {
    auto got = child->reader->next(op, payload, deadline);
    if (got == wire::Received::Frame && op == wire::kOutOfMemory) {
      out_of_memory = true;
      got = child->reader->next(op, payload, deadline);
      if (got == wire::Received::Frame) got = wire::Received::Closed;
    }
    return got;
  };

  if (!child) child = start(server_, registry_, plugin, isolation.memory_bytes);
  if (!child->loaded) {
    const auto waiting = Clock::now();
    auto got = receive();
    if (got != wire::Received::Frame) throw failed(got);
    wire::Reader in(payload);
    const bool loaded = op == wire::kLoaded && in.u8() == 1;
    const std::string refusal = in.str();
    const int64_t loaded_at = in.i64();  // the child's steady clock, the same as ours
    if (op != wire::kLoaded || !in.ok()) throw failed(wire::Received::Malformed);
    if (!loaded) {
      child->stop();
      throw plugins::PluginError(refusal);
    }
    child->loaded = true;
    const auto ms = [](Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
    spdlog::debug("{}: started in process {} ({:.1f} ms to start and load; waited {:.1f} ms for it)", who,
                  child->pid, ms(Clock::duration(loaded_at) - child->started.time_since_epoch()),
                  ms(Clock::now() - waiting));
  }

  int32_t rc = TALLY_FAILED;
  {
    CallServer server(ctx);
    // Run carries what the plugin would otherwise ask call by call (params,
    // periods, a report's whole run): the child answers those itself.
    wire::Writer snapshot;
    server.snapshot(snapshot);
    if (!wire::send_frame(child->fd, wire::kRun, snapshot.data())) throw failed(wire::Received::Closed);
    for (;;) {
      auto got = receive();
      if (got != wire::Received::Frame) throw failed(got);
      if (op == wire::kDone) {
        wire::Reader in(payload);
        rc = in.i32();
        if (!in.ok()) throw failed(wire::Received::Malformed);
        if (!server.deferred_error().empty())
          throw plugins::PluginError(who + ": tally refused a call its process had taken as done (" +
                                     server.deferred_error() + ")");
        break;
      }
      wire::Writer reply;
      bool has_reply = false;
      if (!server.serve(op, payload, reply, has_reply)) throw failed(wire::Received::Malformed);
      if (has_reply && !wire::send_frame(child->fd, wire::kReply, reply.data()))
        throw failed(wire::Received::Closed);
    }
  }
  give_back(key, std::move(child));
  return rc;
}

}  // namespace tally::run
