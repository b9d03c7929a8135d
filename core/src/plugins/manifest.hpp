// A plugin manifest (`<name>.plugin.yaml`): what the host knows about a
// plugin before it opens the library. Params are declared once here, and
// validation, `tally describe` and the docs all come from this.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "util/diagnostic.hpp"
#include "util/value.hpp"

namespace tally::plugins {

enum class Kind { Metric, Report, Source };
const char* kind_name(Kind kind);  // "metric", "report", "source"

enum class ParamType {
  String,  // any text
  Int,     // whole number, optional min/max
  Number,  // real number, optional min/max
  Bool,    // true/false
  Enum,    // one of `values`
  List,    // a YAML sequence of text; of `values` when those are given
  Date,    // 'YYYY-MM-DD'
  Path,    // an output path; {title}, {from}, {to} are expanded, relative paths go under --out
};
const char* param_type_name(ParamType type);  // "string", "int", ...

// A param's value once validated. Scalars live in `scalar` (bool as int64
// 0/1, Date/Path/Enum/String as text); lists in `list`.
struct ParamValue {
  Value scalar;
  std::vector<std::string> list;
  bool is_list = false;
};

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::String;
  std::optional<ParamValue> default_value;  // none + !required = n/a when not given
  std::vector<std::string> values;          // allowed values (Enum, List)
  std::optional<double> min;
  std::optional<double> max;
  bool required = false;
  std::string doc;
};

struct Manifest {
  std::string name;
  Kind kind = Kind::Metric;
  std::string version;  // the plugin's own version, semver text
  int sdk_major = 0;
  int sdk_minor = 0;
  std::string library;  // file name, relative to the manifest's directory
  std::string sha256;   // lowercase hex of the library
  std::string summary;
  std::string title;                    // optional human title; defaults to name
  std::vector<std::string> needs;       // datasets it reads (metrics)
  std::vector<std::string> extensions;  // file extensions it reads (sources)
  std::vector<ParamSpec> params;
  // Metrics: each headline KPI's formula in words (`kpis:`), in manifest order.
  std::vector<std::pair<std::string, std::string>> kpi_formulas;

  std::string manifest_path;  // where it was read from
  SourceLocation where;       // its location, for messages

  const ParamSpec* find_param(const std::string& name) const;
  // The KPI's formula, or "" when the manifest gives none.
  std::string kpi_formula(const std::string& kpi) const;
  std::string library_path() const;  // library resolved against the manifest's directory
};

// Reads and checks one manifest; throws DiagnosticError listing every
// problem with file:line:column.
Manifest parse_manifest_file(const std::string& path);

// Parses manifest text; `display_path` names it in messages and anchors
// `library`. Manifests in the source tree lack library/sha256/sdk (the build
// fills them in), so those are required only when `require_build_fields`.
Manifest parse_manifest_text(const std::string& yaml_text, const std::string& display_path,
                             bool require_build_fields);

// Converts a raw value as written in YAML (scalar text, or a list) to the
// param's type and checks enum values, list values and min/max. On failure
// returns nullopt and sets `error` ("expected a whole number, got 'ten'").
std::optional<ParamValue> convert_param(const ParamSpec& spec, const ParamValue& raw, std::string& error);

// "true"/"yes" and "false"/"no", any case; nullopt otherwise.
std::optional<bool> parse_param_bool(std::string text);

}  // namespace tally::plugins
