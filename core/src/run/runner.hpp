// Runs a validated config: metrics in parallel on the data source, then
// every report on the finished results.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "plugins/registry.hpp"
#include "run/result.hpp"
#include "store/backend.hpp"

namespace tally::run {

class ProcessPool;  // run/isolated.hpp

struct ReportOutcome {
  std::string name;
  bool ok = true;
  std::string error;
};

struct RenderOptions {
  std::ostream* output = nullptr;  // the run's stdout
  bool output_is_tty = false;
  std::string out_dir;  // where relative output paths go; "" = current directory
};

// Starts, in the background, the child process of every plugin `config` runs
// with `isolation: process` (metrics and reports), so that starting them
// overlaps the rest; pass the same pool to run_metrics and render_reports.
void prestart_isolated(const config::Config& config, plugins::Registry& registry, ProcessPool& pool);

// Runs every metric of `config` (in parallel, one connection each). A metric
// whose plugin cannot be loaded or fails is recorded with ok=false and its
// message; the others still run. `jobs` 0 = one per core. Isolated plugins run
// in `pool`'s children, or in a pool of the call's own when none is given.
RunResult run_metrics(const config::Config& config, plugins::Registry& registry, store::Backend& backend,
                      unsigned jobs = 0, ProcessPool* pool = nullptr);

// Renders every report of `config`; a failing report does not stop the others.
std::vector<ReportOutcome> render_reports(const config::Config& config, const RunResult& result,
                                          plugins::Registry& registry, const RenderOptions& options,
                                          ProcessPool* pool = nullptr);

// A metric's heading: `title:`, else the humanised `as:` name, else the
// plugin manifest's title, else the humanised plugin name.
std::string display_title(const config::PluginUse& use, const std::string& manifest_title);

// Expands {title}, {from}, {to} in an output path and resolves it under
// out_dir when relative.
std::string expand_output_path(const std::string& pattern, const RunResult& result,
                               const std::string& out_dir);

}  // namespace tally::run
