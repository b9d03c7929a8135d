// `tally run --deliver`, `tally deliver --retry | --list` and `tally schedule`
// (docs/delivery.md).
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/config_loading.hpp"
#include "deliver/deliver.hpp"
#include "deliver/schedule.hpp"
#include "util/text.hpp"

namespace tally::cli {

namespace fs = std::filesystem;

namespace {

deliver::DeliverOptions delivery_options(const DeliveryArgs& args, const std::string& config_arg) {
  deliver::DeliverOptions options;
  options.outbox = args.outbox;
  options.retry.retries = args.retries;
  options.retry.delay_seconds = args.retry_delay;
  options.config_arg = config_arg;
  return options;
}

// Runs a program (no shell), stdin from `input` when given; its exit status.
int run_program(const std::vector<std::string>& argv, const std::string* input, std::string* output) {
  int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1};
  if ((input && ::pipe(in_pipe) != 0) || (output && ::pipe(out_pipe) != 0)) return -1;
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (input) {
      ::dup2(in_pipe[0], 0);
      ::close(in_pipe[0]);
      ::close(in_pipe[1]);
    }
    if (output) {
      ::dup2(out_pipe[1], 1);
      ::close(out_pipe[0]);
      ::close(out_pipe[1]);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  if (input) {
    ::close(in_pipe[0]);
    size_t written = 0;
    while (written < input->size()) {
      ssize_t n = ::write(in_pipe[1], input->data() + written, input->size() - written);
      if (n <= 0) break;
      written += static_cast<size_t>(n);
    }
    ::close(in_pipe[1]);
  }
  if (output) {
    ::close(out_pipe[1]);
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(out_pipe[0], buffer, sizeof buffer)) > 0)
      output->append(buffer, static_cast<size_t>(n));
    ::close(out_pipe[0]);
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string command_text(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& a : argv) text += (text.empty() ? "" : " ") + a;
  return text;
}

std::string self_executable() {
  std::error_code ec;
  auto path = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("tally") : path.string();
}

std::string user_unit_dir() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg)
    return std::string(xdg) + "/systemd/user";
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::string(home) + "/.config/systemd/user";
  return {};
}

bool write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.flush();
  if (!out) {
    std::cerr << "tally schedule: cannot write " << path.string() << ": " << std::strerror(errno) << '\n';
    return false;
  }
  return true;
}

int install_systemd(const ScheduleArgs& args, const deliver::ScheduleRequest& request) {
  const std::string dir = !args.unit_dir.empty() ? args.unit_dir
                          : args.system          ? "/etc/systemd/system"
                                                 : user_unit_dir();
  if (dir.empty()) {
    std::cerr
        << "tally schedule: no folder for user units: set HOME or XDG_CONFIG_HOME, or pass --unit-dir\n";
    return kInvalid;
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    std::cerr << "tally schedule: cannot create " << dir << ": " << ec.message() << '\n';
    return kSomethingFailed;
  }
  const fs::path service = fs::path(dir) / (request.name + ".service");
  const fs::path timer = fs::path(dir) / (request.name + ".timer");
  if (!write_file(service, deliver::systemd_service(request)) ||
      !write_file(timer, deliver::systemd_timer(request)))
    return kSomethingFailed;
  std::cout << "wrote " << service.string() << "\nwrote " << timer.string() << '\n';
  std::vector<std::string> base = {"systemctl"};
  if (!args.system) base.push_back("--user");
  auto reload = base, enable = base;
  reload.push_back("daemon-reload");
  enable.insert(enable.end(), {"enable", "--now", request.name + ".timer"});
  for (const auto& command : {reload, enable}) {
    const int rc = run_program(command, nullptr, nullptr);
    if (rc != 0) {
      std::cerr << "tally schedule: `" << command_text(command) << "` failed"
                << (rc == 127 ? " (systemctl not found)" : " with exit status " + std::to_string(rc))
                << "; the units are written: run `" << command_text(reload) << " && " << command_text(enable)
                << "` where systemd runs, or use --as cron\n";
      return kSomethingFailed;
    }
  }
  std::cout << "enabled " << request.name << ".timer (" << request.every.on_calendar << "); see it with `"
            << command_text(base) << " list-timers " << request.name << ".timer`\n";
  return kOk;
}

int install_cron(const deliver::ScheduleRequest& request) {
  std::string current;
  const int listed = run_program({"crontab", "-l"}, nullptr, &current);
  if (listed == 127 || listed < 0) {
    std::cerr << "tally schedule: crontab not found (Debian package cron); the line to add by hand:\n"
              << deliver::cron_line(request) << '\n';
    return kSomethingFailed;
  }
  // `crontab -l` fails when the user has no crontab yet: start from empty.
  if (listed != 0) current.clear();
  const std::string marker = " # tally:" + request.name;
  std::string updated;
  size_t replaced = 0;
  std::istringstream lines(current);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() >= marker.size() &&
        line.compare(line.size() - marker.size(), marker.size(), marker) == 0) {
      ++replaced;
      continue;
    }
    updated += line + "\n";
  }
  updated += deliver::cron_line(request) + "\n";
  const int rc = run_program({"crontab", "-"}, &updated, nullptr);
  if (rc != 0) {
    std::cerr << "tally schedule: `crontab -` failed with exit status " << rc
              << "; the line to add by hand:\n"
              << deliver::cron_line(request) << '\n';
    return kSomethingFailed;
  }
  std::cout << (replaced ? "replaced" : "added") << " in the crontab: " << deliver::cron_line(request)
            << '\n';
  return kOk;
}

}  // namespace

int deliver_after_run(const RunArgs& args, const config::Config& config, const run::RunResult& result,
                      plugins::Registry& registry, store::Backend& backend, bool ran_ok) {
  if (!ran_ok) {
    spdlog::error("nothing delivered: a metric or report failed (fix it and run again)");
    return kSomethingFailed;
  }
  auto options = delivery_options(args.delivery, args.config);
  options.backend = &backend;
  return deliver::deliver_run(config, result, registry, options) ? kOk : kSomethingFailed;
}

int deliver_outbox(const DeliveryArgs& args, bool retry, bool list) {
  if (retry == list) {
    std::cerr << "tally deliver: pass --retry (send what the outbox holds) or --list (show it)\n";
    return kInvalid;
  }
  auto options = delivery_options(args, "");
  if (list) {
    deliver::list_outbox(options);
    return kOk;
  }
  return deliver::retry_outbox(options) ? kOk : kSomethingFailed;
}

int schedule(const ScheduleArgs& args) {
  std::string error;
  auto every = deliver::parse_every(args.every, error);
  if (!every) {
    std::cerr << "tally schedule: " << error << '\n';
    return kInvalid;
  }
  if (args.as != "systemd" && args.as != "cron") {
    std::cerr << "tally schedule: --as must be systemd or cron\n";
    return kInvalid;
  }
  std::unique_ptr<plugins::Registry> holder;
  plugins::Registry* registry = nullptr;
  auto cfg = load_valid_config(args.config, "", registry, holder);
  if (!cfg) return kInvalid;
  if (cfg->deliver.empty())
    spdlog::warn(
        "{}: the config has no `deliver:` targets: the scheduled run will only write its report files",
        args.config);
  deliver::ScheduleRequest request;
  request.config = fs::absolute(args.config).lexically_normal().string();
  request.tally = self_executable();
  request.name = args.name.empty() ? deliver::default_unit_name(args.config) : args.name;
  for (char c : request.name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      std::cerr << "tally schedule: --name may hold only letters, digits, '-', '_' and '.'\n";
      return kInvalid;
    }
  if (!args.env_file.empty()) {
    if (!fs::is_regular_file(args.env_file)) {
      std::cerr << "tally schedule: --env-file " << args.env_file << " is not a file\n";
      return kInvalid;
    }
    request.env_file = fs::absolute(args.env_file).lexically_normal().string();
  }
  request.system = args.system;
  request.every = *every;
  if (args.install) return args.as == "cron" ? install_cron(request) : install_systemd(args, request);
  if (args.as == "cron") {
    std::cout << "# Add to `crontab -e` (runs in the machine's local time):\n"
              << deliver::cron_line(request) << '\n';
    return kOk;
  }
  const std::string dir = args.system ? "/etc/systemd/system" : "~/.config/systemd/user";
  std::cout << "# " << dir << "/" << request.name << ".service\n"
            << deliver::systemd_service(request) << "\n# " << dir << "/" << request.name << ".timer\n"
            << deliver::systemd_timer(request) << "\n# then: systemctl " << (args.system ? "" : "--user ")
            << "daemon-reload && systemctl " << (args.system ? "" : "--user ") << "enable --now "
            << request.name << ".timer   (or run tally schedule again with --install)\n";
  return kOk;
}

}  // namespace tally::cli
