// ${VAR} substitution in config values, Telegraf/shell style. It runs on each
// scalar after YAML parsing, so a value's position in the file stays exact.
#include <cstdlib>

#include "config/detail.hpp"

namespace tally::config {

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (!value) return std::nullopt;
    return std::string(value);
  };
}

}  // namespace tally::config

namespace tally::detail {

static bool is_variable_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
}

std::optional<std::string> substitute_env(std::string_view text, const config::EnvLookup& env,
                                          std::string& error) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c != '$' || i + 1 >= text.size() || (text[i + 1] != '$' && text[i + 1] != '{')) {
      out += c;  // a lone '$' (prices, regexes) stays as written
      ++i;
      continue;
    }
    if (text[i + 1] == '$') {
      out += '$';
      i += 2;
      continue;
    }
    const size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      error = "unterminated '${' in '" + std::string(text) + "'; write $$ for a literal $";
      return std::nullopt;
    }
    const std::string_view inner = text.substr(i + 2, close - i - 2);
    const size_t name_end = std::min(inner.find_first_of(":-?"), inner.size());
    const std::string name(inner.substr(0, name_end));
    std::string_view op = inner.substr(name_end);
    std::string_view argument;
    const bool colon = !op.empty() && op[0] == ':';
    if (colon) op.remove_prefix(1);
    const char kind = op.empty() ? '\0' : op[0];
    if (!op.empty()) argument = op.substr(1);
    if (!is_variable_name(name) || (kind != '\0' && kind != '-' && kind != '?') || (colon && kind == '\0')) {
      error = "invalid variable reference '${" + std::string(inner) +
              "}'; use ${VAR}, ${VAR:-default} or ${VAR:?message}";
      return std::nullopt;
    }
    const std::optional<std::string> value = env(name);
    // With a colon, an empty value counts as unset (as in the shell).
    const bool missing = !value || (colon && value->empty());
    if (!missing) {
      out += *value;
    } else if (kind == '-') {
      out += argument;
    } else if (kind == '?') {
      error = "environment variable " + name + (value ? " is empty" : " is not set") +
              (argument.empty() ? "" : ": " + std::string(argument));
      return std::nullopt;
    } else {
      error = "environment variable " + name + " is not set";
      return std::nullopt;
    }
    i = close + 1;
  }
  return out;
}

}  // namespace tally::detail
