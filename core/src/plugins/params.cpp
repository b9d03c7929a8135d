// Params as an admin writes them in a config: converted to the type the
// manifest declares and checked against its values and range.
#include <algorithm>
#include <cctype>

#include "config/detail.hpp"
#include "plugins/manifest.hpp"

namespace tally::plugins {

std::optional<bool> parse_param_bool(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  if (text == "true" || text == "yes") return true;
  if (text == "false" || text == "no") return false;
  return std::nullopt;
}

namespace {

std::optional<std::string> as_text(const Value& value) {
  if (auto* text = std::get_if<std::string>(&value)) return *text;
  if (auto* whole = std::get_if<int64_t>(&value)) return std::to_string(*whole);
  if (auto* real = std::get_if<double>(&value)) return detail::format_number(*real);
  return std::nullopt;
}

std::string not_allowed(const std::string& value, const std::vector<std::string>& values) {
  return "'" + value + "' is not allowed; " + detail::did_you_mean(value, values) +
         "valid: " + detail::join(values);
}

// Checks min/max; `shown` is the value as the admin wrote it.
bool in_range(const ParamSpec& spec, double value, const std::string& shown, std::string& error) {
  if (spec.min && value < *spec.min) {
    error = shown + " is below the minimum " + detail::format_number(*spec.min);
    return false;
  }
  if (spec.max && value > *spec.max) {
    error = shown + " is above the maximum " + detail::format_number(*spec.max);
    return false;
  }
  return true;
}

}  // namespace

std::optional<ParamValue> convert_param(const ParamSpec& spec, const ParamValue& raw, std::string& error) {
  ParamValue out;
  if (spec.type == ParamType::List) {
    std::vector<std::string> items = raw.list;
    if (!raw.is_list) {
      auto text = as_text(raw.scalar);
      if (!text) {
        error = "expected a list, got nothing";
        return std::nullopt;
      }
      items = {*text};  // a single value is a one-item list
    }
    if (!spec.values.empty()) {
      for (const auto& item : items) {
        if (std::find(spec.values.begin(), spec.values.end(), item) == spec.values.end()) {
          error = not_allowed(item, spec.values);
          return std::nullopt;
        }
      }
    }
    out.is_list = true;
    out.list = std::move(items);
    return out;
  }
  if (raw.is_list) {
    error = std::string("expected a single ") + param_type_name(spec.type) + " value, got a list";
    return std::nullopt;
  }
  // Typed values pass through, so validating twice is harmless.
  if ((spec.type == ParamType::Int || spec.type == ParamType::Bool) &&
      std::holds_alternative<int64_t>(raw.scalar)) {
    const int64_t value = std::get<int64_t>(raw.scalar);
    if (spec.type == ParamType::Int &&
        !in_range(spec, static_cast<double>(value), std::to_string(value), error))
      return std::nullopt;
    out.scalar = value;
    return out;
  }
  const std::optional<std::string> text = as_text(raw.scalar);
  if (!text) {
    error = std::string("expected a ") + param_type_name(spec.type) + " value, got nothing";
    return std::nullopt;
  }
  switch (spec.type) {
    case ParamType::Int: {
      auto value = detail::parse_int(*text);
      if (!value) {
        error = "expected a whole number, got '" + *text + "'";
        return std::nullopt;
      }
      if (!in_range(spec, static_cast<double>(*value), *text, error)) return std::nullopt;
      out.scalar = *value;
      return out;
    }
    case ParamType::Number: {
      auto value = detail::parse_number(*text);
      if (!value) {
        error = "expected a number, got '" + *text + "'";
        return std::nullopt;
      }
      if (!in_range(spec, *value, *text, error)) return std::nullopt;
      out.scalar = *value;
      return out;
    }
    case ParamType::Bool: {
      auto value = parse_param_bool(*text);
      if (!value) {
        error = "expected true or false, got '" + *text + "'";
        return std::nullopt;
      }
      out.scalar = int64_t{*value ? 1 : 0};
      return out;
    }
    case ParamType::Enum:
      if (std::find(spec.values.begin(), spec.values.end(), *text) == spec.values.end()) {
        error = not_allowed(*text, spec.values);
        return std::nullopt;
      }
      break;
    case ParamType::Date:
      if (!detail::parse_iso_date(*text)) {
        error = "expected a date YYYY-MM-DD, got '" + *text + "'";
        return std::nullopt;
      }
      break;
    case ParamType::Path:
      if (text->empty()) {
        error = "expected a path, got nothing";
        return std::nullopt;
      }
      break;
    case ParamType::String:
    case ParamType::List: break;
  }
  out.scalar = *text;
  return out;
}

}  // namespace tally::plugins
