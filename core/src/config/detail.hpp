// Private helpers shared by the config and manifest readers: YAML maps read
// with file:line:column for every key and value, "did you mean" suggestions,
// ${VAR} substitution and relative periods. Not part of the host's API.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "util/diagnostic.hpp"

namespace tally::detail {

// Optimal string alignment distance (a swap of two neighbours counts as one).
int edit_distance(std::string_view a, std::string_view b);
// The closest choice within edit distance 2 (ignoring case), if any.
std::optional<std::string> closest(const std::string& name, const std::vector<std::string>& choices);
// "did you mean 'x'? " when a choice is close enough, else "".
std::string did_you_mean(const std::string& name, const std::vector<std::string>& choices);
std::string join(const std::vector<std::string>& items, std::string_view separator = ", ");
bool is_identifier(std::string_view text);  // [a-z_][a-z0-9_]*
// Shortest text for a number: 100, 0.25, 1e+20.
std::string format_number(double value);
std::optional<double> parse_number(std::string_view text);
std::optional<int64_t> parse_int(std::string_view text);
// Exactly 'YYYY-MM-DD' and a real calendar day.
std::optional<Date> parse_iso_date(std::string_view text);

// Expands ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message},
// ${VAR?message} and $$. On failure returns nullopt and sets `error`.
std::optional<std::string> substitute_env(std::string_view text, const config::EnvLookup& env,
                                          std::string& error);

// The last complete (last = true) or the current `unit` (day, week, month,
// quarter, year) relative to `as_of`; quarters and years start in
// `fiscal_start`.
std::optional<config::Period> relative_period(std::string_view unit, bool last, Date as_of, int fiscal_start);
const std::vector<std::string>& period_units();

// Reads YAML nodes of one file, collecting diagnostics instead of throwing.
class YamlReader {
 public:
  struct Entry {
    std::string key;
    YAML::Node value;
    SourceLocation key_where;
    SourceLocation value_where;  // the key's location when the value is empty
  };

  // `env` may be null: then scalars are taken as written.
  YamlReader(std::string file, const config::EnvLookup* env, std::vector<Diagnostic>& diagnostics)
      : file_(std::move(file)), env_(env), diagnostics_(diagnostics) {}

  const std::string& file() const { return file_; }
  SourceLocation at(const YAML::Mark& mark) const;
  SourceLocation at(const YAML::Node& node) const { return at(node.Mark()); }
  void error(const SourceLocation& where, std::string message);
  size_t error_count() const { return diagnostics_.size(); }

  // A map's entries in order. Duplicate keys are errors; when `allowed` is
  // given, so are other keys ("unknown key 'x' in `context`; did you mean ...?
  // valid: ..."). `context` is empty at the top level.
  std::vector<Entry> entries(const YAML::Node& map, const std::vector<std::string>* allowed,
                             const std::string& context);

  // A scalar's text after ${VAR} substitution; an empty value gives "".
  // Maps and sequences are an error naming `what`.
  std::optional<std::string> text(const Entry& entry, const std::string& what);
  std::optional<std::string> text(const YAML::Node& node, const SourceLocation& where,
                                  const std::string& what);
  // A sequence of scalars; a single scalar is a one-item list.
  std::optional<std::vector<std::string>> text_list(const Entry& entry, const std::string& what);

 private:
  std::string file_;
  const config::EnvLookup* env_;
  std::vector<Diagnostic>& diagnostics_;
};

const YamlReader::Entry* find_entry(const std::vector<YamlReader::Entry>& entries, std::string_view key);

// The `deliver:` and `alerts:` sections (config/delivery.cpp). read_alerts
// checks metric names and compare against `config`, so it runs after them.
void read_delivery_targets(YamlReader& yaml, const YamlReader::Entry& entry,
                           std::vector<config::DeliveryTarget>& out);
void read_alerts(YamlReader& yaml, const YamlReader::Entry& entry, const config::Config& config,
                 std::vector<config::Alert>& out);

// File order, which is how an admin reads and fixes them.
void sort_by_position(std::vector<Diagnostic>& diagnostics);

// Loads YAML text; a syntax error becomes one diagnostic at the parser's
// position. nullopt on failure.
std::optional<YAML::Node> load_yaml(const std::string& text, const std::string& file,
                                    std::vector<Diagnostic>& diagnostics);
// The largest config, mapping or manifest read: 10 MB (10,000,000 bytes).
// Larger files are refused before they are parsed.
constexpr uint64_t kMaxYamlFileBytes = 10'000'000;

// Reads a whole file; on failure returns nullopt and sets `error` to the
// system's reason ("No such file or directory"), or for a file larger than
// kMaxYamlFileBytes "the file is 104.9 MB; configs, mappings and manifests
// larger than 10 MB are refused".
std::optional<std::string> read_file(const std::string& path, std::string& error);

}  // namespace tally::detail
