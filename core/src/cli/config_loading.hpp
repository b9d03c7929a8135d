// Shared by the subcommands that take a report config (run, check, schedule).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "cli/commands.hpp"
#include "config/config.hpp"
#include "plugins/registry.hpp"
#include "run/result.hpp"

namespace tally::cli {

// Loads and validates a config against the plugins' manifests; prints every
// problem (file:line:column) and returns nullopt when there are any. A
// non-empty `format` replaces the config's reports with that one.
std::optional<config::Config> load_valid_config(const std::string& path, const std::string& format,
                                                plugins::Registry*& registry_out,
                                                std::unique_ptr<plugins::Registry>& registry_holder);

// `tally run --deliver` after the reports rendered (cli/deliver_commands.cpp).
int deliver_after_run(const RunArgs& args, const config::Config& config, const run::RunResult& result,
                      plugins::Registry& registry, bool ran_ok);

}  // namespace tally::cli
