// Shared helpers for the config and manifest readers (see detail.hpp).
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <tuple>

#include <sys/stat.h>

#include "config/detail.hpp"

namespace tally::detail {

static std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

int edit_distance(std::string_view a, std::string_view b) {
  const size_t rows = a.size() + 1, cols = b.size() + 1;
  std::vector<int> d(rows * cols);
  auto at = [&](size_t i, size_t j) -> int& { return d[i * cols + j]; };
  for (size_t i = 0; i < rows; ++i) at(i, 0) = static_cast<int>(i);
  for (size_t j = 0; j < cols; ++j) at(0, j) = static_cast<int>(j);
  for (size_t i = 1; i < rows; ++i) {
    for (size_t j = 1; j < cols; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      at(i, j) = std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        at(i, j) = std::min(at(i, j), at(i - 2, j - 2) + 1);
    }
  }
  return at(rows - 1, cols - 1);
}

std::optional<std::string> closest(const std::string& name, const std::vector<std::string>& choices) {
  const std::string wanted = lowercase(name);
  std::optional<std::string> best;
  int best_distance = 3;
  for (const auto& choice : choices) {
    const int distance = edit_distance(wanted, lowercase(choice));
    // A two-letter typo of a two-letter word is a guess, not a suggestion.
    if (distance < best_distance && distance < static_cast<int>(std::max(wanted.size(), size_t{1}))) {
      best = choice;
      best_distance = distance;
    }
  }
  return best;
}

std::string did_you_mean(const std::string& name, const std::vector<std::string>& choices) {
  auto guess = closest(name, choices);
  return guess ? "did you mean '" + *guess + "'? " : "";
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

bool is_identifier(std::string_view text) {
  if (text.empty() || std::isdigit(static_cast<unsigned char>(text[0]))) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

std::string format_number(double value) {
  if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 1e15)
    return std::to_string(static_cast<int64_t>(value));
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.15g", value);
  return buffer;
}

std::optional<double> parse_number(std::string_view text) {
  std::string copy(text);
  if (copy.empty() || std::isspace(static_cast<unsigned char>(copy[0]))) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || errno == ERANGE || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<int64_t> parse_int(std::string_view text) {
  std::string copy(text);
  size_t digits_from = !copy.empty() && (copy[0] == '-' || copy[0] == '+') ? 1 : 0;
  if (copy.size() == digits_from) return std::nullopt;
  for (size_t i = digits_from; i < copy.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(copy[i]))) return std::nullopt;
  errno = 0;
  const long long value = std::strtoll(copy.c_str(), nullptr, 10);
  if (errno == ERANGE) return std::nullopt;
  return value;
}

std::optional<Date> parse_iso_date(std::string_view text) {
  if (text.size() != 10) return std::nullopt;  // Date::parse would accept a trailing time
  return Date::parse(text);
}

SourceLocation YamlReader::at(const YAML::Mark& mark) const {
  if (mark.is_null()) return SourceLocation{file_, 0, 0};
  return SourceLocation{file_, mark.line + 1, mark.column + 1};
}

void YamlReader::error(const SourceLocation& where, std::string message) {
  diagnostics_.push_back(Diagnostic{where, std::move(message)});
}

std::vector<YamlReader::Entry> YamlReader::entries(const YAML::Node& map,
                                                   const std::vector<std::string>* allowed,
                                                   const std::string& context) {
  std::vector<Entry> out;
  std::set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    Entry entry;
    entry.key_where = at(it->first);
    if (!it->first.IsScalar()) {
      error(entry.key_where, "a key must be plain text" + (context.empty() ? "" : " in " + context));
      continue;
    }
    entry.key = it->first.Scalar();
    entry.value = it->second;
    // An empty value has no position of its own; yaml-cpp marks the next token.
    entry.value_where = entry.value.IsNull() ? entry.key_where : at(entry.value);
    const std::string where_text = context.empty() ? "" : " in " + context;
    if (!seen.insert(entry.key).second) {
      error(entry.key_where, "duplicate key '" + entry.key + "'" + where_text);
      continue;
    }
    if (allowed && std::find(allowed->begin(), allowed->end(), entry.key) == allowed->end()) {
      error(entry.key_where, "unknown key '" + entry.key + "'" + where_text + "; " +
                                 did_you_mean(entry.key, *allowed) + "valid: " + join(*allowed));
      continue;
    }
    out.push_back(std::move(entry));
  }
  return out;
}

std::optional<std::string> YamlReader::text(const Entry& entry, const std::string& what) {
  return text(entry.value, entry.value_where, what);
}

std::optional<std::string> YamlReader::text(const YAML::Node& node, const SourceLocation& where,
                                            const std::string& what) {
  if (node.IsNull()) return std::string();
  if (!node.IsScalar()) {
    error(where, what + " must be a single value, not a " + (node.IsMap() ? "map" : "list"));
    return std::nullopt;
  }
  if (!env_) return node.Scalar();
  std::string problem;
  auto expanded = substitute_env(node.Scalar(), *env_, problem);
  if (!expanded) error(where, problem);
  return expanded;
}

std::optional<std::vector<std::string>> YamlReader::text_list(const Entry& entry, const std::string& what) {
  if (entry.value.IsNull()) return std::vector<std::string>{};
  if (entry.value.IsScalar()) {
    auto one = text(entry, what);
    if (!one) return std::nullopt;
    return std::vector<std::string>{*one};
  }
  if (!entry.value.IsSequence()) {
    error(entry.value_where, what + " must be a list, like [a, b]");
    return std::nullopt;
  }
  std::vector<std::string> items;
  bool ok = true;
  for (const auto& item : entry.value) {
    auto value = text(item, at(item), "each item of " + what);
    if (value)
      items.push_back(*value);
    else
      ok = false;
  }
  if (!ok) return std::nullopt;
  return items;
}

const YamlReader::Entry* find_entry(const std::vector<YamlReader::Entry>& entries, std::string_view key) {
  for (const auto& entry : entries)
    if (entry.key == key) return &entry;
  return nullptr;
}

void sort_by_position(std::vector<Diagnostic>& diagnostics) {
  std::stable_sort(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.where.file, a.where.line, a.where.column) <
           std::tie(b.where.file, b.where.line, b.where.column);
  });
}

std::optional<YAML::Node> load_yaml(const std::string& text, const std::string& file,
                                    std::vector<Diagnostic>& diagnostics) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    diagnostics.push_back(Diagnostic{{file, e.mark.line + 1, e.mark.column + 1}, "invalid YAML: " + e.msg});
  } catch (const YAML::Exception& e) {
    diagnostics.push_back(Diagnostic{{file, 0, 0}, std::string("invalid YAML: ") + e.what()});
  }
  return std::nullopt;
}

std::string size_refusal(uint64_t bytes) {
  char size[32];
  std::snprintf(size, sizeof size, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return std::string("the file is ") + size + "; configs, mappings and manifests larger than " +
         std::to_string(kMaxYamlFileBytes / 1000000) + " MB are refused";
}

std::optional<std::string> read_file(const std::string& path, std::string& error) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  // Refused before a byte is parsed: the size of what was opened.
  struct stat st {};
  if (::fstat(fileno(file), &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<uint64_t>(st.st_size) > kMaxYamlFileBytes) {
    std::fclose(file);
    error = size_refusal(static_cast<uint64_t>(st.st_size));
    return std::nullopt;
  }
  std::string text;
  char buffer[8192];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) {
    text.append(buffer, n);
    if (text.size() > kMaxYamlFileBytes) {  // a pipe or a file that grew
      std::fclose(file);
      error = size_refusal(text.size());
      return std::nullopt;
    }
  }
  const bool failed = std::ferror(file);
  const int saved_errno = errno;  // e.g. EISDIR: fopen succeeds on a directory, reading fails
  std::fclose(file);
  if (failed) {
    error = std::strerror(saved_errno);
    return std::nullopt;
  }
  return text;
}

}  // namespace tally::detail
