#include "deliver/schedule.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <vector>

namespace tally::deliver {

namespace fs = std::filesystem;

namespace {

const char* kGrammar =
    "expected DAYS-HH:MM (DAYS: daily, weekdays, weekends, or day names like monday or mon,thu), "
    "monthly-DD-HH:MM (DD 1-28) or hourly[-MM]; e.g. monday-08:00, weekdays-07:30, monthly-1-06:00, "
    "hourly-15";

struct Day {
  const char* name;
  const char* systemd;
  int cron;
};
const Day kDays[] = {{"monday", "Mon", 1},   {"tuesday", "Tue", 2}, {"wednesday", "Wed", 3},
                     {"thursday", "Thu", 4}, {"friday", "Fri", 5},  {"saturday", "Sat", 6},
                     {"sunday", "Sun", 0}};

std::optional<int> number(const std::string& text, int min, int max) {
  if (text.empty() || text.size() > 2 || !std::all_of(text.begin(), text.end(), ::isdigit))
    return std::nullopt;
  int n = std::stoi(text);
  if (n < min || n > max) return std::nullopt;
  return n;
}

std::string two(int n) {
  return (n < 10 ? "0" : "") + std::to_string(n);
}

// "08:00" -> (8, 0)
std::optional<std::pair<int, int>> time_of_day(const std::string& text) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  auto h = number(text.substr(0, colon), 0, 23);
  auto m = number(text.substr(colon + 1), 0, 59);
  if (!h || !m || text.size() - colon - 1 != 2) return std::nullopt;
  return std::make_pair(*h, *m);
}

std::string systemd_quote(const std::string& word) {
  std::string out = "\"";
  for (char c : word) {
    if (c == '"' || c == '\\')
      out += std::string("\\") + c;
    else if (c == '%')
      out += "%%";
    else if (c == '$')
      out += "$$";
    else
      out += c;
  }
  return out + "\"";
}

// WorkingDirectory= and EnvironmentFile= take the rest of the line as the
// path: no quotes, only specifiers (%) escaped.
std::string systemd_path(const std::string& path) {
  std::string out;
  for (char c : path) out += c == '%' ? std::string("%%") : std::string(1, c);
  return out;
}

std::string sh_quote(const std::string& word) {
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// cron passes everything after the first unescaped % as stdin.
std::string cron_escape(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '%' ? std::string("\\%") : std::string(1, c);
  return out;
}

}  // namespace

std::optional<Every> parse_every(const std::string& raw, std::string& error) {
  std::string spec = raw;
  std::transform(spec.begin(), spec.end(), spec.begin(), [](unsigned char c) { return std::tolower(c); });
  Every every;
  every.spec = raw;
  auto fail = [&](const std::string& why) -> std::optional<Every> {
    error = "--every '" + raw + "': " + why + "; " + kGrammar;
    return std::nullopt;
  };
  if (spec == "hourly" || spec.rfind("hourly-", 0) == 0) {
    int minute = 0;
    if (spec != "hourly") {
      auto m = number(spec.substr(7), 0, 59);
      if (!m) return fail("the minute after hourly- must be 0-59");
      minute = *m;
    }
    every.on_calendar = "*-*-* *:" + two(minute) + ":00";
    every.cron_fields = std::to_string(minute) + " * * * *";
    return every;
  }
  const size_t dash = spec.rfind('-');
  if (dash == std::string::npos || dash == 0) return fail("no -HH:MM time");
  auto time = time_of_day(spec.substr(dash + 1));
  if (!time) return fail("'" + raw.substr(dash + 1) + "' is not a time HH:MM (00:00-23:59)");
  const auto [hour, minute] = *time;
  const std::string hhmm = two(hour) + ":" + two(minute) + ":00";
  const std::string cron_time = std::to_string(minute) + " " + std::to_string(hour);
  std::string days = spec.substr(0, dash);
  if (days.rfind("monthly-", 0) == 0) {
    auto day = number(days.substr(8), 1, 28);
    if (!day) return fail("the day of the month must be 1-28 (every month has it)");
    every.on_calendar = "*-*-" + two(*day) + " " + hhmm;
    every.cron_fields = cron_time + " " + std::to_string(*day) + " * *";
    return every;
  }
  if (days == "daily") {
    every.on_calendar = "*-*-* " + hhmm;
    every.cron_fields = cron_time + " * * *";
    return every;
  }
  if (days == "weekdays") {
    every.on_calendar = "Mon..Fri *-*-* " + hhmm;
    every.cron_fields = cron_time + " * * 1-5";
    return every;
  }
  if (days == "weekends") {
    every.on_calendar = "Sat,Sun *-*-* " + hhmm;
    every.cron_fields = cron_time + " * * 6,0";
    return every;
  }
  std::vector<const Day*> chosen;
  size_t start = 0;
  while (start <= days.size()) {
    size_t end = days.find(',', start);
    if (end == std::string::npos) end = days.size();
    const std::string word = days.substr(start, end - start);
    const Day* found = nullptr;
    for (const auto& d : kDays)
      if (word == d.name || (word.size() == 3 && std::string(d.name).rfind(word, 0) == 0)) found = &d;
    if (!found) return fail("unknown day '" + word + "'");
    if (std::find(chosen.begin(), chosen.end(), found) == chosen.end()) chosen.push_back(found);
    start = end + 1;
  }
  std::sort(chosen.begin(), chosen.end());  // kDays order: Monday first
  std::string systemd_days, cron_days;
  for (const auto* d : chosen) {
    systemd_days += (systemd_days.empty() ? "" : ",") + std::string(d->systemd);
    cron_days += (cron_days.empty() ? "" : ",") + std::to_string(d->cron);
  }
  every.on_calendar = systemd_days + " *-*-* " + hhmm;
  every.cron_fields = cron_time + " * * " + cron_days;
  return every;
}

std::string default_unit_name(const std::string& config_path) {
  std::string slug;
  for (char c : fs::path(config_path).stem().string()) {
    if (std::isalnum(static_cast<unsigned char>(c)))
      slug += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!slug.empty() && slug.back() != '-')
      slug += '-';
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return "tally-" + (slug.empty() ? std::string("report") : slug);
}

std::string systemd_service(const ScheduleRequest& r) {
  std::string s = "# Written by `tally schedule`: runs the report and sends it to its deliver: targets.\n";
  s += "[Unit]\nDescription=Tally report " + fs::path(r.config).filename().string() + " (" + r.every.spec +
       ")\n";
  s += "Wants=network-online.target\nAfter=network-online.target\n\n";
  s += "[Service]\nType=oneshot\n";
  s += "WorkingDirectory=" + systemd_path(fs::path(r.config).parent_path().string()) + "\n";
  if (!r.env_file.empty()) s += "EnvironmentFile=" + systemd_path(r.env_file) + "\n";
  s += "ExecStart=" + systemd_quote(r.tally) + " run " + systemd_quote(r.config) + " --deliver\n";
  s += "# The report itself goes to its files and targets; the journal keeps the log lines.\n";
  s += "StandardOutput=null\n";
  return s;
}

std::string systemd_timer(const ScheduleRequest& r) {
  std::string s = "# Written by `tally schedule --every " + r.every.spec + "` (the machine's local time).\n";
  s += "[Unit]\nDescription=Run " + r.name + ".service " + r.every.spec + "\n\n";
  s += "[Timer]\nOnCalendar=" + r.every.on_calendar + "\n";
  s += "# A run missed while the machine was off happens at the next boot.\nPersistent=true\n\n";
  s += "[Install]\nWantedBy=timers.target\n";
  return s;
}

std::string cron_line(const ScheduleRequest& r) {
  std::string command = "cd " + sh_quote(fs::path(r.config).parent_path().string()) + " && ";
  if (!r.env_file.empty()) command += "set -a && . " + sh_quote(r.env_file) + " && set +a && ";
  // --quiet: cron mails what a job writes, so only errors reach the admin.
  command += sh_quote(r.tally) + " --quiet run " + sh_quote(r.config) + " --deliver >/dev/null";
  return r.every.cron_fields + " " + cron_escape(command) + " # tally:" + r.name;
}

}  // namespace tally::deliver
