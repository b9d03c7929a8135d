// tally: runs sales-analytics reports described in YAML.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <iostream>

#include <tally/plugin.h>

#include <string>

#include "cli/commands.hpp"
#include "cli/logging.hpp"
#include "util/text.hpp"

int main(int argc, char** argv) {
  // Logs go to stderr; stdout carries results only.
  tally::cli::install_stderr_logger();

  CLI::App app{"tally: sales analytics reports from YAML configs and plugins"};
  app.set_version_flag("--version", std::string("tally ") + TALLY_VERSION + " (plugin SDK " +
                                        std::to_string(TALLY_SDK_VERSION_MAJOR) + "." +
                                        std::to_string(TALLY_SDK_VERSION_MINOR) + ")");
  app.require_subcommand(1);
  int verbosity = 0;
  bool quiet = false;
  app.add_flag_function(
      "-v,--verbose", [&](int64_t count) { verbosity = static_cast<int>(count); },
      "Log debug details to stderr (-vv: also every SQL statement and its time)");
  app.add_flag("-q,--quiet", quiet, "Log only errors");

  tally::cli::RunArgs run_args;
  auto* run = app.add_subcommand("run", "Run a report config");
  run->add_option("config", run_args.config, "Report config (YAML)")->required();
  run->add_option("--data", run_args.data, "Data source, overriding the config's `data:`");
  run->add_option("--format", run_args.format,
                  "Use one report of this format instead of the config's: table, json, markdown to stdout; "
                  "csv, html as files under --out")
      ->check(CLI::IsMember({"table", "json", "csv", "markdown", "html"}));
  run->add_option("--out", run_args.out_dir, "Folder for report files with relative paths");
  run->add_option("--jobs", run_args.jobs, "Metrics run at once (default: one per core)");
  const char* busy_help = "Seconds to wait while an import holds the store's lock";
  run->add_option("--busy-timeout", run_args.busy_timeout, busy_help)
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86400.0));
  run->add_option("--statement-timeout", run_args.statement_timeout,
                  "PostgreSQL: seconds one query may run before the server stops it (0: no limit)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86400.0));

  // Delivery (docs/delivery.md): retries and the outbox, shared by run --deliver and deliver --retry.
  auto add_delivery_options = [](CLI::App* command, tally::cli::DeliveryArgs& delivery) {
    command->add_option("--retries", delivery.retries, "Attempts after the first failed one, per target")
        ->capture_default_str()
        ->check(CLI::Range(0, 10));
    command
        ->add_option("--retry-delay", delivery.retry_delay,
                     "Seconds before the first retry; doubled after each (at most 300)")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 300.0));
    command->add_option("--outbox", delivery.outbox,
                        "Folder of undelivered messages (default: $TALLY_OUTBOX, else "
                        "$XDG_STATE_HOME/tally/outbox, else ~/.local/state/tally/outbox)");
  };
  run->add_flag(
      "--deliver", run_args.deliver,
      "After a successful run, send it to the config's deliver: targets (when an alert holds, if any)");
  add_delivery_options(run, run_args.delivery);

  tally::cli::DeliveryArgs outbox_args;
  bool outbox_retry = false, outbox_list = false;
  auto* deliver = app.add_subcommand("deliver", "Send or list deliveries kept in the outbox after failing");
  deliver->add_flag("--retry", outbox_retry,
                    "Send every message in the outbox again; delivered ones are removed");
  deliver->add_flag("--list", outbox_list, "List the outbox (targets named without secrets)");
  add_delivery_options(deliver, outbox_args);

  tally::cli::ScheduleArgs schedule_args;
  auto* schedule = app.add_subcommand("schedule",
                                      "Print or install a systemd timer or crontab line that runs "
                                      "a config with --deliver");
  schedule->add_option("config", schedule_args.config, "Report config (YAML)")->required();
  schedule
      ->add_option(
          "--every", schedule_args.every,
          "When: DAYS-HH:MM (daily, weekdays, weekends, monday, mon,thu), monthly-DD-HH:MM, hourly[-MM]")
      ->required();
  schedule->add_option("--as", schedule_args.as, "systemd (a timer and a service) or cron (a crontab line)")
      ->capture_default_str()
      ->check(CLI::IsMember({"systemd", "cron"}));
  schedule->add_flag("--system", schedule_args.system,
                     "A system unit in /etc/systemd/system (default: a user unit)");
  schedule->add_flag(
      "--install", schedule_args.install,
      "Write and enable the units (systemctl), or add the line to the crontab, instead of printing");
  schedule->add_option("--name", schedule_args.name,
                       "Unit name / crontab marker (default: tally-<config name>)");
  schedule->add_option("--env-file", schedule_args.env_file,
                       "KEY=value file read before each run, for the ${VAR}s of secrets");
  schedule->add_option("--unit-dir", schedule_args.unit_dir, "Where --install writes systemd units");

  std::string check_config, check_data;
  auto* check = app.add_subcommand("check", "Validate a report config without running it");
  check->add_option("config", check_config, "Report config (YAML)")->required();
  check->add_option("--data", check_data, "Data source, overriding the config's `data:`");
  double check_busy_timeout = 5;
  check->add_option("--busy-timeout", check_busy_timeout, busy_help)
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86400.0));

  tally::cli::ExplainArgs explain_args;
  auto* explain =
      app.add_subcommand("explain", "Show the formula and the records behind one KPI of a report");
  explain->add_option("config", explain_args.config, "Report config (YAML)")->required();
  explain->add_option("--metric", explain_args.metric, "The metric (its `as:` name, else its plugin)")
      ->required();
  auto* explain_kpi =
      explain->add_option("--kpi", explain_args.kpi, "The KPI's name, as in `tally run --format json`");
  auto* explain_row = explain->add_option("--row", explain_args.row,
                                          "One row of the KPI's breakdown or of --table (its first cell)");
  explain
      ->add_option("--table", explain_args.table,
                   "A table of the metric, with --row: the records of that row")
      ->excludes(explain_kpi)
      ->needs(explain_row);
  explain
      ->add_flag("--all", explain_args.all,
                 "Every KPI and table row of the metric that lists records, from one run (with "
                 "--format json: an array)")
      ->excludes(explain_kpi)
      ->excludes(explain_row);
  explain->add_option("--format", explain_args.format, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  explain->add_option("--data", explain_args.data, "Data source, overriding the config's `data:`");
  explain->add_option("--busy-timeout", explain_args.busy_timeout, busy_help)
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86400.0));

  tally::cli::ServeArgs serve_args;
  auto* serve = app.add_subcommand("serve", "Serve a live dashboard of report configs (read-only)");
  serve->add_option("configs", serve_args.configs, "Report config(s) (YAML); the first is shown first")
      ->required();
  serve->add_option("--data", serve_args.data, "Data source, overriding every config's `data:`");
  serve->add_option("--port", serve_args.port, "TCP port (0: any free port, printed at start)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  serve->add_option("--bind", serve_args.bind, "Address to listen on")->capture_default_str();
  serve->add_option("--max-runs", serve_args.max_runs, "Reports computed at once; others wait, then get 503")
      ->capture_default_str()
      ->check(CLI::Range(1u, 64u));
  serve->add_option("--busy-timeout", serve_args.busy_timeout, busy_help)
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86400.0));

  std::vector<std::string> plugin_path;
  auto* plugins = app.add_subcommand("plugins", "List the installed plugins");
  plugins->add_option("--plugin-path", plugin_path, "Extra plugin folder(s), searched first");

  std::string describe_name;
  auto* describe = app.add_subcommand("describe", "Show a plugin's params and docs");
  describe->add_option("plugin", describe_name, "Plugin name")->required();
  describe->add_option("--plugin-path", plugin_path, "Extra plugin folder(s), searched first");

  tally::cli::DemoArgs demo_args;
  auto* demo = app.add_subcommand("demo", "Write the demo database");
  demo->add_option("--db", demo_args.db, "Where to write it: an SQLite file or a postgresql:// URL")
      ->capture_default_str();
  demo->add_option("--scale", demo_args.scale, "Volume multiplier (100 = about 1M opportunities)")
      ->capture_default_str();
  demo->add_option("--seed", demo_args.seed, "Random seed")->capture_default_str();

  tally::cli::ImportArgs import_args;
  auto* import = app.add_subcommand("import", "Import CRM exports (CSV) into a Tally database");
  import->add_option("--mapping", import_args.mapping, "Mapping (YAML) from the files' columns to Tally's")
      ->required();
  import->add_option("--db", import_args.db, "Database to import into (created when missing)")->required();
  import->add_flag("--dry-run", import_args.dry_run,
                   "Show what would be imported and every reject; change nothing");
  import->add_flag("--strict", import_args.strict, "Stop at the first rejected row");
  import
      ->add_option("--busy-timeout", import_args.busy_timeout,
                   "Seconds to wait while another import or a report holds the store's lock")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86400.0));
  import->add_option("files", import_args.files, "CSV files")->required();

  std::string migrate_db;
  auto* migrate = app.add_subcommand("migrate", "Upgrade a database to the current schema");
  migrate->add_option("--db", migrate_db, "Store to upgrade: an SQLite file or a postgresql:// URL")
      ->required();

  std::string recover_db;
  double recover_busy_timeout = 5;
  auto* recover = app.add_subcommand("recover", "Roll back what an interrupted import left in a database");
  recover->add_option("--db", recover_db, "Database")->required();
  recover->add_option("--busy-timeout", recover_busy_timeout, busy_help)
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86400.0));

  bool schema_markdown = false;
  auto* schema = app.add_subcommand("schema", "Print the fields of the canonical tables a mapping can fill");
  schema->add_flag("--markdown", schema_markdown, "As Markdown (the field reference of docs/import.md)")
      ->required();

  tally::cli::NewPluginArgs new_args;
  auto* new_plugin = app.add_subcommand("new-plugin", "Create an out-of-tree plugin project");
  new_plugin->add_option("name", new_args.name, "Plugin name (lower_snake_case)")->required();
  new_plugin->add_option("--kind", new_args.kind, "metric or report")
      ->check(CLI::IsMember({"metric", "report"}))
      ->capture_default_str();
  new_plugin->add_option("--dir", new_args.dir, "Folder to create (default: ./NAME)");

  tally::cli::PluginCommandArgs plugin_args;
  auto* plugin = app.add_subcommand("plugin", "Install, verify or sign plugins");
  plugin->require_subcommand(1);
  auto* plugin_install = plugin->add_subcommand(
      "install", "Check plugins (a folder of library + manifest, a manifest, or a .tar.gz) and install them");
  plugin_install->add_option("path", plugin_args.paths, "Plugin folder, *.plugin.yaml or .tar.gz")
      ->required();
  plugin_install->add_option("--dir", plugin_args.dir,
                             "Plugin folder to install into (default: the installed one)");
  auto* plugin_verify = plugin->add_subcommand("verify", "Re-check installed plugins as the loader would");
  plugin_verify->add_option("name", plugin_args.name, "Only this plugin");
  plugin_verify->add_option("--dir", plugin_args.dir, "Plugin folder to check (default: the search path)");
  plugin_verify->add_option("--plugin-path", plugin_args.plugin_paths, "More plugin folders to check");
  for (auto* sub : {plugin_install, plugin_verify}) {
    sub->add_option("--trusted-keys", plugin_args.trusted_keys,
                    "Folder of trusted ed25519 public keys, *.pem (default: $TALLY_TRUSTED_KEYS)");
    sub->add_flag("--require-signed", plugin_args.require_signed,
                  "Refuse plugins without a trusted signature");
  }
  auto* plugin_sign = plugin->add_subcommand("sign", "Sign plugin manifests with an ed25519 private key");
  plugin_sign->add_option("manifest", plugin_args.paths, "*.plugin.yaml to sign")->required();
  plugin_sign->add_option("--key", plugin_args.key, "ed25519 private key, PEM")->required();

  tally::cli::TestPluginArgs test_args;
  auto* test_plugin =
      app.add_subcommand("test-plugin", "Run a plugin's golden cases (DIR/tests/cases/<case>/)");
  test_plugin->add_option("dir", test_args.dir, "The plugin's folder")->required();
  test_plugin->add_option("--case", test_args.only, "Only this case");
  test_plugin->add_option("--plugin-path", test_args.plugin_path,
                          "Where the built plugin is (default: DIR/build/plugins)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : tally::cli::kInvalid;
  }
  if (verbosity == 1) spdlog::set_level(spdlog::level::debug);
  if (verbosity >= 2) spdlog::set_level(spdlog::level::trace);
  if (quiet) spdlog::set_level(spdlog::level::err);

  try {
    if (*run) return tally::cli::run(run_args);
    if (*explain) return tally::cli::explain(explain_args);
    if (*serve) return tally::cli::serve(serve_args);
    if (*check) return tally::cli::check(check_config, check_data, check_busy_timeout);
    if (*plugins) return tally::cli::list_plugins(plugin_path);
    if (*describe) return tally::cli::describe(describe_name, plugin_path);
    if (*demo) return tally::cli::demo(demo_args);
    if (*import) return tally::cli::import_files(import_args);
    if (*migrate) return tally::cli::migrate(migrate_db);
    if (*recover) return tally::cli::recover(recover_db, recover_busy_timeout);
    if (*new_plugin) return tally::cli::new_plugin(new_args);
    if (*schema) return tally::cli::schema_markdown();
    if (*deliver) return tally::cli::deliver_outbox(outbox_args, outbox_retry, outbox_list);
    if (*schedule) return tally::cli::schedule(schedule_args);
    if (*test_plugin) return tally::cli::test_plugin(test_args);
    if (*plugin_install) return tally::cli::plugin_install(plugin_args);
    if (*plugin_verify) return tally::cli::plugin_verify(plugin_args);
    if (*plugin_sign) return tally::cli::plugin_sign(plugin_args);
  } catch (const std::exception& e) {
    // Last line of defence: one clear message, never a stack trace.
    std::cerr << "tally: " << tally::escape_for_terminal(e.what()) << '\n';
    return tally::cli::kSomethingFailed;
  }
  return tally::cli::kInvalid;
}
