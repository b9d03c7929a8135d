// Config loading shared by the subcommands that run a config (run, check,
// explain, serve): every problem printed to stderr as file:line:column.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "plugins/registry.hpp"
#include "store/backend.hpp"
#include "util/diagnostic.hpp"

namespace tally::cli {

void print_diagnostics(const std::vector<Diagnostic>& diagnostics);

// Loads and validates a config (with one `format` report to stdout instead of
// its own when `format` is given); prints every problem and returns nullopt
// when there are any. The registry (the config's plugin paths first) is
// kept in `registry_holder`.
std::optional<config::Config> load_valid_config(const std::string& path, const std::string& format,
                                                plugins::Registry*& registry_out,
                                                std::unique_ptr<plugins::Registry>& registry_holder);

// Opens `--data` or the config's `data:` for reading; prints the problem
// (at the config's `data:` line) and returns nullptr when it cannot.
std::unique_ptr<store::Backend> open_data(const config::Config& cfg, const std::string& config_path,
                                          const std::string& data_override, double busy_timeout);

}  // namespace tally::cli
