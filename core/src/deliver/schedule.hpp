// `tally schedule`: scheduling stays with the system. The `--every` grammar
// (docs/delivery.md) becomes a systemd timer's OnCalendar= or a crontab line.
#pragma once

#include <optional>
#include <string>

namespace tally::deliver {

struct Every {
  std::string spec;         // as given
  std::string on_calendar;  // systemd: "Mon *-*-* 08:00:00"
  std::string cron_fields;  // crontab: "0 8 * * 1"
};

// nullopt with `error` set (naming the grammar) when `spec` is not valid.
std::optional<Every> parse_every(const std::string& spec, std::string& error);

struct ScheduleRequest {
  std::string config;    // absolute path
  std::string tally;     // absolute path of the executable
  std::string name;      // unit / crontab marker name: tally-<stem> by default
  std::string env_file;  // absolute; empty = none
  bool system = false;   // systemd system unit instead of a user unit
  Every every;
};

// The two unit files.
std::string systemd_service(const ScheduleRequest& r);
std::string systemd_timer(const ScheduleRequest& r);
// One crontab line, ending with the marker "# tally:NAME".
std::string cron_line(const ScheduleRequest& r);

// "tally-weekly-review" from "/x/weekly review.yaml".
std::string default_unit_name(const std::string& config_path);

}  // namespace tally::deliver
