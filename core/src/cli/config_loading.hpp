// Config loading shared by the subcommands that take a report config (run,
// check, explain, serve, schedule): every problem printed to stderr as
// file:line:column.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "config/config.hpp"
#include "plugins/registry.hpp"
#include "run/result.hpp"
#include "store/backend.hpp"
#include "util/diagnostic.hpp"

namespace tally::cli {

void print_diagnostics(const std::vector<Diagnostic>& diagnostics);

// Loads and validates a config against the plugins' manifests (with one
// `format` report instead of its own when `format` is given); prints every
// problem and returns nullopt when there are any. The registry (the config's
// plugin paths first) is kept in `registry_holder`.
std::optional<config::Config> load_valid_config(const std::string& path, const std::string& format,
                                                plugins::Registry*& registry_out,
                                                std::unique_ptr<plugins::Registry>& registry_holder);

// Opens `--data` or the config's `data:` for reading; prints the problem
// (at the config's `data:` line) and returns nullptr when it cannot.
std::unique_ptr<store::Backend> open_data(const config::Config& cfg, const std::string& config_path,
                                          const std::string& data_override, double busy_timeout);

// `tally run --deliver` after the reports rendered (cli/deliver_commands.cpp).
int deliver_after_run(const RunArgs& args, const config::Config& config, const run::RunResult& result,
                      plugins::Registry& registry, store::Backend& backend, bool ran_ok);

}  // namespace tally::cli
