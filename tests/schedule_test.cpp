// `tally schedule`: the --every grammar, the systemd units and crontab line it
// prints, and --install (with systemctl and crontab stand-ins on PATH that
// record what they were asked, since the test machine runs no systemd).
// Every OnCalendar= expression is checked by the real `systemd-analyze calendar`.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "deliver/schedule.hpp"
#include "support/command.hpp"
#include "support/fixture.hpp"

using namespace tally::testing;
namespace fs = std::filesystem;
using tally::deliver::parse_every;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string valid_config(const TempDir& d, const StoreFixture& f) {
  return d.write("weekly review.yaml", "title: x\ndata: " + f.db_path() +
                                           "\nperiod: {last: week}\nmetrics: [win_rate]\n"
                                           "deliver:\n  - webhook: https://hooks.example.com/x\n");
}

}  // namespace

TEST(Schedule, EveryGrammarToSystemdAndCron) {
  struct Case {
    const char* spec;
    const char* on_calendar;
    const char* cron;
  };
  const Case cases[] = {
      {"monday-08:00", "Mon *-*-* 08:00:00", "0 8 * * 1"},
      {"Mon,thu-7:30", "Mon,Thu *-*-* 07:30:00", "30 7 * * 1,4"},
      {"sunday,friday-23:59", "Fri,Sun *-*-* 23:59:00", "59 23 * * 5,0"},
      {"daily-06:05", "*-*-* 06:05:00", "5 6 * * *"},
      {"weekdays-07:30", "Mon..Fri *-*-* 07:30:00", "30 7 * * 1-5"},
      {"weekends-10:00", "Sat,Sun *-*-* 10:00:00", "0 10 * * 6,0"},
      {"monthly-1-06:00", "*-*-01 06:00:00", "0 6 1 * *"},
      {"monthly-28-00:00", "*-*-28 00:00:00", "0 0 28 * *"},
      {"hourly", "*-*-* *:00:00", "0 * * * *"},
      {"hourly-15", "*-*-* *:15:00", "15 * * * *"},
  };
  const bool have_analyze = run_shell("command -v systemd-analyze").exit_code == 0;
  for (const auto& c : cases) {
    std::string error;
    auto every = parse_every(c.spec, error);
    ASSERT_TRUE(every) << c.spec << ": " << error;
    EXPECT_EQ(every->on_calendar, c.on_calendar) << c.spec;
    EXPECT_EQ(every->cron_fields, c.cron) << c.spec;
    if (have_analyze) {
      auto r = run_shell(std::string("systemd-analyze calendar '") + c.on_calendar + "'");
      EXPECT_EQ(r.exit_code, 0) << c.on_calendar << ": " << r.err;
    }
  }
  EXPECT_TRUE(have_analyze) << "systemd-analyze (Debian package systemd) checks the OnCalendar= expressions";
}

TEST(Schedule, InvalidEverySaysWhyAndShowsTheGrammar) {
  const std::pair<const char*, const char*> cases[] = {
      {"monday", "no -HH:MM time"},
      {"monday-25:00", "'25:00' is not a time HH:MM"},
      {"monday-08:0", "'08:0' is not a time"},
      {"funday-08:00", "unknown day 'funday'"},
      {"mon,,tue-08:00", "unknown day ''"},
      {"monthly-31-08:00", "the day of the month must be 1-28"},
      {"hourly-60", "the minute after hourly- must be 0-59"},
      {"", "no -HH:MM time"},
  };
  for (const auto& [spec, why] : cases) {
    std::string error;
    EXPECT_FALSE(parse_every(spec, error)) << spec;
    EXPECT_TRUE(contains(error, why)) << spec << ": " << error;
    EXPECT_TRUE(contains(error, "expected DAYS-HH:MM")) << error;
  }
  StoreFixture f;
  TempDir d;
  auto r = run_tally("schedule '" + valid_config(d, f) + "' --every tuesday-8");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "--every 'tuesday-8': '8' is not a time HH:MM")) << r.err;
}

TEST(Schedule, PrintsSystemdUnitsWithAbsolutePaths) {
  StoreFixture f;
  TempDir d;
  const std::string config = valid_config(d, f);
  auto r = run_tally("schedule '" + config + "' --every monday-08:00");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "# ~/.config/systemd/user/tally-weekly-review.service\n")) << r.out;
  EXPECT_TRUE(contains(
      r.out, "ExecStart=\"" + fs::canonical(TALLY_EXE).string() + "\" run \"" + config + "\" --deliver\n"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "WorkingDirectory=" + d.path() + "\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "[Timer]\nOnCalendar=Mon *-*-* 08:00:00\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "Persistent=true\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "WantedBy=timers.target")) << r.out;
  EXPECT_TRUE(contains(r.out,
                       "systemctl --user daemon-reload && systemctl --user enable --now "
                       "tally-weekly-review.timer"))
      << r.out;
}

TEST(Schedule, PrintsACrontabLine) {
  StoreFixture f;
  TempDir d;
  const std::string config = valid_config(d, f);
  const std::string env = d.write("secrets.env", "HOOK=x\n");
  auto r = run_tally("schedule '" + config + "' --every weekdays-07:30 --as cron --env-file '" + env + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "30 7 * * 1-5 cd '" + d.path() + "' && set -a && . '" + env +
                                  "' && set +a && '" + fs::canonical(TALLY_EXE).string() + "' --quiet run '" +
                                  config + "' --deliver >/dev/null # tally:tally-weekly-review\n"))
      << r.out;
}

TEST(Schedule, RefusesAnInvalidConfig) {
  TempDir d;
  const std::string config = d.write("bad.yaml", "title: x\nperiod: {last: week}\nmetrics: [win_rat]\n");
  auto r = run_tally("schedule '" + config + "' --every daily-06:00");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, config + ":3:")) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(Schedule, InstallWritesTheUnitsAndEnablesTheTimer) {
  StoreFixture f;
  TempDir d;
  const std::string config = valid_config(d, f);
  // A systemctl stand-in that records its arguments.
  fs::create_directories(d.file("bin"));
  d.write("bin/systemctl", "#!/bin/sh\necho \"$@\" >> '" + d.file("systemctl.calls") + "'\n");
  fs::permissions(d.file("bin/systemctl"), fs::perms::owner_all);
  auto r =
      run_shell("PATH='" + d.file("bin") + "':$PATH '" + std::string(TALLY_EXE) + "' schedule '" + config +
                "' --every monday-08:00 --install --unit-dir '" + d.file("units") + "' --name weekly");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(slurp(d.file("units/weekly.timer")), "OnCalendar=Mon *-*-* 08:00:00"));
  EXPECT_TRUE(contains(slurp(d.file("units/weekly.service")), "--deliver"));
  EXPECT_EQ(slurp(d.file("systemctl.calls")), "--user daemon-reload\n--user enable --now weekly.timer\n");
  if (run_shell("command -v systemd-analyze").exit_code == 0) {
    // The real parser of unit files finds nothing to say about them.
    auto verify = run_shell("systemd-analyze verify '" + d.file("units/weekly.timer") + "' '" +
                            d.file("units/weekly.service") + "' 2>&1");
    EXPECT_EQ(verify.exit_code, 0) << verify.out;
  }
}

TEST(Schedule, InstallSaysWhatToDoWhenSystemctlFails) {
  StoreFixture f;
  TempDir d;
  const std::string config = valid_config(d, f);
  fs::create_directories(d.file("bin"));
  d.write("bin/systemctl", "#!/bin/sh\necho 'Failed to connect to bus' >&2\nexit 1\n");
  fs::permissions(d.file("bin/systemctl"), fs::perms::owner_all);
  auto r = run_shell("PATH='" + d.file("bin") + "':$PATH '" + std::string(TALLY_EXE) + "' schedule '" +
                     config + "' --every daily-06:00 --install --unit-dir '" + d.file("units") + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(
      contains(r.err, "`systemctl --user daemon-reload` failed with exit status 1; the units are written"))
      << r.err;
  EXPECT_TRUE(fs::exists(d.file("units/tally-weekly-review.timer")));
}

TEST(Schedule, CronInstallAddsOnceAndReplacesItsOwnLine) {
  StoreFixture f;
  TempDir d;
  const std::string config = valid_config(d, f);
  fs::create_directories(d.file("bin"));
  const std::string table = d.write("crontab.txt", "MAILTO=admin@example.com\n15 3 * * * /usr/bin/backup\n");
  d.write("bin/crontab",
          "#!/bin/sh\nif [ \"$1\" = -l ]; then cat '" + table + "'; else cat > '" + table + "'; fi\n");
  fs::permissions(d.file("bin/crontab"), fs::perms::owner_all);
  const std::string tally =
      "PATH='" + d.file("bin") + "':$PATH '" + std::string(TALLY_EXE) + "' schedule '" + config;
  auto first = run_shell(tally + "' --every monday-08:00 --as cron --install");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(contains(first.out, "added in the crontab: 0 8 * * 1 ")) << first.out;
  auto second = run_shell(tally + "' --every friday-17:00 --as cron --install");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(contains(second.out, "replaced in the crontab: 0 17 * * 5 ")) << second.out;
  const std::string after = slurp(table);
  EXPECT_TRUE(after.rfind("MAILTO=admin@example.com\n15 3 * * * /usr/bin/backup\n0 17 * * 5 ", 0) == 0)
      << after;
  EXPECT_EQ(std::count(after.begin(), after.end(), '\n'), 3) << after;
}
