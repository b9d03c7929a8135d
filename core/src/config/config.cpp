// Reading a report config: every key checked, every problem collected with
// its file:line:column, then thrown together. Over 400 lines: one reader
// class with a method per key of the config language, sharing its YAML
// reader and its list of problems.
#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <map>

#include "config/detail.hpp"

namespace tally::config {

const std::vector<std::string>& dimension_names() {
  static const std::vector<std::string> names = {"rep",     "team",     "manager", "region",
                                                 "segment", "industry", "source",  "product"};
  return names;
}

namespace {

using detail::YamlReader;
using Entry = YamlReader::Entry;

const std::vector<std::string> kTopKeys = {
    "title",   "data",    "currency", "fiscal_year_start", "as_of",
    "period",  "compare", "filters",  "plugin_paths",      "metrics",
    "reports", "deliver", "alerts",   "require_signed",    "trusted_keys"};
const std::vector<std::string> kPeriodKeys = {"from", "to", "last", "this", "compare"};
const std::vector<std::string> kMetricKeys = {"use",     "as",        "title",   "params",
                                              "targets", "isolation", "timeout", "memory"};
// Keys of a report entry that are not params; anything else is an inline param.
const std::vector<std::string> kReportReservedKeys = {"use",       "as",      "title", "params",
                                                      "isolation", "timeout", "memory"};
const std::vector<std::string> kCompareModes = {"previous_period", "previous_year", "none"};

std::optional<int> parse_month(const std::string& text) {
  if (auto number = detail::parse_int(text)) {
    if (*number >= 1 && *number <= 12) return static_cast<int>(*number);
    return std::nullopt;
  }
  static const std::array<const char*, 12> names = {"january",   "february", "march",    "april",
                                                    "may",       "june",     "july",     "august",
                                                    "september", "october",  "november", "december"};
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string name = names[i];
    if (lower == name || lower == name.substr(0, 3)) return static_cast<int>(i + 1);
  }
  return std::nullopt;
}

class ConfigReader {
 public:
  ConfigReader(Config& config, YamlReader& yaml) : config_(config), yaml_(yaml) {
    config_dir_ = std::filesystem::path(config.path).parent_path();
  }

  void read(const YAML::Node& root, Date today) {
    const SourceLocation root_where{yaml_.file(), 1, 1};
    const auto entries = yaml_.entries(root, &kTopKeys, "");
    auto entry = [&](const char* key) { return detail::find_entry(entries, key); };

    if (auto* e = entry("title")) config_.title = yaml_.text(*e, "title").value_or("");
    if (auto* e = entry("data")) read_data(*e);
    if (auto* e = entry("currency")) read_currency(*e);
    if (auto* e = entry("fiscal_year_start")) read_fiscal_year_start(*e);
    config_.as_of = today;
    if (auto* e = entry("as_of")) read_as_of(*e);

    const Entry* top_compare = entry("compare");
    if (auto* e = entry("period"))
      read_period(*e, top_compare);
    else
      yaml_.error(root_where, "period is required: add e.g. `period: {last: quarter}`");
    if (top_compare && !period_compare_) read_compare(*top_compare);

    if (auto* e = entry("filters")) read_filters(*e);
    if (auto* e = entry("plugin_paths")) read_plugin_paths(*e);
    if (auto* e = entry("require_signed")) read_require_signed(*e);
    if (auto* e = entry("trusted_keys"))
      if (auto keys = yaml_.text(*e, "trusted_keys"); keys && !keys->empty())
        config_.trusted_keys = resolve_path(*keys);
    if (auto* e = entry("metrics"))
      read_uses(*e, /*is_report=*/false, config_.metrics);
    else
      yaml_.error(root_where,
                  "metrics is required: list the metric plugins to run, e.g. `metrics: [{use: pipeline}]`");
    if (auto* e = entry("reports")) read_uses(*e, /*is_report=*/true, config_.reports);
    if (auto* e = entry("deliver")) detail::read_delivery_targets(yaml_, *e, config_.deliver);
    if (auto* e = entry("alerts")) {
      detail::read_alerts(yaml_, *e, config_, config_.alerts);
      if (!entry("deliver") && !config_.alerts.empty())
        yaml_.error(config_.alerts.front().where,
                    "alerts decide when the deliver: targets are sent, but the config has none");
    }
  }

 private:
  std::string resolve_path(const std::string& path) const {
    if (path.empty() || config_dir_.empty() || std::filesystem::path(path).is_absolute()) return path;
    return (config_dir_ / path).lexically_normal().string();
  }

  void read_data(const Entry& e) {
    config_.data_where = e.value_where;
    auto text = yaml_.text(e, "data");
    if (!text || text->empty()) return;  // `--data` may supply it
    // URLs (postgresql://, clickhouse://) are taken as written.
    config_.data = text->find("://") != std::string::npos ? *text : resolve_path(*text);
  }

  void read_currency(const Entry& e) {
    auto text = yaml_.text(e, "currency");
    if (!text) return;
    const bool ok = text->size() == 3 &&
                    std::all_of(text->begin(), text->end(), [](char c) { return c >= 'A' && c <= 'Z'; });
    if (ok)
      config_.currency = *text;
    else
      yaml_.error(e.value_where,
                  "currency must be a 3-letter code in capitals, like USD or EUR; got '" + *text + "'");
  }

  void read_fiscal_year_start(const Entry& e) {
    auto text = yaml_.text(e, "fiscal_year_start");
    if (!text) return;
    if (auto month = parse_month(*text))
      config_.fiscal_year_start = *month;
    else
      yaml_.error(e.value_where,
                  "fiscal_year_start must be a month: 1-12 or a name like april or Apr; got '" + *text + "'");
  }

  // `require_signed: true`: every plugin this config uses must carry a
  // signature that a key in `trusted_keys:` verifies.
  void read_require_signed(const Entry& e) {
    auto flag = yaml_.text(e, "require_signed");
    if (!flag) return;
    if (*flag == "true" || *flag == "false")
      config_.require_signed = *flag == "true";
    else
      yaml_.error(e.value_where, "require_signed must be true or false, not '" + *flag + "'");
  }

  void read_as_of(const Entry& e) {
    auto text = yaml_.text(e, "as_of");
    if (!text || text->empty()) return;  // `as_of: ${AS_OF:-}` means today
    if (auto date = detail::parse_iso_date(*text))
      config_.as_of = *date;
    else
      yaml_.error(e.value_where, "invalid date '" + *text + "' for as_of; expected YYYY-MM-DD");
  }

  void read_compare(const Entry& e) {
    auto text = yaml_.text(e, "compare");
    if (!text) return;
    if (*text == "previous_period")
      config_.compare = CompareMode::PreviousPeriod;
    else if (*text == "previous_year")
      config_.compare = CompareMode::PreviousYear;
    else if (*text == "none" || text->empty())
      config_.compare = CompareMode::None;
    else
      yaml_.error(e.value_where, "unknown compare mode '" + *text + "'; " +
                                     detail::did_you_mean(*text, kCompareModes) +
                                     "valid: " + detail::join(kCompareModes));
  }

  std::optional<Date> read_date(const Entry& e, const char* what) {
    auto text = yaml_.text(e, what);
    if (!text) return std::nullopt;
    auto date = detail::parse_iso_date(*text);
    if (!date)
      yaml_.error(e.value_where, "invalid date '" + *text + "' for " + what + "; expected YYYY-MM-DD");
    return date;
  }

  void read_period(const Entry& period_entry, const Entry* top_compare) {
    if (!period_entry.value.IsMap()) {
      yaml_.error(period_entry.value_where,
                  "period must be a map, like {last: quarter} or {from: 2025-07-01, to: 2025-10-01}");
      return;
    }
    const auto entries = yaml_.entries(period_entry.value, &kPeriodKeys, "period");
    const Entry* from = detail::find_entry(entries, "from");
    const Entry* to = detail::find_entry(entries, "to");
    const Entry* last = detail::find_entry(entries, "last");
    const Entry* this_one = detail::find_entry(entries, "this");
    if (const Entry* compare = detail::find_entry(entries, "compare")) {
      period_compare_ = true;
      read_compare(*compare);
      if (top_compare)
        yaml_.error(top_compare->key_where, "compare is also given in period; keep one of them");
    }

    const Entry* relative = last ? last : this_one;
    if (last && this_one) {
      yaml_.error(this_one->key_where, "use either last or this in period, not both");
      return;
    }
    if (relative && (from || to)) {
      yaml_.error(relative->key_where, "use either from/to or " + relative->key + " in period, not both");
      return;
    }
    if (relative) {
      auto unit = yaml_.text(*relative, relative->key);
      if (!unit) return;
      auto period =
          detail::relative_period(*unit, relative == last, config_.as_of, config_.fiscal_year_start);
      if (period)
        config_.period = *period;
      else
        yaml_.error(relative->value_where, "unknown period '" + *unit + "'; " +
                                               detail::did_you_mean(*unit, detail::period_units()) +
                                               "valid: " + detail::join(detail::period_units()));
      return;
    }
    if (!from && !to) {
      yaml_.error(
          period_entry.key_where,
          "period needs from/to, last or this, like {last: quarter} or {from: 2025-07-01, to: 2025-10-01}");
      return;
    }
    if (!from || !to) {
      const Entry* given = from ? from : to;
      yaml_.error(given->key_where,
                  std::string("period has ") + (from ? "from but no to" : "to but no from"));
      return;
    }
    auto from_date = read_date(*from, "from");
    auto to_date = read_date(*to, "to");
    if (!from_date || !to_date) return;
    if (*from_date >= *to_date) {
      yaml_.error(to->value_where, "period to (" + to_date->iso() + ") must be after from (" +
                                       from_date->iso() + "); to is the first day not included");
      return;
    }
    config_.period = Period{*from_date, *to_date};
  }

  void read_filters(const Entry& e) {
    if (e.value.IsNull()) return;
    if (!e.value.IsMap()) {
      yaml_.error(e.value_where, "filters must be a map of dimension to values, like {region: [EMEA, NA]}");
      return;
    }
    for (const auto& filter : yaml_.entries(e.value, nullptr, "filters")) {
      const auto& dimensions = dimension_names();
      if (std::find(dimensions.begin(), dimensions.end(), filter.key) == dimensions.end()) {
        yaml_.error(filter.key_where, "unknown dimension '" + filter.key + "' in filters; " +
                                          detail::did_you_mean(filter.key, dimensions) +
                                          "valid: " + detail::join(dimensions));
        continue;
      }
      auto values = yaml_.text_list(filter, "filter " + filter.key);
      if (!values) continue;
      if (values->empty())
        yaml_.error(filter.value_where, "filter " + filter.key + " needs at least one value");
      else
        config_.filters[filter.key] = std::move(*values);
    }
  }

  // `plugin_paths: DIR`, `[DIR, ...]`, or items `{path: DIR, override: true}`.
  void read_plugin_paths(const Entry& e) {
    if (e.value.IsNull()) return;
    if (e.value.IsMap()) {
      yaml_.error(e.value_where,
                  "plugin_paths must be a list, like [plugins] or [{path: plugins, override: true}]");
      return;
    }
    std::vector<YAML::Node> items;
    if (e.value.IsScalar())
      items.push_back(e.value);
    else
      for (const auto& item : e.value) items.push_back(item);
    static const std::vector<std::string> keys = {"path", "override", "isolation", "timeout", "memory"};
    for (const auto& item : items) {
      const SourceLocation where = e.value.IsScalar() ? e.value_where : yaml_.at(item);
      PluginPath entry;
      entry.where = where;
      std::optional<std::string> path;
      if (item.IsMap()) {
        for (const auto& field : yaml_.entries(item, &keys, "a plugin_paths entry")) {
          if (field.key == "path") path = yaml_.text(field, "plugin_paths path");
          if (field.key == "override") {
            auto flag = yaml_.text(field, "override");
            if (!flag) continue;
            if (*flag == "true" || *flag == "false")
              entry.override_installed = *flag == "true";
            else
              yaml_.error(field.value_where, "override must be true or false, not '" + *flag + "'");
          }
          read_isolation_field(field, entry.isolation);
        }
        if (!path) {
          yaml_.error(
              where,
              "a plugin_paths entry written as a map needs `path:`, like {path: plugins, override: true}");
          continue;
        }
      } else {
        path = yaml_.text(item, where, "each item of plugin_paths");
        if (!path) continue;
      }
      if (path->empty()) {
        yaml_.error(where, "plugin_paths has an empty entry");
        continue;
      }
      entry.path = resolve_path(*path);
      config_.plugin_paths.push_back(entry.path);
      config_.plugin_path_entries.push_back(std::move(entry));
    }
  }

  void read_uses(const Entry& e, bool is_report, std::vector<PluginUse>& out) {
    const std::string kind = is_report ? "report" : "metric";
    if (!e.value.IsSequence() && !e.value.IsNull()) {
      yaml_.error(e.value_where, e.key + " must be a list: each item starts with `- use:`");
      return;
    }
    if (!is_report && e.value.size() == 0) {
      yaml_.error(e.value_where, "metrics must list at least one metric, like `- use: pipeline`");
      return;
    }
    // Where each name was first used, to catch two results with the same name.
    std::map<std::string, SourceLocation> names;
    for (const auto& item : e.value) {
      auto use = read_use(item, is_report);
      if (!use) continue;
      if (!is_report) {
        auto [first, inserted] = names.emplace(use->name, name_where_);
        if (!inserted) {
          yaml_.error(name_where_, kind + " name '" + use->name + "' is already used at line " +
                                       std::to_string(first->second.line) + "; " +
                                       (name_from_as_ ? "pick another `as:` name"
                                                      : "add `as:` to give this one its own name"));
          continue;
        }
      }
      out.push_back(std::move(*use));
    }
  }

  std::optional<ParamValue> read_param(const Entry& e, const std::string& plugin) {
    ParamValue raw;
    if (e.value.IsMap()) {
      yaml_.error(e.value_where,
                  "param '" + e.key + "' for " + plugin + " must be a value or a list, not a map");
      return std::nullopt;
    }
    if (e.value.IsSequence()) {
      auto items = yaml_.text_list(e, "param '" + e.key + "'");
      if (!items) return std::nullopt;
      raw.is_list = true;
      raw.list = std::move(*items);
      return raw;
    }
    auto text = yaml_.text(e, "param '" + e.key + "'");
    if (!text) return std::nullopt;
    raw.scalar = *text;
    return raw;
  }

  void add_param(PluginUse& use, const Entry& e) {
    if (use.params.count(e.key)) {
      yaml_.error(e.key_where,
                  "param '" + e.key + "' for " + use.use + " is given twice (inline and under params:)");
      return;
    }
    if (auto raw = read_param(e, use.use)) {
      use.params[e.key] = std::move(*raw);
      use.param_where[e.key] = e.value_where;
    }
  }

  std::optional<PluginUse> read_use(const YAML::Node& item, bool is_report) {
    const std::string kind = is_report ? "report" : "metric";
    PluginUse use;
    if (item.IsScalar()) {  // `- pipeline` is short for `- use: pipeline`
      use.where = yaml_.at(item);
      use.use = yaml_.text(item, use.where, kind).value_or("");
      use.name = use.use;
      name_where_ = use.where;
      name_from_as_ = false;
      if (use.use.empty()) {
        yaml_.error(use.where, kind + " needs `use:` naming the plugin to run");
        return std::nullopt;
      }
      return use;
    }
    if (!item.IsMap()) {
      yaml_.error(yaml_.at(item), "each " + kind + " must be a map like `- use: NAME`");
      return std::nullopt;
    }
    const auto entries = yaml_.entries(item, is_report ? nullptr : &kMetricKeys, kind);
    const Entry* use_entry = detail::find_entry(entries, "use");
    if (use_entry) use.use = yaml_.text(*use_entry, "use").value_or("");
    if (use.use.empty()) {
      yaml_.error(use_entry ? use_entry->value_where : yaml_.at(item),
                  kind + " needs `use:` naming the plugin to run");
      return std::nullopt;
    }
    use.where = use_entry->key_where;
    use.name = use.use;
    name_where_ = use.where;
    name_from_as_ = false;
    bool ok = true;

    if (const Entry* as = detail::find_entry(entries, "as")) {
      auto name = yaml_.text(*as, "as");
      if (name && detail::is_identifier(*name)) {
        use.name = *name;
        name_where_ = as->value_where;
        name_from_as_ = true;
      } else if (name) {
        yaml_.error(as->value_where, "`as: " + *name +
                                         "` is not a valid name: use lowercase letters, digits and _, like "
                                         "losses_by_competitor");
        ok = false;
      }
    }
    if (const Entry* title = detail::find_entry(entries, "title"))
      use.title = yaml_.text(*title, "title").value_or("");
    for (const auto& e : entries)
      if (read_isolation_field(e, use.isolation) && use.isolation_where.line == 0)
        use.isolation_where = e.key_where;

    if (const Entry* params = detail::find_entry(entries, "params")) {
      if (params->value.IsMap()) {
        for (const auto& param : yaml_.entries(params->value, nullptr, "params")) add_param(use, param);
      } else if (!params->value.IsNull()) {
        yaml_.error(params->value_where, "params must be a map, like params: {group_by: competitor}");
      }
    }
    if (is_report) {
      for (const auto& e : entries)
        if (std::find(kReportReservedKeys.begin(), kReportReservedKeys.end(), e.key) ==
            kReportReservedKeys.end())
          add_param(use, e);
    } else if (const Entry* targets = detail::find_entry(entries, "targets")) {
      read_targets(*targets, use);
    }
    return ok ? std::optional(use) : std::nullopt;
  }

  // `isolation: process | in_process`, `timeout: 2s`, `memory: 512MiB` of a
  // metric, report or plugin_paths entry. False when `e` is another key.
  bool read_isolation_field(const Entry& e, plugins::IsolationSpec& spec) {
    if (e.key != "isolation" && e.key != "timeout" && e.key != "memory") return false;
    auto text = yaml_.text(e, e.key);
    if (!text) return true;
    std::string error;
    if (e.key == "isolation") {
      if (*text == "process" || *text == "in_process")
        spec.process = *text == "process";
      else
        yaml_.error(e.value_where, "isolation must be process or in_process, not '" + *text + "'");
    } else if (e.key == "timeout") {
      if (auto seconds = plugins::parse_timeout(*text, error))
        spec.timeout_seconds = seconds;
      else
        yaml_.error(e.value_where, error);
    } else if (auto bytes = plugins::parse_memory(*text, error)) {
      spec.memory_bytes = bytes;
    } else {
      yaml_.error(e.value_where, error);
    }
    return true;
  }

  void read_targets(const Entry& e, PluginUse& use) {
    if (e.value.IsNull()) return;
    if (!e.value.IsMap()) {
      yaml_.error(e.value_where, "targets must be a map of KPI name to number, like {win_rate: 0.3}");
      return;
    }
    for (const auto& target : yaml_.entries(e.value, nullptr, "targets")) {
      auto text = yaml_.text(target, "target " + target.key);
      if (!text) continue;
      if (auto number = detail::parse_number(*text))
        use.targets[target.key] = *number;
      else
        yaml_.error(target.value_where,
                    "target for '" + target.key + "' must be a number; got '" + *text + "'");
    }
  }

  Config& config_;
  YamlReader& yaml_;
  std::filesystem::path config_dir_;
  bool period_compare_ = false;
  // Where the last read use got its name (its `as:` value or `use:` key).
  SourceLocation name_where_;
  bool name_from_as_ = false;
};

}  // namespace

Config load_config(const std::string& path, const EnvLookup& env, Date today) {
  std::vector<Diagnostic> problems;
  Config config = load_config(path, env, today, problems);
  if (!problems.empty()) throw DiagnosticError(std::move(problems));
  return config;
}

Config load_config(const std::string& path, const EnvLookup& env, Date today,
                   std::vector<Diagnostic>& diagnostics) {
  std::string read_error;
  auto text = detail::read_file(path, read_error);
  if (!text) throw DiagnosticError({Diagnostic{{path, 0, 0}, "cannot read config: " + read_error}});
  return load_config_text(*text, path, env, today, diagnostics);
}

Config load_config_text(const std::string& text, const std::string& path, const EnvLookup& env, Date today,
                        std::vector<Diagnostic>& diagnostics) {
  auto root = detail::load_yaml(text, path, diagnostics);
  if (!root) throw DiagnosticError(std::move(diagnostics));
  if (root->IsNull())
    throw DiagnosticError(
        {Diagnostic{{path, 0, 0}, "config is empty: it needs at least period: and metrics:"}});
  if (!root->IsMap())
    throw DiagnosticError(
        {Diagnostic{{path, 1, 1}, "a config must be a map of keys like title:, period: and metrics:"}});

  Config config;
  config.path = path;
  detail::YamlReader yaml(path, &env, diagnostics);
  ConfigReader reader(config, yaml);
  const size_t before = diagnostics.size();
  reader.read(*root, today);
  detail::sort_by_position(diagnostics);
  if (diagnostics.size() > before) return config;
  if (config.compare != CompareMode::None)
    config.compare_period = compare_period_for(config.period, config.compare);
  return config;
}

}  // namespace tally::config
