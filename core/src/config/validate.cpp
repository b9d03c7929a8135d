// Checking a config's metric and report uses against the plugins' manifests,
// before anything runs: the manifest is the one place params are declared.
#include <algorithm>

#include "config/detail.hpp"

namespace tally::config {

namespace {

void validate_use(PluginUse& use, plugins::Kind kind, const ManifestLookup& find,
                  const std::vector<std::string>& installed, std::vector<Diagnostic>& out) {
  const std::string kind_text = plugins::kind_name(kind);
  const plugins::Manifest* manifest = find(use.use);
  if (!manifest) {
    out.push_back({use.where, "unknown " + kind_text + " plugin '" + use.use + "'; " +
                                  detail::did_you_mean(use.use, installed) +
                                  "installed: " + (installed.empty() ? "none" : detail::join(installed))});
    return;
  }
  if (manifest->kind != kind) {
    out.push_back({use.where, "'" + use.use + "' is a " + plugins::kind_name(manifest->kind) +
                                  " plugin, not a " + kind_text + " plugin; installed " + kind_text +
                                  " plugins: " + (installed.empty() ? "none" : detail::join(installed))});
    return;
  }

  std::vector<std::string> valid;
  for (const auto& spec : manifest->params) valid.push_back(spec.name);
  std::map<std::string, ParamValue> typed;
  for (const auto& [name, raw] : use.params) {
    const auto where_it = use.param_where.find(name);
    const SourceLocation where = where_it != use.param_where.end() ? where_it->second : use.where;
    const plugins::ParamSpec* spec = manifest->find_param(name);
    if (!spec) {
      out.push_back(
          {where, "unknown param '" + name + "' for " + use.use + "; " +
                      (valid.empty() ? use.use + " takes no params" : "valid: " + detail::join(valid))});
      continue;
    }
    std::string problem;
    if (auto value = plugins::convert_param(*spec, raw, problem))
      typed[name] = std::move(*value);
    else
      out.push_back({where, "param '" + name + "' for " + use.use + ": " + problem});
  }
  for (const auto& spec : manifest->params) {
    if (use.params.count(spec.name)) continue;
    if (spec.required)
      out.push_back(
          {use.where, "missing required param '" + spec.name + "' for " + use.use + " (" + spec.doc + ")"});
    else if (spec.default_value)
      typed[spec.name] = *spec.default_value;
  }
  // Keep raw values that failed, so a second look still sees what was written.
  for (auto& [name, value] : typed) use.params[name] = std::move(value);
}

}  // namespace

std::vector<Diagnostic> validate(Config& config, const ManifestLookup& find,
                                 const std::vector<std::string>& metric_names,
                                 const std::vector<std::string>& report_names) {
  std::vector<Diagnostic> diagnostics;
  for (auto& use : config.metrics) validate_use(use, plugins::Kind::Metric, find, metric_names, diagnostics);
  for (auto& use : config.reports) validate_use(use, plugins::Kind::Report, find, report_names, diagnostics);
  detail::sort_by_position(diagnostics);
  return diagnostics;
}

}  // namespace tally::config
