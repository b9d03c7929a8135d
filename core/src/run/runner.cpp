// The runner: opens the store, runs each metric on a worker (isolated or in
// process) with the data checks beside them, then the reports. (Over 400
// lines: one run's flow reads best in one place; what stands alone is in
// compare_data, data_checks, provenance and isolated.)
#include "run/runner.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "plugins/plugin_call.hpp"
#include "run/compare_data.hpp"
#include "run/context.hpp"
#include "run/data_checks.hpp"
#include "run/isolated.hpp"
#include "run/provenance.hpp"
#include "util/text.hpp"

namespace tally::run {

namespace fs = std::filesystem;

namespace {

const char* compare_mode_name(config::CompareMode mode) {
  switch (mode) {
    case config::CompareMode::PreviousPeriod: return "previous_period";
    case config::CompareMode::PreviousYear: return "previous_year";
    default: return "none";
  }
}

query::Scope scope_of(const config::Config& config) {
  query::Scope scope;
  scope.period_from = config.period.from.iso();
  scope.period_to = config.period.to.iso();
  if (config.compare_period) {
    scope.compare_from = config.compare_period->from.iso();
    scope.compare_to = config.compare_period->to.iso();
  }
  scope.as_of = config.as_of.iso();
  scope.fiscal_year_start = config.fiscal_year_start;
  scope.filters = config.filters;
  return scope;
}

// Config `targets:` win over what the plugin found in the store; a target
// that names no KPI of the metric is a warning, never silently ignored.
void apply_config_targets(const config::PluginUse& use, MetricResult& result) {
  for (const auto& target : use.targets) {
    const std::string& name = target.first;  // clang 14 cannot capture a structured binding
    const double value = target.second;
    auto it =
        std::find_if(result.kpis.begin(), result.kpis.end(), [&](const Kpi& k) { return k.name == name; });
    if (it != result.kpis.end()) {
      it->target = value;
      it->target_source = "config targets: " + name;
      continue;
    }
    std::vector<std::string> names;
    for (const auto& k : result.kpis) names.push_back(k.name);
    spdlog::warn("{}: target for '{}' matches no KPI of {}; its KPIs: {}", result.name, name, result.plugin,
                 join(names, ", "));
  }
}

// The datasets that carry a deal's amount (their own or the joined deal's).
bool reads_deal_amounts(const std::set<std::string>& datasets) {
  for (const char* dataset : {"opportunities", "stage_history", "activities", "collateral_usage"})
    if (datasets.count(dataset)) return true;
  return false;
}

// Run warnings (stderr and every report) about the data the metrics read: an
// import with rejects behind it, a period outside its dates. A store that
// cannot answer gets a warning saying so, never a failed run.
void warn_about_data(RunResult& result, const std::set<std::string>& datasets, const config::Config& config,
                     store::Backend& backend, DatasetDates& dates) {
  if (datasets.empty()) return;
  std::vector<std::string> warnings;
  try {
    auto connection = backend.connect();
    std::set<std::string> tables;
    for (const auto& d : datasets)
      for (auto& t : dataset_tables(d)) tables.insert(std::move(t));
    warnings = import_warnings(tables, *connection, backend.dialect());
    if (auto span = dates.span(datasets, *connection, backend.dialect()))
      if (auto w = period_warning(config.period.from.iso(), config.period.to.iso(), config.as_of.iso(),
                                  span->first, span->second))
        warnings.push_back(*w);
    if (reads_deal_amounts(datasets))
      if (auto w = currency_warning(config.currency, *connection, backend.dialect())) warnings.push_back(*w);
  } catch (const std::exception& e) {
    warnings.push_back(std::string("cannot check the imports and dates behind the figures: ") + e.what());
  }
  for (auto& w : warnings) {
    spdlog::warn("{}", w);
    result.warnings.push_back(std::move(w));
  }
}

}  // namespace

// `title:` when given; else the humanised `as:` name when the config gives one
// (three win_rate instances must not all read "Win rate"); else the plugin's
// manifest title; else the humanised plugin name.
std::string display_title(const config::PluginUse& use, const std::string& manifest_title) {
  if (!use.title.empty()) return use.title;
  if (!use.name.empty() && use.name != use.use) return humanize_name(use.name);
  if (!manifest_title.empty()) return manifest_title;
  return humanize_name(use.use);
}

namespace {

// What the metrics share while they run: cached facts about the data, and
// the datasets they read (for the run's data warnings).
struct SharedChecks {
  explicit SharedChecks(const query::Scope& scope) : ranges(scope, dates), derived(scope) {}
  // Each dataset's dates in the whole store: read beside the metrics
  // (read_dates_meanwhile) for the data checks, and the ranges of a run
  // without filters.
  DatasetDates dates;
  DataRanges ranges;
  DerivedEvents derived;
  std::mutex mutex;
  std::set<std::string> datasets_read;  // by the metrics that finished
  std::set<std::string> datasets_seen;  // queried so far by any metric, running or not
  size_t metrics_left = 0;
  std::condition_variable changed;  // a dataset seen first, or a metric finished
};

// What a worker with no metric left does while others still run: reads the
// date range of each dataset the metrics have queried, as they come, so the
// data checks after the metrics find them read (stage history's range was a
// 0.4 s scan at the end of the run on PostgreSQL at scale 100). A store error
// here is left for the checks at the end, which say it.
void read_dates_meanwhile(SharedChecks& shared, store::Backend& backend) {
  try {
    std::unique_ptr<store::Connection> connection;
    std::set<std::string> done;
    std::unique_lock<std::mutex> lock(shared.mutex);
    while (shared.metrics_left > 0) {
      std::set<std::string> todo;
      for (const auto& d : shared.datasets_seen)
        if (!done.count(d)) todo.insert(d);
      if (todo.empty()) {
        shared.changed.wait(lock);
        continue;
      }
      lock.unlock();
      if (!connection) connection = backend.connect();
      shared.dates.read(todo, *connection, backend.dialect());
      done.insert(todo.begin(), todo.end());
      lock.lock();
    }
  } catch (const std::exception& e) {
    spdlog::debug("date ranges beside the metrics: {}", e.what());
  }
}

// A plugin opened to run here, or only its manifest when it runs in a child
// process (`isolation: process`), whose library this process never loads.
struct Opened {
  plugins::Isolation isolation;
  std::shared_ptr<plugins::LoadedPlugin> plugin;  // in-process only
  const plugins::Manifest* manifest = nullptr;
};

plugins::Isolation isolation_of(const config::PluginUse& use, const plugins::Registry& registry) {
  return plugins::Isolation::from(use.isolation.over(registry.isolation_default(use.use)));
}

Opened open_plugin(const config::PluginUse& use, plugins::Registry& registry) {
  Opened out;
  out.isolation = isolation_of(use, registry);
  if (out.isolation.process) {
    out.manifest = registry.find(use.use);
    if (!out.manifest) registry.load(use.use);  // throws: unknown plugin, with the installed ones named
  } else {
    out.plugin = registry.load(use.use);
    out.manifest = &out.plugin->manifest();
  }
  return out;
}

MetricResult run_one(const config::PluginUse& use, const query::Scope& scope, const config::Config& config,
                     plugins::Registry& registry, store::Backend& backend, SharedChecks& shared,
                     ProcessPool& pool) {
  MetricResult result;
  result.name = use.name;
  result.plugin = use.use;
  auto started = std::chrono::steady_clock::now();
  try {
    const Opened opened = open_plugin(use, registry);
    const std::string manifest_title = opened.manifest->title;
    result.title = display_title(use, manifest_title);
    auto connection = backend.connect();
    tally_ctx ctx;
    ctx.plugin = use.use;
    ctx.name = use.name;
    ctx.params = &use.params;
    ctx.manifest = opened.manifest;
    ctx.scope = scope;
    ctx.currency = config.currency;
    ctx.connection = connection.get();
    ctx.dialect = &backend.dialect();
    ctx.result = &result;
    ctx.config_targets = &use.targets;
    ctx.on_new_dataset = [&shared](const std::string& dataset) {
      std::lock_guard<std::mutex> lock(shared.mutex);
      if (shared.datasets_seen.insert(dataset).second) shared.changed.notify_all();
    };
    int32_t rc = TALLY_OK;
    const std::string role = "metric '" + use.name + "'";
    if (opened.isolation.process) {
      rc = pool.invoke(use.use, role, opened.isolation, ctx);
    } else {
      plugins::PluginCall call(use.use, role);
      rc = opened.plugin->info().metric->run(&ctx);
    }
    if (rc != TALLY_OK) {
      std::string message = ctx.plugin_error.empty() ? "failed without a message" : ctx.plugin_error;
      result = MetricResult{};
      result.name = use.name;
      result.plugin = use.use;
      result.title = display_title(use, manifest_title);
      result.ok = false;
      result.error = message;
    } else {
      apply_config_targets(use, result);
      mark_no_data(result, ctx.compare_datasets, scope, shared.ranges, *connection, backend.dialect());
      if (ctx.datasets.count("subscription_events"))
        if (auto note = shared.derived.note(*connection, backend.dialect()))
          if (std::find(result.notes.begin(), result.notes.end(), *note) == result.notes.end())
            result.notes.push_back(*note);
    }
    std::lock_guard<std::mutex> lock(shared.mutex);
    shared.datasets_read.insert(ctx.datasets.begin(), ctx.datasets.end());
  } catch (const std::exception& e) {
    result.kpis.clear();
    result.tables.clear();
    result.ok = false;
    result.error = e.what();
    if (result.title.empty()) result.title = display_title(use, "");
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (result.ok)
    spdlog::debug("{}: ok in {:.3f} s", result.name, result.seconds);
  else
    spdlog::error("{}: {}", result.name, result.error);
  return result;
}

// A pool of its own (explain, serve, deliver start children at each plugin's
// turn): its plugin host server is started now, while the first uses run,
// when any of `uses` is isolated.
void start_server_if_isolated(const std::vector<config::PluginUse>& uses, const plugins::Registry& registry,
                              ProcessPool& pool) {
  for (const auto& use : uses)
    if (registry.find(use.use) && isolation_of(use, registry).process) {
      pool.start_server();
      return;
    }
}

}  // namespace

void prestart_isolated(const config::Config& config, plugins::Registry& registry, ProcessPool& pool) {
  std::vector<std::pair<std::string, plugins::Isolation>> uses;
  for (const auto* list : {&config.metrics, &config.reports})
    for (const auto& use : *list)
      if (registry.find(use.use)) uses.emplace_back(use.use, isolation_of(use, registry));
  pool.prestart(uses);
}

RunResult run_metrics(const config::Config& config, plugins::Registry& registry, store::Backend& backend,
                      unsigned jobs, ProcessPool* shared_pool) {
  RunResult result;
  result.title = config.title;
  result.period_from = config.period.from.iso();
  result.period_to = config.period.to.iso();
  if (config.compare_period) {
    result.compare_from = config.compare_period->from.iso();
    result.compare_to = config.compare_period->to.iso();
  }
  result.compare_mode = compare_mode_name(config.compare_period ? config.compare : config::CompareMode::None);
  result.currency = config.currency;
  result.data_source = backend.describe();
  record_provenance(result, backend, result.data_source);
  result.metrics.resize(config.metrics.size());

  const query::Scope scope = scope_of(config);
  SharedChecks shared(scope);
  if (jobs == 0) jobs = std::max(1u, std::thread::hardware_concurrency());
  jobs = std::min<unsigned>(jobs, static_cast<unsigned>(config.metrics.size()));
  std::optional<ProcessPool> own_pool;
  ProcessPool& pool = shared_pool ? *shared_pool : own_pool.emplace(registry);
  if (own_pool) start_server_if_isolated(config.metrics, registry, pool);
  std::atomic<size_t> next{0};
  shared.metrics_left = config.metrics.size();
  std::atomic<bool> reading_dates{false};
  auto worker = [&] {
    for (size_t i = next++; i < config.metrics.size(); i = next++) {
      result.metrics[i] = run_one(config.metrics[i], scope, config, registry, backend, shared, pool);
      std::lock_guard<std::mutex> lock(shared.mutex);
      --shared.metrics_left;
      shared.changed.notify_all();
    }
    // The first worker out of metrics reads date ranges while the others finish.
    if (!reading_dates.exchange(true)) read_dates_meanwhile(shared, backend);
  };
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < jobs; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  warn_about_data(result, shared.datasets_read, config, backend, shared.dates);
  return result;
}

std::string expand_output_path(const std::string& pattern, const RunResult& result,
                               const std::string& out_dir) {
  if (pattern == "-") return pattern;  // standard output, for the reports that take it
  auto slug = [](const std::string& text) {
    std::string out;
    for (char c : text) {
      if (std::isalnum(static_cast<unsigned char>(c)))
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      else if (!out.empty() && out.back() != '-')
        out += '-';
    }
    while (!out.empty() && out.back() == '-') out.pop_back();
    return out.empty() ? std::string("report") : out;
  };
  std::string path;
  for (size_t i = 0; i < pattern.size(); ++i) {
    auto starts = [&](std::string_view token) { return pattern.compare(i, token.size(), token) == 0; };
    if (starts("{title}")) {
      path += slug(result.title);
      i += 6;
    } else if (starts("{from}")) {
      path += result.period_from;
      i += 5;
    } else if (starts("{to}")) {
      path += result.period_to;
      i += 3;
    } else {
      path += pattern[i];
    }
  }
  fs::path p(path);
  if (p.is_relative() && !out_dir.empty()) p = fs::path(out_dir) / p;
  return p.lexically_normal().string();
}

std::vector<ReportOutcome> render_reports(const config::Config& config, const RunResult& result,
                                          plugins::Registry& registry, const RenderOptions& options,
                                          ProcessPool* shared_pool) {
  std::vector<ReportOutcome> outcomes;
  const query::Scope scope = scope_of(config);
  std::optional<ProcessPool> own_pool;
  ProcessPool& pool = shared_pool ? *shared_pool : own_pool.emplace(registry);
  if (own_pool) start_server_if_isolated(config.reports, registry, pool);
  for (const auto& use : config.reports) {
    ReportOutcome outcome;
    outcome.name = use.name;
    try {
      const Opened opened = open_plugin(use, registry);
      // Output paths are expanded and their folders created by the host, so
      // every report plugin treats {title}/{from}/{to} and --out the same way.
      auto params = use.params;
      for (const auto& spec : opened.manifest->params) {
        if (spec.type != plugins::ParamType::Path) continue;
        auto it = params.find(spec.name);
        if (it == params.end() || !std::holds_alternative<std::string>(it->second.scalar)) continue;
        std::string path =
            expand_output_path(std::get<std::string>(it->second.scalar), result, options.out_dir);
        fs::path parent = fs::path(path).parent_path();
        if (!parent.empty()) fs::create_directories(parent);
        it->second.scalar = path;
      }
      tally_ctx ctx;
      ctx.plugin = use.use;
      ctx.name = use.name;
      ctx.params = &params;
      ctx.manifest = opened.manifest;
      ctx.scope = scope;
      ctx.currency = config.currency;
      ctx.run = &result;
      ctx.output = options.output;
      ctx.output_is_tty = options.output_is_tty;
      int32_t rc = TALLY_OK;
      const std::string role = "report '" + use.name + "'";
      if (opened.isolation.process) {
        rc = pool.invoke(use.use, role, opened.isolation, ctx);
      } else {
        plugins::PluginCall call(use.use, role);
        rc = opened.plugin->info().report->render(&ctx);
      }
      if (rc != TALLY_OK) {
        outcome.ok = false;
        outcome.error = ctx.plugin_error.empty() ? "failed without a message" : ctx.plugin_error;
      }
      if (options.output) options.output->flush();
    } catch (const std::exception& e) {
      outcome.ok = false;
      outcome.error = e.what();
    }
    if (!outcome.ok) spdlog::error("report {}: {}", outcome.name, outcome.error);
    outcomes.push_back(std::move(outcome));
  }
  return outcomes;
}

}  // namespace tally::run
