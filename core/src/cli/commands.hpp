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

// Retries and the outbox of `tally run --deliver` and `tally deliver --retry`.
struct DeliveryArgs {
  int retries = 3;         // --retries: attempts after the first
  double retry_delay = 5;  // --retry-delay SECONDS before the first retry, doubled after each
  std::string outbox;      // --outbox DIR
};

struct RunArgs {
  std::string config;
  std::string data;     // --data: overrides the config's data
  std::string format;   // --format: replaces the config's reports with one to stdout
  std::string out_dir;  // --out
  unsigned jobs = 0;
  double busy_timeout = 5;         // --busy-timeout SECONDS: wait this long for an import's lock
  double statement_timeout = 300;  // --statement-timeout SECONDS (PostgreSQL; 0 = no limit)
  bool deliver = false;            // --deliver: send to the config's deliver: targets after a successful run
  DeliveryArgs delivery;
};
int run(const RunArgs& args);

// `tally deliver --retry | --list`: the outbox of failed deliveries.
int deliver_outbox(const DeliveryArgs& args, bool retry, bool list);

struct ScheduleArgs {
  std::string config;
  std::string every;           // --every, see deliver/schedule.hpp
  std::string as = "systemd";  // systemd | cron
  bool system = false;         // --system: a system unit (default: a user unit)
  bool install = false;        // --install: write and enable it instead of printing
  std::string name;            // --name: unit / crontab marker
  std::string env_file;        // --env-file: secrets for ${VAR}s
  std::string unit_dir;        // --unit-dir: where --install writes the units
};
int schedule(const ScheduleArgs& args);
int check(const std::string& config_path, const std::string& data_override, double busy_timeout = 5);
int list_plugins(const std::vector<std::string>& extra_dirs);
int describe(const std::string& plugin, const std::vector<std::string>& extra_dirs);

struct ExplainArgs {
  std::string config;
  std::string metric;  // the `as:` name (or the plugin name)
  std::string kpi;
  std::string table;   // --table: a table's name, with --row (instead of --kpi)
  std::string row;     // "" = the headline KPI
  bool all = false;    // --all: every KPI and table row of the metric that lists records
  std::string format;  // "" (text) or json
  std::string data;
  double busy_timeout = 5;
};
int explain(const ExplainArgs& args);

struct ServeArgs {
  std::vector<std::string> configs;
  std::string data;
  std::string bind = "127.0.0.1";
  int port = 8080;
  unsigned max_runs = 2;  // reports computed at once; more wait, then get 503
  double busy_timeout = 5;
};
int serve(const ServeArgs& args);

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
// `tally schema --markdown`: the field reference of docs/import.md.
int schema_markdown();
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
