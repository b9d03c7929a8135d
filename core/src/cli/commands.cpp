// The CLI commands: run, check, plugins, describe, demo, import, migrate,
// schema, recover. Over 400 lines: one short function per command, sharing
// the diagnostics and plugin-folder helpers at the top.
#include "cli/commands.hpp"

#include "cli/config_loading.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>
#include <tally/format.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "config/config.hpp"
#include "config/detail.hpp"
#include "demo/demo.hpp"
#include "import/field_reference.hpp"
#include "import/importer.hpp"
#include "plugins/registry.hpp"
#include "run/isolated.hpp"
#include "run/runner.hpp"
#include "store/backend.hpp"
#include "store/engine_error.hpp"
#include "store/schema.hpp"
#include "store/store.hpp"
#include "util/text.hpp"

namespace tally::cli {

namespace fs = std::filesystem;

void print_diagnostics(const std::vector<Diagnostic>& diagnostics) {
  for (const auto& d : diagnostics) std::cerr << escape_for_terminal(d.format()) << '\n';
  if (diagnostics.size() > 1) std::cerr << diagnostics.size() << " problems found\n";
}

namespace {

std::vector<std::string> plugin_dirs(const std::vector<std::string>& first) {
  std::vector<std::string> dirs = first;
  for (auto& d : plugins::Registry::default_dirs()) dirs.push_back(std::move(d));
  return dirs;
}

void warn_registry_problems(const plugins::Registry& registry) {
  for (const auto& d : registry.problems()) spdlog::warn("ignoring a broken plugin manifest: {}", d.format());
}

bool stdout_is_color_tty() {
  return isatty(fileno(stdout)) && !std::getenv("NO_COLOR");
}

}  // namespace

std::optional<config::Config> load_valid_config(const std::string& path, const std::string& format,
                                                plugins::Registry*& registry_out,
                                                std::unique_ptr<plugins::Registry>& registry_holder) {
  config::Config cfg;
  // Structural problems and plugin/param problems are reported together.
  std::vector<Diagnostic> problems;
  try {
    cfg = config::load_config(path, config::process_env(), today_utc(), problems);
  } catch (const DiagnosticError& e) {
    print_diagnostics(e.diagnostics());
    return std::nullopt;
  }
  std::vector<plugins::PluginDir> dirs;
  for (const auto& p : cfg.plugin_path_entries)
    dirs.push_back({p.path, true, p.override_installed, p.where, p.isolation});
  for (auto& d : plugins::Registry::default_dirs()) dirs.push_back({std::move(d), false, false, {}, {}});
  registry_holder = std::make_unique<plugins::Registry>(dirs);
  registry_out = registry_holder.get();
  plugins::TrustPolicy trust = plugins::TrustPolicy::from_env();
  trust.require_signed = trust.require_signed || cfg.require_signed;
  if (!cfg.trusted_keys.empty()) trust.keys_dir = cfg.trusted_keys;
  registry_out->set_trust(trust);
  warn_registry_problems(*registry_out);
  // A config's plugin may not take an installed plugin's name unnoticed.
  for (const auto& d : registry_out->refusals()) problems.push_back(d);
  if (!format.empty()) {
    config::PluginUse report;
    report.use = format;
    report.name = format;
    report.where = SourceLocation{"--format", 0, 0};
    // File formats write under --out (or the current directory).
    if (format == "csv") report.params["dir"].scalar = std::string(".");
    if (format == "html") report.params["path"].scalar = std::string("{title}.html");
    cfg.reports = {report};
  } else if (cfg.reports.empty()) {
    config::PluginUse report;
    report.use = "table";
    report.name = "table";
    report.where = SourceLocation{path, 0, 0};
    cfg.reports = {report};
  }
  auto* registry = registry_out;
  auto diagnostics = config::validate(
      cfg, [registry](const std::string& name) { return registry->find(name); },
      registry->names(plugins::Kind::Metric), registry->names(plugins::Kind::Report));
  // `timeout:` and `memory:` mean something only in a child process.
  for (const auto* uses : {&cfg.metrics, &cfg.reports})
    for (const auto& use : *uses) {
      const auto spec = use.isolation.over(registry->isolation_default(use.use));
      if ((use.isolation.timeout_seconds || use.isolation.memory_bytes) && !spec.process.value_or(false))
        problems.push_back(
            Diagnostic{use.isolation_where,
                       "timeout: and memory: apply only to a plugin run with isolation: process; add "
                       "`isolation: process` to this entry (or to its plugin_paths folder)"});
    }
  if (!problems.empty() || !diagnostics.empty()) {
    problems.insert(problems.end(), diagnostics.begin(), diagnostics.end());
    detail::sort_by_position(problems);
    print_diagnostics(problems);
    return std::nullopt;
  }
  return cfg;
}

std::unique_ptr<store::Backend> open_data(const config::Config& cfg, const std::string& config_path,
                                          const std::string& data_override, double busy_timeout) {
  std::string source = data_override.empty() ? cfg.data : data_override;
  if (source.empty()) {
    std::cerr << config_path << ": no data source: set `data:` in the config or pass --data\n";
    return nullptr;
  }
  try {
    return store::open_backend(source, {static_cast<int>(busy_timeout * 1000)});
  } catch (const std::exception& e) {
    std::cerr << (data_override.empty()
                      ? cfg.data_where.file.empty() ? config_path : Diagnostic{cfg.data_where, ""}.format()
                      : std::string("--data: "))
              << escape_for_terminal(e.what()) << '\n';
    return nullptr;
  }
}

namespace {

std::string describe_period(const config::Config& cfg) {
  std::string text = cfg.period.from.iso() + " .. " + cfg.period.to.iso();
  if (cfg.compare_period)
    text += " (compared with " + cfg.compare_period->from.iso() + " .. " + cfg.compare_period->to.iso() + ")";
  return text;
}

}  // namespace

int run(const RunArgs& args) {
  std::unique_ptr<plugins::Registry> holder;
  plugins::Registry* registry = nullptr;
  auto cfg = load_valid_config(args.config, args.format, registry, holder);
  if (!cfg) return kInvalid;
  if (args.deliver && cfg->deliver.empty()) {
    std::cerr << args.config
              << ": --deliver, but the config has no `deliver:` targets (see docs/delivery.md)\n";
    return kInvalid;
  }
  std::string source = args.data.empty() ? cfg->data : args.data;
  if (source.empty()) {
    std::cerr << args.config << ": no data source: set `data:` in the config or pass --data\n";
    return kInvalid;
  }
  // Isolated plugins' processes start now, beside opening the data and the
  // in-process metrics; they end as soon as their last use is done.
  run::ProcessPool pool(*registry);
  run::prestart_isolated(*cfg, *registry, pool);
  std::unique_ptr<store::Backend> backend;
  try {
    backend = store::open_backend(source, {static_cast<int>(args.busy_timeout * 1000),
                                           static_cast<int>(args.statement_timeout * 1000)});
  } catch (const std::exception& e) {
    std::cerr << (args.data.empty()
                      ? cfg->data_where.file.empty() ? args.config : Diagnostic{cfg->data_where, ""}.format()
                      : std::string("--data: "))
              << escape_for_terminal(e.what()) << '\n';
    return kInvalid;
  }
  spdlog::debug("running {} metric(s) on {} for {}", cfg->metrics.size(), backend->describe(),
                describe_period(*cfg));
  auto result = run::run_metrics(*cfg, *registry, *backend, args.jobs, &pool);
  for (const auto& o : registry->overrides()) {
    std::string notice = "plugin '" + o.name + "' from " + o.manifest_path +
                         " replaces the installed one at " + o.replaced_path +
                         " (override: true in the config)";
    spdlog::warn("{}", notice);
    result.warnings.push_back(std::move(notice));
  }
  run::RenderOptions options;
  options.output = &std::cout;
  options.output_is_tty = stdout_is_color_tty();
  options.out_dir = args.out_dir;
  auto outcomes = run::render_reports(*cfg, result, *registry, options, &pool);
  bool reports_ok = std::all_of(outcomes.begin(), outcomes.end(), [](const auto& o) { return o.ok; });
  const bool ran_ok = result.all_ok() && reports_ok;
  if (args.deliver) return deliver_after_run(args, *cfg, result, *registry, *backend, ran_ok);
  return ran_ok ? kOk : kSomethingFailed;
}

int check(const std::string& config_path, const std::string& data_override, double busy_timeout) {
  std::unique_ptr<plugins::Registry> holder;
  plugins::Registry* registry = nullptr;
  auto cfg = load_valid_config(config_path, "", registry, holder);
  if (!cfg) return kInvalid;
  std::string source = data_override.empty() ? cfg->data : data_override;
  if (!source.empty()) {
    try {
      store::open_backend(source, {static_cast<int>(busy_timeout * 1000)});
    } catch (const std::exception& e) {
      std::cerr << (data_override.empty() ? Diagnostic{cfg->data_where, ""}.format()
                                          : std::string("--data: "))
                << escape_for_terminal(e.what()) << '\n';
      return kInvalid;
    }
  }
  // Every plugin the loader would refuse, with the message `run` would give.
  std::vector<Diagnostic> refused;
  for (const auto* uses : {&cfg->metrics, &cfg->reports})
    for (const auto& use : *uses)
      if (std::string why = registry->refusal(use.use); !why.empty())
        refused.push_back(Diagnostic{use.where, "refused: " + why});
  if (!refused.empty()) {
    print_diagnostics(refused);
    return kSomethingFailed;
  }
  std::cout << config_path << ": ok: " << cfg->metrics.size() << " metric(s), " << cfg->reports.size()
            << " report(s), period " << describe_period(*cfg) << '\n';
  return kOk;
}

int list_plugins(const std::vector<std::string>& extra_dirs) {
  plugins::Registry registry(plugin_dirs(extra_dirs));
  warn_registry_problems(registry);
  auto all = registry.all();
  if (all.empty()) {
    std::cerr << "no plugins found; searched: " << join(plugin_dirs(extra_dirs), ", ") << '\n';
    return kSomethingFailed;
  }
  size_t name_w = 4, version_w = 7;
  for (const auto* m : all) {
    name_w = std::max(name_w, m->name.size());
    version_w = std::max(version_w, m->version.size());
  }
  auto pad = [](const std::string& s, size_t w) {
    return s + std::string(w > s.size() ? w - s.size() : 0, ' ');
  };
  std::cout << pad("NAME", name_w) << "  " << pad("KIND", 6) << "  " << pad("VERSION", version_w)
            << "  SDK  SUMMARY\n";
  registry.set_trust(plugins::TrustPolicy::from_env());
  bool any_refused = false;
  for (const auto* m : all) {
    std::cout << pad(m->name, name_w) << "  " << pad(plugins::kind_name(m->kind), 6) << "  "
              << pad(m->version, version_w) << "  " << m->sdk_major << '.' << m->sdk_minor << "  "
              << m->summary << '\n';
    // Flagged with the loader's own message, so nobody finds out at run time.
    if (std::string why = registry.refusal(m->name); !why.empty()) {
      std::cout << pad("", name_w) << "  REFUSED: " << escape_for_terminal(why) << '\n';
      any_refused = true;
    }
  }
  return any_refused ? kSomethingFailed : kOk;
}

int describe(const std::string& name, const std::vector<std::string>& extra_dirs) {
  plugins::Registry registry(plugin_dirs(extra_dirs));
  warn_registry_problems(registry);
  const plugins::Manifest* m = registry.find(name);
  if (!m) {
    std::vector<std::string> known;
    for (const auto* p : registry.all()) known.push_back(p->name);
    std::string hint = closest_match(name, known);
    std::cerr << "unknown plugin '" << name << "'" << (hint.empty() ? "" : "; did you mean '" + hint + "'?")
              << " installed: " << join(known, ", ") << '\n';
    return kInvalid;
  }
  std::cout << m->name << " (" << plugins::kind_name(m->kind) << " plugin, version " << m->version << ", SDK "
            << m->sdk_major << '.' << m->sdk_minor << ")\n";
  if (!m->title.empty()) std::cout << m->title << '\n';
  std::cout << m->summary << "\n\n";
  registry.set_trust(plugins::TrustPolicy::from_env());
  const std::string refusal = registry.refusal(name);
  if (!refusal.empty()) std::cout << "REFUSED:  " << escape_for_terminal(refusal) << "\n\n";
  if (!m->needs.empty()) std::cout << "reads:    " << join(m->needs, ", ") << '\n';
  if (!m->extensions.empty()) std::cout << "files:    " << join(m->extensions, ", ") << '\n';
  std::cout << "library:  " << m->library_path() << '\n' << "manifest: " << m->manifest_path << "\n\n";
  const int status = refusal.empty() ? kOk : kSomethingFailed;
  if (m->params.empty()) {
    std::cout << "no params\n";
    return status;
  }
  std::cout << "params:\n";
  auto value_text = [](const plugins::ParamValue& v) {
    if (v.is_list) return "[" + join(v.list, ", ") + "]";
    if (auto* s = std::get_if<std::string>(&v.scalar)) return *s;
    if (auto* i = std::get_if<int64_t>(&v.scalar)) return std::to_string(*i);
    if (auto* d = std::get_if<double>(&v.scalar)) {
      std::string t = std::to_string(*d);
      while (t.size() > 1 && t.back() == '0') t.pop_back();
      if (!t.empty() && t.back() == '.') t.pop_back();
      return t;
    }
    return std::string("n/a");
  };
  for (const auto& p : m->params) {
    std::cout << "  " << p.name << "  (" << plugins::param_type_name(p.type);
    if (p.type == plugins::ParamType::Bool && p.default_value)
      std::cout << ", default " << (std::get<int64_t>(p.default_value->scalar) ? "true" : "false");
    else if (p.default_value)
      std::cout << ", default " << value_text(*p.default_value);
    else if (p.required)
      std::cout << ", required";
    else
      std::cout << ", optional";
    if (p.min) std::cout << ", min " << *p.min;
    if (p.max) std::cout << ", max " << *p.max;
    std::cout << ")\n";
    if (!p.values.empty()) std::cout << "      values: " << join(p.values, ", ") << '\n';
    std::cout << "      " << p.doc << '\n';
  }
  return status;
}

int demo(const DemoArgs& args) {
  if (args.scale < 1) {
    std::cerr << "--scale must be at least 1\n";
    return kInvalid;
  }
  demo::DemoOptions options;
  options.db_path = args.db;
  options.scale = args.scale;
  options.seed = args.seed;
  try {
    auto summary = demo::generate(options, [](const std::string& status) { spdlog::debug("{}", status); });
    std::cout << "wrote " << format::redact_source(args.db) << " (scale " << args.scale << ", seed "
              << args.seed << ") in " << fmt::format("{:.1f}", summary.seconds) << " s: " << summary.reps
              << " reps in " << summary.teams << " teams, " << summary.accounts << " accounts, "
              << summary.leads << " leads, " << summary.opportunities << " opportunities, "
              << summary.activities << " activities, " << summary.subscriptions << " subscriptions\n";
    return kOk;
  } catch (const std::exception& e) {
    std::cerr << "tally demo: " << escape_for_terminal(e.what()) << '\n';
    return kInvalid;
  }
}

int import_files(const ImportArgs& args) {
  import::ImportOptions options;
  options.mapping_path = args.mapping;
  options.db_path = args.db;
  options.files = args.files;
  options.dry_run = args.dry_run;
  options.strict = args.strict;
  options.show_progress = isatty(fileno(stderr)) != 0;
  options.busy_timeout_ms = static_cast<int>(args.busy_timeout * 1000);
  plugins::Registry registry(plugin_dirs({}));
  warn_registry_problems(registry);
  try {
    auto summary = import::run_import(options, registry);
    std::cout << import::format_summary(summary);
    bool rejected =
        std::any_of(summary.files.begin(), summary.files.end(), [](const auto& f) { return f.rejected > 0; });
    return rejected ? kSomethingFailed : kOk;
  } catch (const DiagnosticError& e) {
    print_diagnostics(e.diagnostics());
    return kInvalid;
  } catch (const store::EngineError& e) {  // the store failed while importing
    std::cerr << "tally import: " << escape_for_terminal(e.what()) << '\n';
    return kSomethingFailed;
  } catch (const store::StoreError& e) {  // a store that cannot be opened, or that the user may not write
    std::cerr << "tally import: " << escape_for_terminal(e.what()) << '\n';
    return kInvalid;
  } catch (const std::exception& e) {
    std::cerr << "tally import: " << escape_for_terminal(e.what()) << '\n';
    return kSomethingFailed;
  }
}

int migrate(const std::string& db) {
  const std::string shown = format::redact_source(db);
  int before = 0;
  try {
    before = store::peek_schema_version(db);
  } catch (const std::exception& e) {
    std::cerr << "tally migrate: " << escape_for_terminal(e.what()) << '\n';
    return kInvalid;
  }
  try {
    auto database = store::open_store(db);
    std::cout << shown << ": schema version " << before << " -> " << database->schema_version() << '\n';
    return kOk;
  } catch (const std::exception& e) {
    std::cerr << "tally migrate: " << escape_for_terminal(e.what()) << '\n';
    return kSomethingFailed;
  }
}

int schema_markdown() {
  std::cout << import::field_reference_markdown();
  return kOk;
}

int recover(const std::string& db, double busy_timeout) {
  try {
    std::cout << store::recover(db, static_cast<int>(busy_timeout * 1000)) << '\n';
    return kOk;
  } catch (const std::exception& e) {
    std::cerr << "tally recover: " << e.what() << '\n';
    return kSomethingFailed;
  }
}

}  // namespace tally::cli
