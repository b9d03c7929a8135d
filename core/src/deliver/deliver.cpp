#include "deliver/deliver.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <tally/format.hpp>
#include <thread>

#include "config/detail.hpp"
#include "deliver/alerts.hpp"
#include "deliver/message.hpp"
#include "deliver/outbox.hpp"
#include "deliver/secrets.hpp"
#include "deliver/transport.hpp"
#include "run/runner.hpp"
#include "util/date.hpp"

namespace tally::deliver {

namespace fs = std::filesystem;
using Kind = config::DeliveryTarget::Kind;

namespace {

// A temporary folder for the reports rendered for delivery, removed with it.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "tally-deliver-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary folder");
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

config::PluginUse report_use(const std::string& plugin, const std::string& param, const std::string& value) {
  config::PluginUse use;
  use.use = plugin;
  use.name = "deliver_" + plugin;
  use.where = SourceLocation{"deliver", 0, 0};
  if (!param.empty()) use.params[param].scalar = value;
  return use;
}

// The json report (always), and the html and csv reports when an email needs them,
// rendered by the same plugins `tally run` uses.
RenderedRun render(const config::Config& config, const run::RunResult& result, plugins::Registry& registry,
                   bool for_email) {
  ScratchDir scratch;
  config::Config c = config;
  c.metrics.clear();
  c.reports = {report_use("json", "", "")};
  if (for_email) {
    c.reports.push_back(report_use("html", "path", (scratch.path() / "report.html").string()));
    c.reports.push_back(report_use("csv", "dir", (scratch.path() / "csv").string()));
  }
  auto problems = config::validate(
      c, [&](const std::string& name) { return registry.find(name); }, registry.names(plugins::Kind::Metric),
      registry.names(plugins::Kind::Report));
  if (!problems.empty())
    throw std::runtime_error("cannot render the report to deliver: " + problems.front().message);
  std::ostringstream out;
  run::RenderOptions options;
  options.output = &out;
  // The files written here are temporary: their "wrote ..." lines would only mislead.
  const auto level = spdlog::get_level();
  if (level < spdlog::level::warn) spdlog::set_level(spdlog::level::warn);
  auto outcomes = run::render_reports(c, result, registry, options);
  spdlog::set_level(level);
  for (const auto& outcome : outcomes)
    if (!outcome.ok)
      throw std::runtime_error("the " + outcome.name.substr(8) + " report failed: " + outcome.error);
  RenderedRun rendered;
  rendered.json = out.str();
  if (for_email) {
    rendered.html = slurp(scratch.path() / "report.html");
    std::vector<fs::path> files;
    std::error_code ec;
    for (const auto& f : fs::directory_iterator(scratch.path() / "csv", ec))
      if (f.is_regular_file()) files.push_back(f.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::string name = f.filename().string();
      for (char& ch : name)
        if (ch == '"' || ch == '\\' || static_cast<unsigned char>(ch) < 0x20) ch = '_';
      rendered.csv_files.emplace_back(name, slurp(f));
    }
  }
  return rendered;
}

std::string rfc5322_date() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

std::string iso_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string message_id(const config::DeliveryTarget& target) {
  std::random_device rd;
  std::ostringstream id;
  id << std::hex << std::time(nullptr) << '.' << rd() << rd();
  const auto at = target.from.find('@');
  return id.str() + "@" +
         (at == std::string::npos ? std::string("tally.localhost") : target.from.substr(at + 1));
}

SendResult send_once(const config::DeliveryTarget& target, const std::string& payload) {
  try {
    return target.kind == Kind::Webhook ? post_webhook(target, payload) : send_email(target, payload);
  } catch (const std::exception& e) {
    SendResult r;
    r.error = e.what();
    return r;
  }
}

std::string seconds_text(double seconds) {
  std::ostringstream text;
  text << std::round(seconds * 100) / 100 << " s";
  return text.str();
}

// Sends with the retry policy; the error of the last attempt, scrubbed, on failure.
std::optional<std::string> send_with_retries(const config::DeliveryTarget& target, const std::string& payload,
                                             const RetryPolicy& policy, const Scrubber& scrub,
                                             int& attempts) {
  double delay = policy.delay_seconds;
  const int total = policy.retries + 1;
  for (int attempt = 1;; ++attempt) {
    ++attempts;
    SendResult r = send_once(target, payload);
    if (r.ok) return std::nullopt;
    const std::string error = scrub(r.error);
    if (r.permanent || attempt >= total) {
      if (r.permanent && attempt < total)
        spdlog::warn("delivery to {}: {}; not retried (a retry would get the same answer)", describe(target),
                     error);
      return error;
    }
    spdlog::warn("delivery to {}: attempt {} of {} failed: {}; retrying in {}", describe(target), attempt,
                 total, error, seconds_text(delay));
    std::this_thread::sleep_for(std::chrono::duration<double>(delay));
    delay = std::min(delay * 2, policy.max_delay_seconds);
  }
}

std::string payload_for(const config::DeliveryTarget& target, const config::Config& config,
                        const run::RunResult& result, const RenderedRun& rendered,
                        const std::vector<AlertOutcome>& alerts) {
  if (target.kind == Kind::Email)
    return email_message(target, result, rendered, alerts, rfc5322_date(), message_id(target));
  if (target.slack) return slack_body(result, alerts);
  return webhook_body(rendered.json, alerts, !config.alerts.empty());
}

}  // namespace

bool deliver_run(const config::Config& config, const run::RunResult& result, plugins::Registry& registry,
                 const DeliverOptions& options) {
  const Scrubber scrub(config.deliver);
  bool ok = true;
  auto alerts = evaluate_alerts(config, result, options.config_arg);
  if (options.backend) attach_records(alerts, result, registry, *options.backend, config.filters);
  bool holds = config.alerts.empty();
  for (const auto& a : alerts) {
    if (a.is_error) {
      spdlog::error("{}", scrub(Diagnostic{a.where, "alert on " + a.kpi + ": " + a.problem}.format()));
      ok = false;
    } else if (!a.problem.empty()) {
      spdlog::warn("{}", scrub(Diagnostic{a.where, "alert on " + a.kpi + ": " + a.problem}.format()));
    } else if (a.holds) {
      spdlog::info("alert: {} (records: {})", a.message, a.explain);
      holds = true;
    }
  }
  if (!holds) {
    spdlog::info("no alert condition holds: nothing delivered");
    return ok;
  }
  bool for_email = false;
  for (const auto& t : config.deliver) for_email = for_email || t.kind == Kind::Email;
  RenderedRun rendered;
  try {
    rendered = render(config, result, registry, for_email);
  } catch (const std::exception& e) {
    spdlog::error("nothing delivered: {}", scrub(e.what()));
    return false;
  }
  const std::string outbox = options.outbox.empty() ? default_outbox() : options.outbox;
  for (size_t i = 0; i < config.deliver.size(); ++i) {
    const auto& target = config.deliver[i];
    const std::string payload = payload_for(target, config, result, rendered, alerts);
    int attempts = 0;
    auto error = send_with_retries(target, payload, options.retry, scrub, attempts);
    if (!error) {
      spdlog::info("delivered to {}", describe(target));
      continue;
    }
    ok = false;
    OutboxEntry entry;
    entry.config = fs::absolute(config.path).lexically_normal().string();
    entry.target_index = static_cast<int>(i);
    entry.target_name = target.name;
    entry.target = describe(target);
    entry.kind = target.kind == Kind::Webhook ? "webhook" : "email";
    entry.created = iso_now();
    entry.title = result.title;
    entry.period = result.period_from + " .. " + result.period_to;
    entry.attempts = attempts;
    entry.last_error = *error;
    entry.payload = payload;
    try {
      const std::string dir = outbox_add(outbox, entry);
      spdlog::error(
          "delivery to {} failed after {} attempt(s): {}; kept in {} (send it with `tally deliver --retry`)",
          describe(target), attempts, *error, dir);
    } catch (const std::exception& e) {
      spdlog::error(
          "delivery to {} failed after {} attempt(s): {}; and it could not be kept in the outbox: {}",
          describe(target), attempts, *error, scrub(e.what()));
    }
  }
  return ok;
}

bool retry_outbox(const DeliverOptions& options) {
  const std::string outbox = options.outbox.empty() ? default_outbox() : options.outbox;
  auto entries = outbox_list(outbox);
  if (entries.empty()) {
    spdlog::info("the outbox {} is empty: nothing to send", outbox);
    return true;
  }
  bool ok = true;
  for (auto& entry : entries) {
    if (entry.config.empty()) {
      spdlog::error("{}: {}; remove the folder once you have looked at it", entry.dir, entry.last_error);
      ok = false;
      continue;
    }
    // The target is read from the config again: the outbox holds no secrets,
    // and a fixed URL or password in the config is used.
    config::Config cfg;
    try {
      cfg = config::load_config(entry.config, config::process_env(), today_utc());
    } catch (const DiagnosticError& e) {
      std::string text;
      for (const auto& d : e.diagnostics()) text += "\n  " + d.format();
      spdlog::error("{}: cannot send to '{}': its config has problems now:{}", entry.dir, entry.target_name,
                    text);
      ok = false;
      continue;
    }
    const Scrubber scrub(cfg.deliver);
    if (entry.target_index < 0 || static_cast<size_t>(entry.target_index) >= cfg.deliver.size() ||
        cfg.deliver[entry.target_index].name != entry.target_name) {
      spdlog::error(
          "{}: {} no longer has the deliver target '{}' (position {}); edit the config back, or remove "
          "the folder to drop this delivery",
          entry.dir, entry.config, entry.target_name, entry.target_index + 1);
      ok = false;
      continue;
    }
    const auto& target = cfg.deliver[entry.target_index];
    const bool kind_matches = (target.kind == Kind::Webhook) == (entry.kind == "webhook");
    if (!kind_matches) {
      spdlog::error("{}: the target '{}' in {} is no longer a {}; remove the folder to drop this delivery",
                    entry.dir, entry.target_name, entry.config, entry.kind);
      ok = false;
      continue;
    }
    std::string payload;
    try {
      payload = outbox_payload(entry);
    } catch (const std::exception& e) {
      spdlog::error("{}: {}", entry.dir, e.what());
      ok = false;
      continue;
    }
    auto error = send_with_retries(target, payload, options.retry, scrub, entry.attempts);
    if (!error) {
      spdlog::info("delivered to {} ({}, {}, from the outbox)", describe(target), entry.title, entry.period);
      try {
        outbox_remove(entry);
      } catch (const std::exception& e) {
        spdlog::error("delivered, but {}: it may be sent twice", e.what());
        ok = false;
      }
      continue;
    }
    ok = false;
    entry.last_error = *error;
    entry.target = describe(target);
    try {
      outbox_update(entry);
    } catch (const std::exception& e) {
      spdlog::warn("{}: {}", entry.dir, e.what());
    }
    spdlog::error("delivery to {} failed again after {} attempt(s) in all: {}; still in {}", describe(target),
                  entry.attempts, *error, entry.dir);
  }
  return ok;
}

size_t list_outbox(const DeliverOptions& options) {
  const std::string outbox = options.outbox.empty() ? default_outbox() : options.outbox;
  auto entries = outbox_list(outbox);
  for (const auto& e : entries) {
    std::cout << e.dir << "\n  " << (e.target.empty() ? "(unreadable)" : e.target) << ", " << e.title << " "
              << e.period << ", created " << e.created << ", " << e.attempts << " attempt(s)\n";
    if (!e.last_error.empty()) std::cout << "  last error: " << e.last_error << '\n';
  }
  if (entries.empty()) std::cout << "the outbox " << outbox << " is empty\n";
  return entries.size();
}

}  // namespace tally::deliver
