// `tally serve CONFIG... [--data DB] [--port N] [--bind ADDR]`: the live
// dashboard. Every config is validated and its data opened before the
// server listens, so a bad config stops it with exit 2 like `tally check`.
#include <spdlog/spdlog.h>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <thread>

#include "cli/commands.hpp"
#include "cli/config_loading.hpp"
#include "config/detail.hpp"
#include "serve/server.hpp"
#include "util/text.hpp"

namespace tally::cli {

int serve(const ServeArgs& args) {
  std::vector<serve::ServedConfig> served;
  for (const auto& path : args.configs) {
    serve::ServedConfig c;
    c.path = path;
    c.stem = std::filesystem::path(path).stem().string();
    for (const auto& other : served)
      if (other.stem == c.stem) {
        std::cerr << path << ": another config served is also named '" << c.stem
                  << "' (the API names configs by file name without .yaml); rename one\n";
        return kInvalid;
      }
    auto cfg = load_valid_config(path, "json", c.registry, c.registry_holder);
    if (!cfg) return kInvalid;
    std::string error;
    auto text = detail::read_file(path, error);
    if (!text) {
      std::cerr << path << ": " << error << '\n';
      return kInvalid;
    }
    c.text = *text;
    c.config = std::move(*cfg);
    auto backend = open_data(c.config, path, args.data, args.busy_timeout);
    if (!backend) return kInvalid;
    c.backend = std::move(backend);
    try {
      c.dimension_values = serve::read_dimension_values(*c.backend);
    } catch (const std::exception& e) {
      std::cerr << path << ": cannot read the dimensions' values: " << escape_for_terminal(e.what()) << '\n';
      return kInvalid;
    }
    served.push_back(std::move(c));
  }
  serve::Dashboard dashboard(std::move(served), args.max_runs);
  serve::Server server(dashboard);
  // SIGINT and SIGTERM are taken by one thread (blocked in every other,
  // which inherit the mask), which stops the server outside signal context.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::atomic<bool> finished{false};
  std::thread stopper([&] {
    int signal = 0;
    sigwait(&stop_signals, &signal);
    if (!finished) spdlog::info("stopping (signal {})", signal);
    server.stop();
  });
  std::string error;
  const bool ok = server.run(
      {args.bind, args.port},
      [&](int port) {
        std::string host = args.bind.find(':') != std::string::npos ? "[" + args.bind + "]" : args.bind;
        std::cout << "serving " << dashboard.served().size() << " config(s) at http://" << host << ":" << port
                  << "/ (read-only; Ctrl-C stops)" << std::endl;
        if (args.bind != "127.0.0.1" && args.bind != "localhost" && args.bind != "::1")
          spdlog::warn("listening on {}: anyone who reaches this address sees the reports; there is no login",
                       args.bind);
      },
      error);
  finished = true;
  kill(getpid(), SIGTERM);  // wakes the stopper when the server ended on its own
  stopper.join();
  if (!ok) {
    std::cerr << "tally serve: " << error << '\n';
    return kInvalid;
  }
  return kOk;
}

}  // namespace tally::cli
