// Report configs (`configs/*.yaml`): parsing, ${ENV} substitution, period
// resolution and validation against plugin manifests. Every problem is
// reported as file:line:column with the valid choices, all at once.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "plugins/isolation.hpp"
#include "plugins/manifest.hpp"
#include "util/date.hpp"
#include "util/diagnostic.hpp"

namespace tally::config {

using plugins::ParamValue;

// The standard dimensions every metric can be grouped and filtered by.
const std::vector<std::string>& dimension_names();

enum class CompareMode { None, PreviousPeriod, PreviousYear };

struct Period {
  Date from;  // inclusive
  Date to;    // exclusive
};

struct PluginUse {
  std::string use;    // plugin name
  std::string name;   // `as:`, or the plugin name
  std::string title;  // optional `title:`
  // Raw params as written, validated by validate(); keyed by param name.
  std::map<std::string, ParamValue> params;
  std::map<std::string, double> targets;  // metrics: `targets: {kpi: value}`
  SourceLocation where;                   // the `use:` key
  std::map<std::string, SourceLocation> param_where;
  // `isolation:`, `timeout:`, `memory:` (plugins/isolation.hpp); where the
  // first of them is written.
  plugins::IsolationSpec isolation;
  SourceLocation isolation_where;
};

// One `plugin_paths:` entry: `DIR`, or `{path: DIR, override: true}` to let
// its plugins replace installed plugins of the same name; `isolation:`,
// `timeout:` and `memory:` set the default of its plugins.
struct PluginPath {
  std::string path;  // resolved against the config's directory
  bool override_installed = false;
  plugins::IsolationSpec isolation;
  SourceLocation where;  // the entry
};

// One `deliver:` target (docs/delivery.md). Values are taken after ${VAR}
// substitution; passwords, tokens and URLs may be secrets, so messages name a
// target by describe() in deliver/, never by these raw values.
struct DeliveryTarget {
  enum class Kind { Webhook, Email };
  Kind kind = Kind::Webhook;
  std::string name;  // `name:`, else "webhook N" / "email N" (1-based position)
  int timeout_seconds = 30;
  SourceLocation where;  // the list item
  // webhook: a JSON POST of the run, or a Slack-compatible body (format: slack)
  std::string url;
  bool slack = false;
  std::vector<std::pair<std::string, std::string>> headers;  // values may hold tokens
  // email: SMTP (smtp:// with STARTTLS when offered, smtps:// TLS)
  std::vector<std::string> to;
  std::string smtp;  // URL; user:password@ in it is taken as the login
  std::string from;
  std::string username, password;
  std::string subject;       // default: the title and the period
  bool require_tls = false;  // `tls: required`: refuse a server without STARTTLS
};

// One `alerts:` entry: delivery happens only when some alert holds.
struct Alert {
  enum class Condition { Below, Above, ChangeBelow };
  std::string metric;  // a metric's name (`as:`); empty = the metric that has the KPI
  std::string kpi;
  Condition condition = Condition::Below;
  double threshold = 0;
  std::string threshold_text;  // as written: 0.25, 25%
  SourceLocation where;        // the list item
};

struct Config {
  std::string path;
  std::string title;
  std::string data;  // data source: SQLite path (relative to the config's directory) or URL
  std::string currency = "USD";
  int fiscal_year_start = 1;  // month 1-12
  Date as_of;                 // "today" for relative periods; default today (UTC)
  Period period;
  CompareMode compare = CompareMode::None;
  std::optional<Period> compare_period;
  std::map<std::string, std::vector<std::string>> filters;  // dimension -> allowed values
  std::vector<std::string> plugin_paths;                    // resolved against the config's directory
  std::vector<PluginPath> plugin_path_entries;              // the same paths, with override: and location
  bool require_signed = false;                              // unsigned plugins are refused
  std::string trusted_keys;                                 // folder of trusted public keys (*.pem)
  std::vector<PluginUse> metrics;
  std::vector<PluginUse> reports;
  std::vector<DeliveryTarget> deliver;
  std::vector<Alert> alerts;
  SourceLocation data_where;
};

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup process_env();

// Parses a config file. Structural problems (YAML syntax, unknown keys, bad
// dates, from >= to, unknown dimension, bad compare mode, unset ${VAR}) are
// thrown together as one DiagnosticError. `today` resolves relative periods
// when the config has no `as_of:`.
Config load_config(const std::string& path, const EnvLookup& env, Date today);
// The same, but structural problems are appended to `problems` and the config
// read so far is returned (uses that could not be read are left out), so
// they can be reported together with validate()'s. Unreadable files, YAML
// syntax errors and a config that is not a map are still thrown.
Config load_config(const std::string& path, const EnvLookup& env, Date today,
                   std::vector<Diagnostic>& problems);
// The same from config text already read; `path` names it in messages and
// anchors relative paths (the fuzz target and embedding use it).
Config load_config_text(const std::string& text, const std::string& path, const EnvLookup& env, Date today,
                        std::vector<Diagnostic>& problems);

// Checks every metric and report use against the manifests: unknown plugin
// (with the installed ones of that kind as choices), wrong kind, unknown
// param (with the valid ones), wrong type, value not in enum, out of range,
// missing required param. Fills in defaults. Returns the problems found.
using ManifestLookup = std::function<const plugins::Manifest*(const std::string& name)>;
std::vector<Diagnostic> validate(Config& config, const ManifestLookup& find,
                                 const std::vector<std::string>& metric_names,
                                 const std::vector<std::string>& report_names);

// The comparison period for a period: previous_period is the same length
// immediately before (whole months stay whole months: Q3 -> Q2); previous_year
// is the same dates a year earlier.
Period compare_period_for(const Period& period, CompareMode mode);

}  // namespace tally::config
