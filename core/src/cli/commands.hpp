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
  double busy_timeout = 5;  // --busy-timeout SECONDS: wait this long for an import's lock
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

// `tally plugin install PATH... [--dir DIR]`, `tally plugin verify [NAME]`,
// `tally plugin sign --key KEY MANIFEST...` (cli/plugin_commands.cpp).
struct PluginCommandArgs {
  std::vector<std::string> paths;         // install: folders, manifests, .tar.gz; sign: manifests
  std::string name;                       // verify: one plugin (default: all)
  std::string dir;                        // install: the plugin folder to install into; verify: it too
  std::vector<std::string> plugin_paths;  // verify: folders to check (default: the search path)
  std::string key;                        // sign: ed25519 private key (PEM)
  std::string trusted_keys;               // folder of trusted public keys (default $TALLY_TRUSTED_KEYS)
  bool require_signed = false;            // refuse unsigned plugins
};
int plugin_install(const PluginCommandArgs& args);
int plugin_verify(const PluginCommandArgs& args);
int plugin_sign(const PluginCommandArgs& args);

// `tally test-plugin DIR [--case NAME] [--plugin-path P]`: a plugin's golden
// cases, DIR/tests/cases/<case>/ (cli/test_plugin.cpp).
struct TestPluginArgs {
  std::string dir;
  std::string only;         // --case
  std::string plugin_path;  // where the built plugin is (default DIR/build/plugins)
};
int test_plugin(const TestPluginArgs& args);
std::string fmt_number(double v);

}  // namespace tally::cli
