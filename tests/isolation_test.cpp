// Issue 13 item 1: `isolation: process`. A plugin run in its own child process
// (tally-plugin-host) gives exactly what it gives in-process; one that
// segfaults, aborts, hangs past its timeout, outgrows its memory limit or
// exits fails alone, named, while the other metrics render and tally exits 1.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "support/command.hpp"
#include "support/fixture.hpp"

using namespace tally;
using namespace tally::testing;
namespace fs = std::filesystem;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;  // ASan reports a SIGSEGV itself and cannot run under RLIMIT_AS
#else
constexpr bool kSanitized = false;
#endif

const std::string kBad = TALLY_TEST_BAD_PLUGIN_DIR;
const std::string kShipped = TALLY_TEST_PLUGIN_DIR;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A store with three opportunities created in Q1 2025 and one before it.
struct Store : StoreFixture {
  Store() {
    exec(
        "INSERT INTO opportunities(id, created_at, status) VALUES (1, '2025-01-10', 'open'), "
        "(2, '2025-02-10', 'open'), (3, '2025-03-10', 'open'), (4, '2024-12-10', 'open')");
  }
  // A config over Q1 2025 with `metrics` (YAML list items, one per line).
  std::string config(const std::string& name, const std::string& metrics,
                     const std::string& plugin_paths = "[" + kBad + "]") const {
    return dir().write(name + ".yaml", "title: t\ndata: " + db_path() + "\nplugin_paths: " + plugin_paths +
                                           "\nperiod: {from: 2025-01-01, to: 2025-04-01}\nmetrics:\n" +
                                           metrics);
  }
};

nlohmann::json metric(const nlohmann::json& run, const std::string& name) {
  for (const auto& m : run["metrics"])
    if (m["name"] == name) return m;
  ADD_FAILURE() << "no metric " << name << " in " << run.dump();
  return {};
}

// Runs `fault` (a bad plugin) isolated between two good metrics, as JSON.
struct FaultRun {
  CommandResult result;
  nlohmann::json json;
};
FaultRun run_with_fault(const Store& s, const std::string& fault, const std::string& settings) {
  const std::string config =
      s.config("fault-" + fault, "  - {use: good_metric, as: before}\n  - {use: " + fault +
                                     ", as: bad, isolation: process" + settings +
                                     "}\n  - {use: good_metric, as: after}\n");
  FaultRun out;
  out.result = run_tally("run '" + config + "' --format json --jobs 3");
  out.json = nlohmann::json::parse(out.result.out, nullptr, false);
  return out;
}

void expect_others_intact(const FaultRun& r) {
  EXPECT_EQ(r.result.exit_code, 1) << r.result.err;
  ASSERT_FALSE(r.json.is_discarded()) << r.result.out << r.result.err;
  for (const char* name : {"before", "after"}) {
    auto m = metric(r.json, name);
    EXPECT_EQ(m["status"], "ok") << name;
    EXPECT_EQ(m["kpis"][0]["value"], 3) << name;  // the three opportunities of Q1
  }
  EXPECT_EQ(metric(r.json, "bad")["status"], "error");
  EXPECT_TRUE(metric(r.json, "bad")["kpis"].empty());
}

// The run's JSON without the one fact that differs between two runs.
nlohmann::json timeless(const std::string& out) {
  auto json = nlohmann::json::parse(out, nullptr, false);
  if (json.is_object() && json.contains("provenance")) json["provenance"].erase("generated_at");
  return json;
}

std::string error_of(const FaultRun& r) {
  return metric(r.json, "bad").value("error", std::string());
}

}  // namespace

TEST(Isolation, AGoodMetricGivesTheSameResultInItsOwnProcess) {
  Store s;
  auto in_process = run_tally("run '" + s.config("in", "  - {use: good_metric}\n") + "' --format json");
  auto isolated = run_tally("run '" + s.config("iso", "  - {use: good_metric, isolation: process}\n") +
                            "' --format json");
  ASSERT_EQ(in_process.exit_code, 0) << in_process.err;
  ASSERT_EQ(isolated.exit_code, 0) << isolated.err;
  EXPECT_EQ(timeless(in_process.out), timeless(isolated.out));
  EXPECT_EQ(metric(nlohmann::json::parse(isolated.out), "good_metric")["kpis"][0]["value"], 3);
}

TEST(Isolation, ASegfaultKillsOnlyItsOwnProcess) {
  Store s;
  auto r = run_with_fault(s, "segfault_metric", "");
  expect_others_intact(r);
  if (kSanitized) return;
  EXPECT_EQ(error_of(r), "plugin 'segfault_metric' (metric 'bad') was killed by signal 11 (SIGSEGV)");
  EXPECT_TRUE(contains(r.result.err, "was killed by signal 11 (SIGSEGV)")) << r.result.err;
  // Sent at once, not batched with later calls: the crash does not swallow it.
  EXPECT_TRUE(contains(r.result.err, "[bad] about to dereference a null pointer")) << r.result.err;
}

TEST(Isolation, AnAbortKillsOnlyItsOwnProcess) {
  Store s;
  auto r = run_with_fault(s, "abort_metric", "");
  expect_others_intact(r);
  EXPECT_EQ(error_of(r), "plugin 'abort_metric' (metric 'bad') was killed by signal 6 (SIGABRT)");
}

TEST(Isolation, AHangIsStoppedAtItsTimeout) {
  Store s;
  const auto started = std::chrono::steady_clock::now();
  auto r = run_with_fault(s, "hang_metric", ", timeout: 1s");
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  expect_others_intact(r);
  EXPECT_EQ(error_of(r), "plugin 'hang_metric' (metric 'bad') exceeded its timeout of 1 s and was stopped");
  EXPECT_LT(took, 30) << "the timeout did not stop it";
}

TEST(Isolation, AMemoryHogRunsOutOfItsLimit) {
  if (kSanitized) GTEST_SKIP() << "ASan's shadow memory does not fit an address-space limit";
  Store s;
  auto r = run_with_fault(s, "memory_hog", ", memory: 64MiB");
  expect_others_intact(r);
  EXPECT_EQ(error_of(r), "plugin 'memory_hog' (metric 'bad') ran out of its memory limit of 64 MiB");
}

TEST(Isolation, APluginCallingExitEndsOnlyItsProcess) {
  Store s;
  const std::string config = s.config(
      "exit",
      "  - {use: good_metric, as: before}\n  - {use: exit_metric, as: bad, isolation: process, params: "
      "{mode: _exit}}\n  - {use: good_metric, as: after}\n");
  FaultRun r;
  r.result = run_tally("run '" + config + "' --format json");
  r.json = nlohmann::json::parse(r.result.out, nullptr, false);
  expect_others_intact(r);
  EXPECT_EQ(
      error_of(r),
      "plugin 'exit_metric' (metric 'bad'): its process ended with exit code 0 before the plugin returned");
}

TEST(Isolation, TheFailureReadsTheSameInEveryReportFormat) {
  Store s;
  const std::string config = s.config("formats",
                                      "  - {use: good_metric, as: fine}\n  - {use: segfault_metric, "
                                      "as: bad, isolation: process}\n");
  const std::string message =
      kSanitized ? "plugin 'segfault_metric' (metric 'bad')" : "was killed by signal 11 (SIGSEGV)";
  for (const char* format : {"table", "markdown", "json"}) {
    auto r = run_tally("run '" + config + "' --format " + format);
    EXPECT_EQ(r.exit_code, 1) << format;
    EXPECT_TRUE(contains(r.out, message)) << format << ":\n" << r.out;
  }
  TempDir out;
  for (const char* format : {"csv", "html"}) {
    auto r = run_tally("run '" + config + "' --format " + format + " --out '" + out.path() + "'");
    EXPECT_EQ(r.exit_code, 1) << format;
    std::string all;
    for (const auto& entry : fs::recursive_directory_iterator(out.path())) {
      std::ifstream in(entry.path());
      std::stringstream text;
      text << in.rdbuf();
      all += text.str();
    }
    // csv writes no file for a failed metric; it says why on stderr.
    EXPECT_TRUE(contains(std::string(format) == "csv" ? r.err : all, message)) << format << r.err;
  }
}

TEST(Isolation, APluginFolderCanMakeProcessTheDefault) {
  Store s;
  const std::string config =
      s.config("folder", "  - {use: good_metric, as: before}\n  - {use: segfault_metric, as: bad}\n",
               "[{path: " + kBad + ", isolation: process, timeout: 30s}]");
  FaultRun r;
  r.result = run_tally("run '" + config + "' --format json");
  r.json = nlohmann::json::parse(r.result.out, nullptr, false);
  EXPECT_EQ(r.result.exit_code, 1);
  EXPECT_EQ(metric(r.json, "before")["kpis"][0]["value"], 3);
  if (!kSanitized) {
    EXPECT_EQ(error_of(r), "plugin 'segfault_metric' (metric 'bad') was killed by signal 11 (SIGSEGV)");
  }
}

TEST(Isolation, AnEntryCanOptOutOfItsFoldersDefault) {
  Store s;
  const std::string config = s.config("optout", "  - {use: good_metric, isolation: in_process}\n",
                                      "[{path: " + kBad + ", isolation: process}]");
  auto r = run_tally("run '" + config + "' --format json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(contains(r.err, "started in process")) << r.err;
}

TEST(Isolation, ARefusedLibraryIsRefusedWithTheSameMessage) {
  Store s;
  for (const char* plugin : {"sha_mismatch", "major2_library", "no_entry"}) {
    const std::string in =
        s.config(std::string("r-in-") + plugin, std::string("  - {use: ") + plugin + "}\n");
    const std::string iso = s.config(std::string("r-iso-") + plugin,
                                     std::string("  - {use: ") + plugin + ", isolation: process}\n");
    auto a = nlohmann::json::parse(run_tally("run '" + in + "' --format json").out, nullptr, false);
    auto b = nlohmann::json::parse(run_tally("run '" + iso + "' --format json").out, nullptr, false);
    ASSERT_FALSE(a.is_discarded() || b.is_discarded()) << plugin;
    EXPECT_EQ(a["metrics"][0]["error"], b["metrics"][0]["error"]) << plugin;
    EXPECT_FALSE(a["metrics"][0]["error"].get<std::string>().empty()) << plugin;
  }
}

TEST(Isolation, ReportsRunIsolatedAndWriteTheSameFile) {
  Store s;
  TempDir out;
  auto config_with = [&](const std::string& name, const std::string& extra) {
    return s.dir().write(name + ".yaml", "title: t\ndata: " + s.db_path() + "\nplugin_paths: [" + kBad +
                                             "]\nperiod: {from: 2025-01-01, to: 2025-04-01}\n"
                                             "metrics:\n  - good_metric\nreports:\n  - {use: json, path: " +
                                             out.file(name + ".json") + extra + "}\n  - {use: markdown" +
                                             extra + "}\n");
  };
  auto a = run_tally("run '" + config_with("in", "") + "'");
  auto b = run_tally("run '" + config_with("iso", ", isolation: process") + "'");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  // markdown on stdout, through write_output; only the time it was generated differs
  const std::regex generated("Generated at: [0-9T:Z-]+");
  EXPECT_EQ(std::regex_replace(a.out, generated, ""), std::regex_replace(b.out, generated, ""));
  std::ifstream fa(out.file("in.json")), fb(out.file("iso.json"));
  std::stringstream ta, tb;
  ta << fa.rdbuf();
  tb << fb.rdbuf();
  EXPECT_FALSE(ta.str().empty());
  EXPECT_EQ(timeless(ta.str()), timeless(tb.str()));
}

// The shipped demo, every metric isolated: byte for byte the JSON of the
// in-process run (datasets, warnings, notes, drill-downs, data checks all cross).
TEST(Isolation, TheDemoGivesIdenticalJsonWithEveryMetricIsolated) {
  std::ifstream in(std::string(TALLY_SOURCE_DIR) + "/configs/demo.yaml");
  std::stringstream text;
  text << in.rdbuf();
  TempDir dir;
  const std::string plain = dir.write("demo.yaml", text.str());
  const std::string isolated = dir.write(
      "demo-isolated.yaml", text.str() + "\nplugin_paths: [{path: " + kShipped + ", isolation: process}]\n");
  const std::string data = " --data '" + demo_database() + "' --format json";
  auto a = run_tally("run '" + plain + "'" + data);
  auto b = run_tally("-vv run '" + isolated + "'" + data);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_TRUE(contains(b.err, "started in process")) << "the metrics did not run isolated";
  auto ja = timeless(a.out), jb = timeless(b.out);
  ASSERT_FALSE(ja["metrics"].empty());
  EXPECT_EQ(ja.dump(1), jb.dump(1));
}

TEST(IsolationConfig, BadValuesAreConfigErrorsWithTheirPlace) {
  Store s;
  const std::string config = s.config("bad-values",
                                      "  - {use: good_metric, as: a, isolation: sandbox}\n"
                                      "  - {use: good_metric, as: b, isolation: process, timeout: soon}\n"
                                      "  - {use: good_metric, as: c, isolation: process, memory: 12MiB}\n"
                                      "  - {use: good_metric, as: d, isolation: process, memory: 5 parsecs}\n"
                                      "  - {use: good_metric, as: e, timeout: 2s}\n");
  for (const char* command : {"run", "check"}) {
    auto r = run_tally(std::string(command) + " '" + config + "'");
    EXPECT_NE(r.exit_code, 0) << command;
    EXPECT_TRUE(contains(r.err, config + ":6:42: isolation must be process or in_process, not 'sandbox'"))
        << r.err;
    EXPECT_TRUE(contains(r.err, config + ":7:60: timeout 'soon' is not a duration")) << r.err;
    EXPECT_TRUE(contains(r.err, config + ":8:59: memory '12MiB' is below the smallest limit, 32 MiB"))
        << r.err;
    EXPECT_TRUE(contains(r.err, config + ":9:59: memory '5 parsecs' has an unknown unit 'parsecs'")) << r.err;
    EXPECT_TRUE(contains(r.err, config + ":10:31: timeout: and memory: apply only to a plugin run with "
                                         "isolation: process"))
        << r.err;
  }
}

TEST(IsolationConfig, CheckAcceptsTheNewKeys) {
  Store s;
  const std::string config =
      s.config("good-keys",
               "  - {use: good_metric, as: a, isolation: process, timeout: 500ms, "
               "memory: 256MiB}\n  - {use: good_metric, as: b, isolation: in_process}\n",
               "[{path: " + kBad + ", isolation: process, memory: 1GiB}]");
  auto r = run_tally("check '" + config + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
}

// The children are forked by one plugin host server per run: each still gets
// its own `memory:` (RLIMIT_AS set in the child, never in the server), so a
// limit given to one use is not inherited by the next child.
TEST(Isolation, EveryChildGetsItsOwnMemoryLimit) {
  if (kSanitized) GTEST_SKIP() << "ASan's shadow memory does not fit an address-space limit";
  Store s;
  const std::string config = s.config("limits",
                                      "  - {use: memory_limit_metric, as: small, isolation: process, "
                                      "memory: 64MiB}\n  - {use: memory_limit_metric, as: none, isolation: "
                                      "process}\n  - {use: memory_limit_metric, as: large, isolation: "
                                      "process, memory: 1GiB}\n");
  for (const char* jobs : {"1", "3"}) {
    auto r = run_tally("run '" + config + "' --format json --jobs " + jobs);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto json = nlohmann::json::parse(r.out);
    EXPECT_EQ(metric(json, "small")["kpis"][0]["value"], 64) << jobs;
    EXPECT_EQ(metric(json, "none")["kpis"][0]["value"], -1) << jobs;
    EXPECT_EQ(metric(json, "large")["kpis"][0]["value"], 1024) << jobs;
  }
}

// A plugin that kills the plugin host server takes every isolated child with
// it (they die with the server, as with tally): each isolated plugin fails
// alone, saying so; the in-process metrics render and tally exits 1.
TEST(Isolation, WhenThePluginHostServerDiesEachIsolatedPluginFailsAlone) {
  Store s;
  const std::string config = s.config("server-dies",
                                      "  - {use: good_metric, as: before}\n"
                                      "  - {use: kill_server, as: bad, isolation: process}\n"
                                      "  - {use: good_metric, as: isolated_after, isolation: process}\n"
                                      "  - {use: good_metric, as: after}\n");
  FaultRun r;
  r.result = run_tally("run '" + config + "' --format json --jobs 1");
  r.json = nlohmann::json::parse(r.result.out, nullptr, false);
  expect_others_intact(r);
  const std::regex server_killed(
      "tally's plugin host server \\(process [0-9]+\\) was killed by signal 9 \\(SIGKILL\\)$");
  EXPECT_TRUE(std::regex_search(error_of(r), server_killed)) << error_of(r);
  EXPECT_EQ(error_of(r).rfind("plugin 'kill_server' (metric 'bad') ended when ", 0), 0u) << error_of(r);
  const auto after = metric(r.json, "isolated_after");
  EXPECT_EQ(after["status"], "error");
  const std::string why = after.value("error", std::string());
  EXPECT_TRUE(std::regex_search(why, server_killed)) << why;
  EXPECT_EQ(why.rfind("plugin 'good_metric'", 0), 0u) << why;
}
