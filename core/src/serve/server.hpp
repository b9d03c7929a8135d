// The dashboard on the network (cpp-httplib): the page and its script from
// memory, the JSON API, and the html report fragments the page swaps in.
#pragma once

#include <functional>
#include <string>

#include "serve/dashboard.hpp"

namespace tally::serve {

struct ServerOptions {
  std::string bind = "127.0.0.1";
  int port = 8080;  // 0: any free port
};

// Listens until stop() (or SIGINT/SIGTERM through the CLI). `on_listening`
// is called with the port once the socket is bound. Returns false when the
// address cannot be bound (the message in `error`).
class Server {
 public:
  explicit Server(Dashboard& dashboard);
  ~Server();
  bool run(const ServerOptions& options, const std::function<void(int port)>& on_listening,
           std::string& error);
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tally::serve
