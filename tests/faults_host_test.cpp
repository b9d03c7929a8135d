// Issue 15, the host's side: a library swapped between check and load, symlinked
// plugins, shadowed plugin names, plugins that end the process, oversized
// configs, and output that must not drive a terminal or a spreadsheet.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "plugins/registry.hpp"
#include "support/command.hpp"
#include "support/fixture.hpp"
#include "util/text.hpp"

using namespace tally;
using namespace tally::testing;
namespace fs = std::filesystem;

namespace {

const std::string kBad = TALLY_TEST_BAD_PLUGIN_DIR;

// A folder holding a copy of good_metric: its manifest and its library.
void copy_good_metric(const TempDir& dir) {
  fs::copy_file(kBad + "/good_metric.plugin.yaml", dir.file("good_metric.plugin.yaml"));
  fs::copy_file(kBad + "/libtally_good_metric.so", dir.file("libtally_good_metric.so"));
}

std::string load_error(const std::string& dir, const std::string& name) {
  plugins::Registry registry(std::vector<std::string>{dir});
  try {
    registry.load(name);
  } catch (const plugins::PluginError& e) {
    return e.what();
  }
  return "(loaded without error)";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

// ---- 1. the bytes checked are the bytes loaded ----

TEST(FaultsLoader, TheUnvouchedLibraryLeavesAMarkerWhenItIsLoaded) {
  // The swap test below relies on this: loading the unvouched library (here
  // through its own manifest) does write the marker.
  TempDir dir;
  const std::string marker = dir.file("marker");
  ::setenv("TALLY_TEST_UNVOUCHED_MARKER", marker.c_str(), 1);
  {
    plugins::Registry registry(std::vector<std::string>{kBad});
    registry.load("unvouched");
  }
  ::unsetenv("TALLY_TEST_UNVOUCHED_MARKER");
  EXPECT_TRUE(fs::exists(marker));
}

TEST(FaultsLoader, ALibrarySwappedInALoopNeverRunsCodeTheManifestDidNotVouchFor) {
  TempDir dir;
  copy_good_metric(dir);
  const std::string good = slurp(kBad + "/libtally_good_metric.so");
  const std::string evil = slurp(kBad + "/libtally_unvouched.so");
  ASSERT_FALSE(good.empty());
  ASSERT_FALSE(evil.empty());
  ASSERT_NE(good, evil);
  const std::string target = dir.file("libtally_good_metric.so");
  const std::string staging = dir.file("staging.so");
  const std::string marker = dir.file("marker");
  ::setenv("TALLY_TEST_UNVOUCHED_MARKER", marker.c_str(), 1);

  // The helper process: writes the good or the unvouched bytes to a staging
  // file and renames it over the library, over and over (system calls only).
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    for (unsigned i = 0;; ++i) {
      const std::string& bytes = i % 2 ? evil : good;
      int fd = ::open(staging.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd < 0) ::_exit(3);
      for (size_t done = 0; done < bytes.size();) {
        ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n <= 0) ::_exit(4);
        done += static_cast<size_t>(n);
      }
      ::close(fd);
      ::rename(staging.c_str(), target.c_str());
    }
  }

  int loaded = 0, refused = 0;
  std::vector<std::string> other_errors;
  for (int i = 0; i < 200; ++i) {
    plugins::Registry registry(std::vector<std::string>{dir.path()});
    try {
      auto plugin = registry.load("good_metric");
      ++loaded;
    } catch (const plugins::PluginError& e) {
      if (contains(e.what(), "does not match its manifest"))
        ++refused;
      else
        other_errors.push_back(e.what());
    }
  }
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ::unsetenv("TALLY_TEST_UNVOUCHED_MARKER");

  std::cout << "swap test: " << loaded << " loads of the vouched library, " << refused
            << " refused as not matching the manifest\n";
  EXPECT_FALSE(fs::exists(marker)) << "unvouched code ran: " << slurp(marker);
  EXPECT_TRUE(other_errors.empty()) << other_errors.front();
  EXPECT_EQ(loaded + refused, 200);
  // Both outcomes happened, so the race was really run.
  EXPECT_GT(loaded, 0);
  EXPECT_GT(refused, 0);
}

// ---- 2. symlinks: followed within the plugin folder, refused out of it ----

TEST(FaultsLoader, ALibrarySymlinkInsideThePluginFolderIsFollowedAndChecked) {
  TempDir dir;
  fs::copy_file(kBad + "/good_metric.plugin.yaml", dir.file("good_metric.plugin.yaml"));
  fs::copy_file(kBad + "/libtally_good_metric.so", dir.file("libtally_good_metric.so.1"));
  fs::create_symlink("libtally_good_metric.so.1", dir.file("libtally_good_metric.so"));
  EXPECT_EQ(load_error(dir.path(), "good_metric"), "(loaded without error)");
  // The target's bytes are what is checked.
  fs::remove(dir.file("libtally_good_metric.so.1"));
  fs::copy_file(kBad + "/libtally_unvouched.so", dir.file("libtally_good_metric.so.1"));
  EXPECT_TRUE(contains(load_error(dir.path(), "good_metric"), "does not match its manifest"));
}

TEST(FaultsLoader, ALibrarySymlinkOutOfThePluginFolderIsRefused) {
  TempDir dir;
  fs::copy_file(kBad + "/good_metric.plugin.yaml", dir.file("good_metric.plugin.yaml"));
  fs::create_symlink(kBad + "/libtally_good_metric.so", dir.file("libtally_good_metric.so"));
  std::string e = load_error(dir.path(), "good_metric");
  EXPECT_TRUE(contains(e, "is a symlink to '" + fs::canonical(kBad + "/libtally_good_metric.so").string() +
                              "', outside the plugin folder '" + fs::canonical(dir.path()).string() + "'"))
      << e;
}

TEST(FaultsLoader, AManifestSymlinkIsReadOnlyWhenItsTargetIsInTheFolder) {
  TempDir dir;
  fs::copy_file(kBad + "/libtally_good_metric.so", dir.file("libtally_good_metric.so"));
  fs::copy_file(kBad + "/good_metric.plugin.yaml", dir.file("good_metric.yaml.orig"));
  fs::create_symlink("good_metric.yaml.orig", dir.file("good_metric.plugin.yaml"));
  {
    plugins::Registry registry(std::vector<std::string>{dir.path()});
    EXPECT_NE(registry.find("good_metric"), nullptr);
    EXPECT_TRUE(registry.problems().empty());
  }
  fs::remove(dir.file("good_metric.plugin.yaml"));
  fs::create_symlink(kBad + "/good_metric.plugin.yaml", dir.file("good_metric.plugin.yaml"));
  plugins::Registry registry(std::vector<std::string>{dir.path()});
  EXPECT_EQ(registry.find("good_metric"), nullptr);
  ASSERT_EQ(registry.problems().size(), 1u);
  EXPECT_TRUE(contains(registry.problems()[0].format(), "refused: the manifest is a symlink to '"))
      << registry.problems()[0].format();
  EXPECT_TRUE(contains(registry.problems()[0].format(), "outside the plugin folder"));
}

// ---- 3. a config's plugin may not take an installed plugin's name ----

namespace {

// A folder with a plugin named win_rate (good_metric's library, renamed manifest).
// A second copy of the shipped win_rate in its own folder: a plugin whose
// name (manifest and note alike) is an installed one's.
void fake_win_rate(const TempDir& dir, const std::string& sub) {
  fs::create_directories(dir.file(sub));
  const std::string shipped = TALLY_TEST_PLUGIN_DIR;
  fs::copy_file(shipped + "/libtally_win_rate.so", dir.file(sub + "/libtally_win_rate.so"));
  fs::copy_file(shipped + "/win_rate.plugin.yaml", dir.file(sub + "/win_rate.plugin.yaml"));
}

}  // namespace

TEST(FaultsShadow, AConfigPluginWithAnInstalledNameIsRefused) {
  StoreFixture f;
  fake_win_rate(f.dir(), "mine");
  std::string config = f.dir().write("c.yaml", "title: t\ndata: " + f.db_path() +
                                                   "\nplugin_paths: [mine]\n"
                                                   "period: {from: 2025-01-01, to: 2025-04-01}\n"
                                                   "metrics: [{use: win_rate}]\n");
  auto r = run_tally("run '" + config + "' --format json");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "c.yaml:3:16: plugin 'win_rate' in " + f.dir().file("mine") + " (" +
                                  f.dir().file("mine/win_rate.plugin.yaml") +
                                  ") shadows the installed one at "))
      << r.err;
  EXPECT_TRUE(contains(r.err, "add `override: true` to this plugin_paths entry")) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(FaultsShadow, OverrideTrueRunsTheConfigPluginAndNamesBoth) {
  StoreFixture f;
  f.exec(
      "INSERT INTO opportunities(id, created_at, status) VALUES (1, '2025-01-10', 'open'), (2, '2025-02-10', "
      "'open')");
  fake_win_rate(f.dir(), "mine");
  std::string config =
      f.dir().write("c.yaml", "title: t\ndata: " + f.db_path() +
                                  "\nplugin_paths:\n  - {path: mine, override: true}\n  - " + kBad +
                                  "\nperiod: {from: 2025-01-01, to: 2025-04-01}\n"
                                  "metrics: [{use: win_rate}]\nreports: [{use: warnings_report}]\n");
  auto r = run_tally("run '" + config + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::string named = "plugin 'win_rate' from " + f.dir().file("mine/win_rate.plugin.yaml") +
                            " replaces the installed one at ";
  EXPECT_TRUE(contains(r.err, "warning: " + named)) << r.err;
  EXPECT_TRUE(contains(r.err, "/win_rate.plugin.yaml (override: true in the config)")) << r.err;
  EXPECT_TRUE(contains(r.out, "warning: " + named)) << r.out;
}

TEST(FaultsShadow, PluginPathsEntriesAreCheckedAsWritten) {
  StoreFixture f;
  std::string config =
      f.dir().write("c.yaml", "data: " + f.db_path() +
                                  "\nplugin_paths: [{path: mine, override: yes}, {overide: true}]\n"
                                  "period: {from: 2025-01-01, to: 2025-04-01}\n"
                                  "metrics: [{use: win_rate}]\n");
  auto r = run_tally("check '" + config + "'");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "c.yaml:2:39: override must be true or false, not 'yes'")) << r.err;
  EXPECT_TRUE(contains(r.err, "unknown key 'overide' in a plugin_paths entry; did you mean 'override'?"))
      << r.err;
}

// ---- 4. a plugin that ends the process never passes for success ----

namespace {

std::string exit_config(const StoreFixture& f, const std::string& mode) {
  return f.dir().write("exit-" + mode + ".yaml",
                       "title: t\ndata: " + f.db_path() + "\nplugin_paths: [" + kBad +
                           "]\nperiod: {from: 2025-01-01, to: 2025-04-01}\n"
                           "metrics:\n  - {use: good_metric, as: a}\n  - {use: good_metric, as: b}\n"
                           "  - {use: exit_metric, as: boom, params: {mode: " +
                           mode +
                           "}}\n"
                           "  - {use: good_metric, as: c}\n  - {use: good_metric, as: d}\n");
}

void expect_exit_is_a_failure(const std::string& mode, int runs) {
  StoreFixture f;
  f.exec("INSERT INTO opportunities(id, created_at, status) VALUES (1, '2025-01-10', 'open')");
  const std::string config = exit_config(f, mode);
  for (int i = 0; i < runs; ++i) {
    auto r = run_tally("run '" + config + "' --format json --jobs 4");
    ASSERT_EQ(r.exit_code, 1) << "run " << i << ": " << r.err;
    ASSERT_TRUE(contains(r.err, "tally: plugin 'exit_metric' (metric 'boom') called " + mode +
                                    "(0) while it ran; the run is stopped and failed (exit code 1)"))
        << "run " << i << ": " << r.err;
  }
}

}  // namespace

TEST(FaultsExit, APluginCallingExitFailsTheRunAndIsNamed) {
  expect_exit_is_a_failure("exit", 20);
}
TEST(FaultsExit, APluginCallingUnderscoreExitFailsTheRunAndIsNamed) {
  expect_exit_is_a_failure("_exit", 20);
}
TEST(FaultsExit, APluginCallingQuickExitFailsTheRunAndIsNamed) {
  expect_exit_is_a_failure("quick_exit", 20);
}
TEST(FaultsExit, APluginCallingCapitalExitFailsTheRunAndIsNamed) {
  expect_exit_is_a_failure("_Exit", 5);
}

TEST(FaultsExit, TheHostsOwnExitIsUnchanged) {
  // Outside plugin code the exported exit functions behave as the C library's.
  auto r = run_tally("--version");
  EXPECT_EQ(r.exit_code, 0);
  auto bad = run_tally("no-such-command");
  EXPECT_EQ(bad.exit_code, 2);
}

// ---- 5. size limits ----

TEST(FaultsLimits, AConfigLargerThan10MbIsRefusedBeforeParsing) {
  TempDir dir;
  const std::string config = dir.file("huge.yaml");
  { std::ofstream(config) << "title: t\n"; }
  fs::resize_file(config, 104857600);  // sparse: 100 MiB = 104.9 MB
  auto started = std::chrono::steady_clock::now();
  auto r = run_tally("run '" + config + "'");
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err, config +
                       ": cannot read config: the file is 104.9 MB; configs, mappings and manifests larger "
                       "than 10 MB are refused\n");
  EXPECT_LT(seconds, 5.0);
}

TEST(FaultsLimits, AMappingLargerThan10MbIsRefusedBeforeParsing) {
  TempDir dir;
  const std::string mapping = dir.file("huge-mapping.yaml");
  { std::ofstream(mapping) << "source: csv\n"; }
  fs::resize_file(mapping, 10000001);
  const std::string csv = dir.write("a.csv", "id\n1\n");
  auto r = run_tally("import --mapping '" + mapping + "' --db '" + dir.file("x.db") + "' '" + csv + "'");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(
      contains(r.err, "the file is 10.0 MB; configs, mappings and manifests larger than 10 MB are refused"))
      << r.err;
  EXPECT_FALSE(fs::exists(dir.file("x.db")));
}

// ---- 6. output safety ----

TEST(FaultsOutput, ControlCharactersAreEscapedForTheTerminal) {
  EXPECT_EQ(escape_for_terminal("\x1b[2Jgone"), "\\e[2Jgone");
  EXPECT_EQ(escape_for_terminal("a\tb\rc\x7f\x01"), "a\\tb\\rc\\x7f\\x01");
  EXPECT_EQ(escape_for_terminal("two\nlines"), "two\nlines");
  EXPECT_EQ(escape_for_terminal("two\nlines", false), "two\\nlines");
  EXPECT_EQ(escape_for_terminal("c1 \xc2\x9b"
                                "31m"),
            "c1 \\u009b31m");
  EXPECT_EQ(escape_for_terminal("bad \xff\x80 byte"), "bad \\xff\\x80 byte");
  EXPECT_EQ(escape_for_terminal("Zoë Ångström €5 ✓"), "Zoë Ångström €5 ✓");
}

TEST(FaultsOutput, EscapeSequencesFromConfigsAndDataNeverReachTheTerminal) {
  StoreFixture f;
  f.exec("INSERT INTO opportunities(id, created_at, status) VALUES (1, '2025-01-10', 'open')");
  std::string config = f.dir().write(
      "c.yaml", "title: \"Q1\\e]0;pwned\\a\\e[2J\"\ndata: " + f.db_path() + "\nplugin_paths: [" + kBad +
                    "]\nperiod: {from: 2025-01-01, to: 2025-04-01}\n"
                    "metrics: [{use: good_metric, title: \"Deals\\e[31m\"}]\n");
  auto r = run_tally("run '" + config + "' --format table");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('\a'), std::string::npos) << r.out;
  EXPECT_TRUE(contains(r.out, "Q1\\e]0;pwned\\x07\\e[2J")) << r.out;
  EXPECT_TRUE(contains(r.out, "== Deals\\e[31m ==")) << r.out;

  // A diagnostic quoting user text.
  std::string bad = f.dir().write("bad.yaml", "data: " + f.db_path() +
                                                  "\nperiod: {from: 2025-01-01, to: 2025-04-01}\n"
                                                  "metrics: [{use: \"evil\\e[2J\"}]\n");
  auto e = run_tally("run '" + bad + "'");
  EXPECT_EQ(e.exit_code, 2);
  EXPECT_EQ(e.err.find('\x1b'), std::string::npos) << e.err;
  EXPECT_TRUE(contains(e.err, "evil\\e[2J")) << e.err;
}

TEST(FaultsOutput, CannotOpenForWritingCarriesTheOsReason) {
  StoreFixture f;
  f.exec("INSERT INTO opportunities(id, created_at, status) VALUES (1, '2025-01-10', 'open')");
  const std::string long_name(300, 'x');
  for (const std::string report : {"html", "json", "markdown"}) {
    std::string config =
        f.dir().write("c-" + report + ".yaml", "title: t\ndata: " + f.db_path() + "\nplugin_paths: [" + kBad +
                                                   "]\nperiod: {from: 2025-01-01, to: 2025-04-01}\n"
                                                   "metrics: [{use: good_metric}]\n"
                                                   "reports: [{use: " +
                                                   report + ", path: " + long_name + "}]\n");
    auto r = run_tally("run '" + config + "' --out '" + f.dir().path() + "'");
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_TRUE(
        contains(r.err, "cannot open " + f.dir().file(long_name) + " for writing: File name too long"))
        << report << ": " << r.err;
  }
  std::string config =
      f.dir().write("c-csv.yaml", "title: t\ndata: " + f.db_path() + "\nplugin_paths: [" + kBad +
                                      "]\nperiod: {from: 2025-01-01, to: 2025-04-01}\n"
                                      "metrics: [{use: good_metric}]\n"
                                      "reports: [{use: csv, dir: " +
                                      long_name + "}]\n");
  auto r = run_tally("run '" + config + "' --out '" + f.dir().path() + "'");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.err, f.dir().file(long_name) + ": File name too long")) << r.err;
}

TEST(FaultsShadow, AConfigListingAnInstalledFolderShadowsNothing) {
  // `plugin_paths: [../build/plugins]` names the very folder tally installs from.
  StoreFixture f;
  std::string config = f.dir().write("c.yaml", "data: " + f.db_path() +
                                                   "\nplugin_paths: [" TALLY_TEST_PLUGIN_DIR
                                                   "]\nperiod: {from: 2025-01-01, to: 2025-04-01}\n"
                                                   "metrics: [{use: win_rate}]\n");
  auto r = run_tally("check '" + config + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}
