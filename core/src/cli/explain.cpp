// `tally explain CONFIG --metric NAME (--kpi KPI [--row ROW] | --table TABLE --row ROW) [--format json]`:
// the formula and the records behind one number of a report.
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/config_loading.hpp"
#include "run/explain.hpp"
#include "run/runner.hpp"
#include "util/text.hpp"

namespace tally::cli {

int explain(const ExplainArgs& args) {
  if (args.kpi.empty() && args.table.empty() && !args.all) {
    std::cerr
        << "explain: give --kpi KPI (a headline number), --table TABLE --row ROW (a table's row) or --all\n";
    return kInvalid;
  }
  const std::string& kpi = args.table.empty() ? args.kpi : args.table;
  std::unique_ptr<plugins::Registry> holder;
  plugins::Registry* registry = nullptr;
  // Nothing is rendered: the config's reports are replaced by one that is always there.
  auto cfg = load_valid_config(args.config, "json", registry, holder);
  if (!cfg) return kInvalid;
  std::vector<std::string> names;
  for (const auto& m : cfg->metrics) names.push_back(m.name);
  auto use = std::find_if(cfg->metrics.begin(), cfg->metrics.end(),
                          [&](const config::PluginUse& m) { return m.name == args.metric; });
  if (use == cfg->metrics.end()) {
    const std::string near = closest_match(args.metric, names);
    std::cerr << "--metric: " << args.config << " has no metric '" << escape_for_terminal(args.metric) << "'"
              << (near.empty() ? "" : "; did you mean '" + near + "'?")
              << "; its metrics: " << join(names, ", ") << '\n';
    return kInvalid;
  }
  auto backend = open_data(*cfg, args.config, args.data, args.busy_timeout);
  if (!backend) return kInvalid;
  // Only the metric asked about runs.
  config::Config one = *cfg;
  one.metrics = {*use};
  auto result = run::run_metrics(one, *registry, *backend, 1);
  if (!result.metrics.empty() && !result.metrics.front().ok) {
    std::cerr << "metric '" << args.metric
              << "' failed: " << escape_for_terminal(result.metrics.front().error) << '\n';
    return kSomethingFailed;
  }
  try {
    if (args.all) {
      // Every declared list of records, in the order the plugin declared them.
      nlohmann::json all = nlohmann::json::array();
      bool first = true;
      for (const auto& d : result.metrics.front().drilldowns) {
        if (d.part != TALLY_DRILLDOWN_RECORDS) continue;
        auto e = run::explain(result, args.metric, d.kpi, d.row, *registry, *backend, cfg->filters);
        if (args.format == "json")
          all.push_back(run::explanation_json(e));
        else
          std::cout << (first ? "" : "\n") << run::explanation_text(e, cfg->currency);
        first = false;
      }
      if (args.format == "json") std::cout << all.dump(2) << '\n';
      return kOk;
    }
    auto e = run::explain(result, args.metric, kpi, args.row, *registry, *backend, cfg->filters);
    if (args.format == "json")
      std::cout << run::explanation_json(e).dump(2) << '\n';
    else
      std::cout << run::explanation_text(e, cfg->currency);
    return kOk;
  } catch (const run::ExplainError& e) {
    std::cerr << escape_for_terminal(e.what()) << '\n';
    return kInvalid;
  }
}

}  // namespace tally::cli
