// The tally subcommands. Each prints results to stdout, problems to stderr
// (through spdlog) and returns the process exit code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tally::cli {

// Exit codes (DESIGN.md): 0 everything ran, 1 some metric or report failed,
// 2 invalid config or command line (nothing ran).
enum ExitCode : int { kOk = 0, kSomethingFailed = 1, kInvalid = 2 };

struct RunArgs {
  std::string config;
  std::string data;     // --data: overrides the config's data
  std::string format;   // --format: replaces the config's reports with one to stdout
  std::string out_dir;  // --out
  unsigned jobs = 0;
  double busy_timeout = 5;         // --busy-timeout SECONDS: wait this long for an import's lock
  double statement_timeout = 300;  // --statement-timeout SECONDS (PostgreSQL; 0 = no limit)
};
int run(const RunArgs& args);
int check(const std::string& config_path, const std::string& data_override, double busy_timeout = 5);
int list_plugins(const std::vector<std::string>& extra_dirs);
int describe(const std::string& plugin, const std::vector<std::string>& extra_dirs);

struct DemoArgs {
  std::string db = "data/demo.db";
  int scale = 1;
  uint64_t seed = 42;
};
int demo(const DemoArgs& args);

struct ImportArgs {
  std::string mapping;
  std::string db;
  std::vector<std::string> files;
  bool dry_run = false;
  bool strict = false;
  double busy_timeout = 5;  // --busy-timeout SECONDS
};
int import_files(const ImportArgs& args);

int migrate(const std::string& db);
// `tally recover --db FILE`: rolls back an interrupted import.
int recover(const std::string& db, double busy_timeout);

struct NewPluginArgs {
  std::string name;
  std::string kind = "metric";
  std::string dir;  // default: ./<name>
};
int new_plugin(const NewPluginArgs& args);

}  // namespace tally::cli
