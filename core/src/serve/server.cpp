// cpp-httplib (Debian's libcpp-httplib-dev) serves the dashboard: see
// docs/decisions.md for why it and not Boost.Beast. Only this file includes
// it, so its large header is compiled once.
#include "serve/server.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "serve/page.hpp"

namespace tally::serve {

namespace {

// Headers every answer carries: nothing from elsewhere may load, the page
// cannot be framed, and a browser never guesses types.
void secure(httplib::Response& res) {
  res.set_header(
      "Content-Security-Policy",
      "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
      "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cache-Control", "no-store");
}

void send(httplib::Response& res, const Answer& a) {
  secure(res);
  for (const auto& [name, value] : a.headers) res.set_header(name, value);
  res.status = a.status;
  res.set_content(a.body, a.content_type.c_str());
}

Inputs inputs_of(const httplib::Request& req) {
  Inputs in;
  if (req.has_param("config")) in.config = req.get_param_value("config");
  if (req.has_param("period") && !req.get_param_value("period").empty())
    in.period = req.get_param_value("period");
  if (req.has_param("compare") && !req.get_param_value("compare").empty())
    in.compare = req.get_param_value("compare");
  if (req.has_param("filters")) in.filters = req.get_param_value("filters");
  return in;
}

std::string param(const httplib::Request& req, const char* name) {
  return req.has_param(name) ? req.get_param_value(name) : std::string();
}

}  // namespace

struct Server::Impl {
  Dashboard& dashboard;
  httplib::Server http;
  explicit Impl(Dashboard& d) : dashboard(d) {}
};

Server::Server(Dashboard& dashboard) : impl_(std::make_unique<Impl>(dashboard)) {
  auto& http = impl_->http;
  Dashboard& d = dashboard;
  // A few threads more than report slots, so the page, its assets and the
  // config list are served while every slot computes a report.
  http.new_task_queue = [] { return new httplib::ThreadPool(12); };
  http.set_payload_max_length(64 * 1024);
  http.Get("/", [](const httplib::Request&, httplib::Response& res) {
    secure(res);
    res.set_content(kPage, "text/html; charset=utf-8");
  });
  http.Get("/dashboard.js", [](const httplib::Request&, httplib::Response& res) {
    secure(res);
    res.set_content(kScript, "text/javascript; charset=utf-8");
  });
  http.Get("/dashboard.css", [](const httplib::Request&, httplib::Response& res) {
    secure(res);
    res.set_content(kStyle, "text/css; charset=utf-8");
  });
  http.Get("/api/configs", [&d](const httplib::Request&, httplib::Response& res) { send(res, d.configs()); });
  http.Get("/api/report", [&d](const httplib::Request& req, httplib::Response& res) {
    send(res, d.report_json(inputs_of(req)));
  });
  http.Get("/report", [&d](const httplib::Request& req, httplib::Response& res) {
    send(res, d.report_page(inputs_of(req)));
  });
  http.Get("/api/explain", [&d](const httplib::Request& req, httplib::Response& res) {
    send(res, d.explain(inputs_of(req), param(req, "metric"), param(req, "kpi"), param(req, "row")));
  });
  // Nothing else exists; and nothing here changes anything.
  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    send(res,
         error_answer(res.status, res.status == 404 ? "no such page: " + req.path
                                                    : "bad request (" + std::to_string(res.status) + ")"));
  });
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string message = "internal error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      message = e.what();
    } catch (...) {
    }
    spdlog::error("serve: {}", message);
    send(res, error_answer(500, message));
  });
  http.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    spdlog::debug("serve: {} {} -> {}", req.method, req.target, res.status);
  });
}

Server::~Server() = default;

bool Server::run(const ServerOptions& options, const std::function<void(int)>& on_listening,
                 std::string& error) {
  auto& http = impl_->http;
  int port = options.port;
  if (port == 0) {
    port = http.bind_to_any_port(options.bind);
    if (port < 0) {
      error = "cannot listen on " + options.bind + ": the address is not available";
      return false;
    }
  } else if (!http.bind_to_port(options.bind, port)) {
    error = "cannot listen on " + options.bind + ":" + std::to_string(port) +
            ": the port is in use or the address is not available";
    return false;
  }
  on_listening(port);
  http.listen_after_bind();
  return true;
}

void Server::stop() {
  impl_->http.stop();
}

}  // namespace tally::serve
