// What every plugin invocation can reach: params, periods, logging.
#pragma once

#include <tally/detail/host.hpp>
#include <tally/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tally::sdk {

// What every plugin invocation can reach: params, periods, logging.
class BaseContext {
 public:
  explicit BaseContext(tally_ctx* ctx) : ctx_(ctx) {}

  Value param(std::string_view name) const {
    tally_value v{};
    check(detail::host().param_get(ctx_, detail::str_c(name), &v));
    return detail::value_of(v);
  }
  std::string text(std::string_view name) const {
    Value v = param(name);
    if (auto* s = std::get_if<std::string>(&v)) return *s;
    return {};
  }
  int64_t integer(std::string_view name) const {
    Value v = param(name);
    if (auto* i = std::get_if<int64_t>(&v)) return *i;
    if (auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
    return 0;
  }
  double number(std::string_view name) const {
    Value v = param(name);
    if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
    if (auto* d = std::get_if<double>(&v)) return *d;
    return 0.0;
  }
  std::optional<double> optional_number(std::string_view name) const {
    Value v = param(name);
    if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
    if (auto* d = std::get_if<double>(&v)) return *d;
    return std::nullopt;
  }
  bool flag(std::string_view name) const { return integer(name) != 0; }
  std::vector<std::string> list(std::string_view name) const {
    uint64_t n = 0;
    check(detail::host().param_list_size(ctx_, detail::str_c(name), &n));
    std::vector<std::string> items;
    for (uint64_t i = 0; i < n; ++i) {
      tally_value v{};
      check(detail::host().param_list_item(ctx_, detail::str_c(name), i, &v));
      items.push_back(detail::str_of(v.s));
    }
    return items;
  }

  bool has_compare() const { return detail::host().has_compare(ctx_) != 0; }
  Period period(Which which = Which::Current) const {
    tally_period p{};
    p.struct_size = sizeof p;
    check(detail::host().period(ctx_, static_cast<int32_t>(which), &p));
    return Period{detail::str_of(p.from), detail::str_of(p.to)};
  }
  int fiscal_year_start() const { return detail::host().fiscal_year_start(ctx_); }
  std::string currency() const { return detail::str_of(detail::host().currency(ctx_)); }

  void log(int32_t level, std::string_view message) const {
    detail::host().log(ctx_, level, detail::str_c(message));
  }
  void debug(std::string_view m) const { log(TALLY_LOG_DEBUG, m); }
  void info(std::string_view m) const { log(TALLY_LOG_INFO, m); }
  void warn(std::string_view m) const { log(TALLY_LOG_WARN, m); }

  tally_ctx* raw() const { return ctx_; }

 protected:
  void check(int32_t rc) const {
    if (rc != TALLY_OK) throw Error(detail::str_of(detail::host().last_error(ctx_)));
  }
  tally_ctx* ctx_;
};

}  // namespace tally::sdk
