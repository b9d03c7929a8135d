// Reading plugin manifests. Params are declared once here; their types drive
// config validation (params.cpp: convert_param), `tally describe` and the docs.
#include "plugins/manifest.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <regex>

#include "config/detail.hpp"

namespace tally::plugins {

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::Metric: return "metric";
    case Kind::Report: return "report";
    case Kind::Source: return "source";
  }
  return "metric";
}

const char* param_type_name(ParamType type) {
  switch (type) {
    case ParamType::String: return "string";
    case ParamType::Int: return "int";
    case ParamType::Number: return "number";
    case ParamType::Bool: return "bool";
    case ParamType::Enum: return "enum";
    case ParamType::List: return "list";
    case ParamType::Date: return "date";
    case ParamType::Path: return "path";
  }
  return "string";
}

const ParamSpec* Manifest::find_param(const std::string& param_name) const {
  for (const auto& param : params)
    if (param.name == param_name) return &param;
  return nullptr;
}

std::string Manifest::kpi_formula(const std::string& kpi) const {
  for (const auto& [name, formula] : kpi_formulas)
    if (name == kpi) return formula;
  return {};
}

std::string Manifest::library_path() const {
  const std::filesystem::path lib(library);
  if (lib.is_absolute()) return library;
  return (std::filesystem::path(manifest_path).parent_path() / lib).string();
}

namespace {

const std::vector<ParamType> kAllTypes = {ParamType::String, ParamType::Int,  ParamType::Number,
                                          ParamType::Bool,   ParamType::Enum, ParamType::List,
                                          ParamType::Date,   ParamType::Path};

std::vector<std::string> type_names() {
  std::vector<std::string> names;
  for (auto type : kAllTypes) names.push_back(param_type_name(type));
  return names;
}

}  // namespace
namespace {

using detail::YamlReader;
using Entry = YamlReader::Entry;

const std::vector<std::string> kManifestKeys = {"name",    "kind",       "version", "sdk",
                                                "library", "sha256",     "summary", "title",
                                                "needs",   "extensions", "params",  "kpis"};
const std::vector<std::string> kParamKeys = {"type", "default", "values", "min", "max", "required", "doc"};
const std::vector<std::string> kKinds = {"metric", "report", "source"};

class ManifestReader {
 public:
  ManifestReader(Manifest& manifest, YamlReader& yaml) : manifest_(manifest), yaml_(yaml) {}

  void read(const YAML::Node& root, bool require_build_fields) {
    const auto entries = yaml_.entries(root, &kManifestKeys, "");
    const SourceLocation top{yaml_.file(), 1, 1};
    auto required_text = [&](const char* key,
                             const char* hint) -> std::optional<std::pair<std::string, const Entry*>> {
      const Entry* e = detail::find_entry(entries, key);
      if (!e) {
        yaml_.error(top, std::string("manifest is missing `") + key + ":` (" + hint + ")");
        return std::nullopt;
      }
      auto text = yaml_.text(*e, key);
      if (!text) return std::nullopt;
      if (text->empty()) {
        yaml_.error(e->value_where, std::string("`") + key + ":` is empty (" + hint + ")");
        return std::nullopt;
      }
      return std::pair{*text, e};
    };

    if (auto name = required_text("name", "the plugin's name, like win_loss")) {
      if (detail::is_identifier(name->first))
        manifest_.name = name->first;
      else
        yaml_.error(
            name->second->value_where,
            "plugin name '" + name->first + "' must be lowercase letters, digits and _, like win_loss");
    }
    if (auto kind = required_text("kind", "metric, report or source")) read_kind(kind->first, *kind->second);
    if (auto version = required_text("version", "the plugin's own version, like 1.0.0")) {
      static const std::regex semver(
          R"(^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$)");
      if (std::regex_match(version->first, semver))
        manifest_.version = version->first;
      else
        yaml_.error(version->second->value_where,
                    "version must be semver MAJOR.MINOR.PATCH, like 1.0.0; got '" + version->first + "'");
    }
    if (auto summary = required_text("summary", "one line on what the plugin does"))
      manifest_.summary = summary->first;
    if (auto* e = detail::find_entry(entries, "title"))
      manifest_.title = yaml_.text(*e, "title").value_or("");
    if (manifest_.title.empty()) manifest_.title = manifest_.name;

    const bool has_sdk = detail::find_entry(entries, "sdk");
    const bool has_library = detail::find_entry(entries, "library");
    const bool has_sha256 = detail::find_entry(entries, "sha256");
    if (require_build_fields || has_sdk)
      if (auto sdk =
              required_text("sdk", "the SDK version it was built with, like \"1.0\"; the build fills it in"))
        read_sdk(sdk->first, *sdk->second);
    if (require_build_fields || has_library)
      if (auto library = required_text("library", "the library's file name; the build fills it in"))
        manifest_.library = library->first;
    if (require_build_fields || has_sha256)
      if (auto sha = required_text("sha256", "the library's sha256; the build fills it in"))
        read_sha256(sha->first, *sha->second);

    if (auto* e = detail::find_entry(entries, "needs"))
      manifest_.needs = yaml_.text_list(*e, "needs").value_or(std::vector<std::string>{});
    if (auto* e = detail::find_entry(entries, "extensions")) {
      manifest_.extensions = yaml_.text_list(*e, "extensions").value_or(std::vector<std::string>{});
      if (manifest_.kind != Kind::Source && kind_known_)
        yaml_.error(e->key_where, "extensions is only for source plugins; this is a " +
                                      std::string(kind_name(manifest_.kind)) + " plugin");
    }
    if (auto* e = detail::find_entry(entries, "params")) read_params(*e);
    if (auto* e = detail::find_entry(entries, "kpis")) read_kpis(*e);
  }

 private:
  // `kpis: {win_rate: "won / (won + lost) among deals closed in the period"}`:
  // the formula `tally explain` and the dashboard show beside a KPI's records.
  void read_kpis(const Entry& e) {
    if (!e.value.IsMap()) {
      yaml_.error(e.value_where,
                  "kpis must be a map of KPI name to its formula, like {win_rate: \"won / closed\"}");
      return;
    }
    for (const auto& kpi : yaml_.entries(e.value, nullptr, "kpis")) {
      if (!detail::is_identifier(kpi.key)) {
        yaml_.error(kpi.key_where, "KPI name '" + kpi.key + "' must be lowercase letters, digits and _");
        continue;
      }
      auto formula = yaml_.text(kpi, "the formula of " + kpi.key);
      if (formula && formula->empty())
        yaml_.error(kpi.value_where, "the formula of " + kpi.key + " is empty");
      else if (formula)
        manifest_.kpi_formulas.emplace_back(kpi.key, *formula);
    }
  }

  void read_kind(const std::string& text, const Entry& e) {
    if (text == "metric")
      manifest_.kind = Kind::Metric;
    else if (text == "report")
      manifest_.kind = Kind::Report;
    else if (text == "source")
      manifest_.kind = Kind::Source;
    else {
      yaml_.error(e.value_where, "unknown kind '" + text + "'; " + detail::did_you_mean(text, kKinds) +
                                     "valid: " + detail::join(kKinds));
      return;
    }
    kind_known_ = true;
  }

  void read_sdk(const std::string& text, const Entry& e) {
    static const std::regex major_minor(R"(^(\d{1,4})\.(\d{1,4})$)");
    std::smatch match;
    if (!std::regex_match(text, match, major_minor)) {
      yaml_.error(e.value_where, "sdk must be MAJOR.MINOR, like \"1.0\"; got '" + text + "'");
      return;
    }
    manifest_.sdk_major = std::stoi(match[1]);
    manifest_.sdk_minor = std::stoi(match[2]);
  }

  void read_sha256(std::string text, const Entry& e) {
    const bool hex = std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isxdigit(c); });
    if (text.size() != 64 || !hex) {
      yaml_.error(e.value_where, "sha256 must be 64 hex digits; got '" + text + "' (" +
                                     std::to_string(text.size()) + " characters)");
      return;
    }
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    manifest_.sha256 = text;
  }

  void read_params(const Entry& e) {
    if (e.value.IsNull()) return;
    if (!e.value.IsMap()) {
      yaml_.error(e.value_where, "params must be a map of param name to {type, doc, ...}");
      return;
    }
    for (const auto& param : yaml_.entries(e.value, nullptr, "params"))
      if (auto spec = read_param(param)) manifest_.params.push_back(std::move(*spec));
  }

  std::optional<ParamSpec> read_param(const Entry& e) {
    const std::string what = "param '" + e.key + "'";
    if (!detail::is_identifier(e.key)) {
      yaml_.error(e.key_where,
                  what + ": a param name must be lowercase letters, digits and _, like group_by");
      return std::nullopt;
    }
    if (!e.value.IsMap()) {
      yaml_.error(e.value_where, what + " must be a map like {type: string, doc: \"what it does\"}");
      return std::nullopt;
    }
    const size_t errors_before = yaml_.error_count();
    const auto entries = yaml_.entries(e.value, &kParamKeys, what);
    ParamSpec spec;
    spec.name = e.key;

    const Entry* type = detail::find_entry(entries, "type");
    if (!type) {
      yaml_.error(e.value_where, what + " needs `type:`; valid: " + detail::join(type_names()));
      return std::nullopt;
    }
    auto type_text = yaml_.text(*type, "type").value_or("");
    const auto names = type_names();
    auto found = std::find(names.begin(), names.end(), type_text);
    if (found == names.end()) {
      yaml_.error(type->value_where, "unknown type '" + type_text + "' for " + what + "; " +
                                         detail::did_you_mean(type_text, names) +
                                         "valid: " + detail::join(names));
      return std::nullopt;
    }
    spec.type = kAllTypes[static_cast<size_t>(found - names.begin())];

    const Entry* doc = detail::find_entry(entries, "doc");
    if (doc) spec.doc = yaml_.text(*doc, "doc").value_or("");
    if (spec.doc.empty())
      yaml_.error(doc ? doc->value_where : e.key_where,
                  what + " needs `doc:`, a sentence on what it does (the docs and `tally describe` show it)");

    if (const Entry* values = detail::find_entry(entries, "values")) {
      spec.values = yaml_.text_list(*values, "values").value_or(std::vector<std::string>{});
      if (spec.type != ParamType::Enum && spec.type != ParamType::List)
        yaml_.error(values->key_where, what + ": values is only for enum and list params");
    }
    if (spec.type == ParamType::Enum && spec.values.empty())
      yaml_.error(type->value_where, what + ": an enum needs `values:`, like values: [a, b]");

    spec.min = read_bound(entries, "min", spec, what);
    spec.max = read_bound(entries, "max", spec, what);
    if (spec.min && spec.max && *spec.min > *spec.max)
      yaml_.error(detail::find_entry(entries, "max")->value_where,
                  what + ": max " + detail::format_number(*spec.max) + " is below min " +
                      detail::format_number(*spec.min));

    if (const Entry* required = detail::find_entry(entries, "required")) {
      auto text = yaml_.text(*required, "required").value_or("");
      auto value = parse_param_bool(text);
      if (value)
        spec.required = *value;
      else
        yaml_.error(required->value_where, what + ": required must be true or false; got '" + text + "'");
    }

    if (const Entry* default_entry = detail::find_entry(entries, "default");
        default_entry && !default_entry->value.IsNull()) {
      read_default(*default_entry, spec, what);
      if (spec.required)
        yaml_.error(default_entry->key_where, what + " is required, so it cannot have a default");
    }
    if (yaml_.error_count() != errors_before) return std::nullopt;
    return spec;
  }

  std::optional<double> read_bound(const std::vector<Entry>& entries, const char* key, const ParamSpec& spec,
                                   const std::string& what) {
    const Entry* e = detail::find_entry(entries, key);
    if (!e) return std::nullopt;
    if (spec.type != ParamType::Int && spec.type != ParamType::Number) {
      yaml_.error(e->key_where, what + ": " + key + " is only for int and number params");
      return std::nullopt;
    }
    auto text = yaml_.text(*e, key).value_or("");
    auto value = detail::parse_number(text);
    if (!value) yaml_.error(e->value_where, what + ": " + key + " must be a number; got '" + text + "'");
    return value;
  }

  void read_default(const Entry& e, ParamSpec& spec, const std::string& what) {
    ParamValue raw;
    if (e.value.IsSequence()) {
      auto items = yaml_.text_list(e, "default");
      if (!items) return;
      raw.is_list = true;
      raw.list = std::move(*items);
    } else {
      auto text = yaml_.text(e, "default");
      if (!text) return;
      raw.scalar = *text;
    }
    std::string problem;
    if (auto value = convert_param(spec, raw, problem))
      spec.default_value = std::move(*value);
    else
      yaml_.error(e.value_where, "default for " + what + ": " + problem);
  }

  Manifest& manifest_;
  YamlReader& yaml_;
  bool kind_known_ = false;
};

}  // namespace

Manifest parse_manifest_text(const std::string& yaml_text, const std::string& display_path,
                             bool require_build_fields) {
  std::vector<Diagnostic> diagnostics;
  auto root = detail::load_yaml(yaml_text, display_path, diagnostics);
  if (!root) throw DiagnosticError(std::move(diagnostics));
  if (!root->IsMap())
    throw DiagnosticError(
        {Diagnostic{{display_path, 1, 1}, "a manifest must be a map of keys like name:, kind:"}});
  Manifest manifest;
  manifest.manifest_path = display_path;
  manifest.where = SourceLocation{display_path, 1, 1};
  // Manifests come from plugin authors' builds, not the admin's shell: no ${VAR}.
  YamlReader yaml(display_path, nullptr, diagnostics);
  ManifestReader reader(manifest, yaml);
  reader.read(*root, require_build_fields);
  detail::sort_by_position(diagnostics);
  if (!diagnostics.empty()) throw DiagnosticError(std::move(diagnostics));
  return manifest;
}

Manifest parse_manifest_file(const std::string& path) {
  std::string error;
  auto text = detail::read_file(path, error);
  if (!text) throw DiagnosticError({Diagnostic{{path, 0, 0}, "cannot read manifest: " + error}});
  return parse_manifest_text(*text, path, /*require_build_fields=*/true);
}

}  // namespace tally::plugins
