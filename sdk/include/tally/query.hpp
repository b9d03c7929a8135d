// Queries over the canonical datasets in the portable expression language,
// and the rows they return.
#pragma once

#include <tally/detail/host.hpp>
#include <tally/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace tally::sdk {

// The rows of an executed query, read forward once.
class Rows {
 public:
  Rows(tally_ctx* ctx, tally_rows* rows) : ctx_(ctx), rows_(rows) {}
  Rows(Rows&& other) noexcept : ctx_(other.ctx_), rows_(std::exchange(other.rows_, nullptr)) {}
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;
  ~Rows() {
    if (rows_) detail::host().rows_free(rows_);
  }

  // Advances to the next row; false at the end.
  bool next() {
    int32_t rc = detail::host().rows_next(rows_);
    if (rc < 0) throw Error(detail::str_of(detail::host().last_error(ctx_)));
    return rc == 1;
  }
  uint32_t column_count() const { return detail::host().rows_column_count(rows_); }
  std::string column_name(uint32_t i) const {
    return detail::str_of(detail::host().rows_column_name(rows_, i));
  }

  Value value(uint32_t i) const {
    tally_value v{};
    if (detail::host().rows_get(rows_, i, &v) != TALLY_OK)
      throw Error(detail::str_of(detail::host().last_error(ctx_)));
    return detail::value_of(v);
  }
  bool is_null(uint32_t i) const { return sdk::is_null(value(i)); }
  // Integer (0 for NULL); reals are truncated.
  int64_t integer(uint32_t i) const {
    Value v = value(i);
    if (auto* n = std::get_if<int64_t>(&v)) return *n;
    if (auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
    return 0;
  }
  // Real (0.0 for NULL).
  double number(uint32_t i) const { return optional_number(i).value_or(0.0); }
  std::optional<double> optional_number(uint32_t i) const {
    Value v = value(i);
    if (auto* n = std::get_if<int64_t>(&v)) return static_cast<double>(*n);
    if (auto* d = std::get_if<double>(&v)) return *d;
    return std::nullopt;
  }
  // Text ("" for NULL; numbers are formatted).
  std::string text(uint32_t i) const {
    Value v = value(i);
    if (auto* s = std::get_if<std::string>(&v)) return *s;
    if (auto* n = std::get_if<int64_t>(&v)) return std::to_string(*n);
    if (auto* d = std::get_if<double>(&v)) return std::to_string(*d);
    return {};
  }

 private:
  tally_ctx* ctx_;
  tally_rows* rows_;
};

// A query over one dataset, in the portable expression language.
//
//   auto rows = ctx.query("opportunities")
//                   .select("won", "count_if(status = 'won')")
//                   .where("in_period(closed_at)")
//                   .group_by("rep", "rep")
//                   .run();
class Query {
 public:
  Query(tally_ctx* ctx, std::string_view dataset) : ctx_(ctx) {
    q_ = detail::host().query_new(ctx, detail::str_c(dataset));
    if (!q_) throw Error(detail::str_of(detail::host().last_error(ctx_)));
  }
  Query(Query&& other) noexcept : ctx_(other.ctx_), q_(std::exchange(other.q_, nullptr)) {}
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  ~Query() {
    if (q_) detail::host().query_free(q_);
  }

  Query& select(std::string_view alias, std::string_view expr) {
    return check(detail::host().query_select(q_, detail::str_c(alias), detail::str_c(expr)));
  }
  Query& where(std::string_view expr) { return check(detail::host().query_where(q_, detail::str_c(expr))); }
  Query& group_by(std::string_view alias, std::string_view expr) {
    return check(detail::host().query_group_by(q_, detail::str_c(alias), detail::str_c(expr)));
  }
  Query& group_by(std::string_view dimension) { return group_by(dimension, dimension); }
  Query& order_by(std::string_view alias, bool descending = false) {
    return check(detail::host().query_order_by(q_, detail::str_c(alias), descending ? 1 : 0));
  }
  Query& limit(int64_t n) { return check(detail::host().query_limit(q_, n)); }
  Query& bind(std::string_view name, const Value& value) {
    tally_value v = detail::value_c(value);
    return check(detail::host().query_bind(q_, detail::str_c(name), &v));
  }
  Query& bind(std::string_view name, const char* text) { return bind(name, Value{std::string(text)}); }
  Query& bind(std::string_view name, int value) { return bind(name, Value{int64_t{value}}); }
  Query& use_period(Which which) {
    return check(detail::host().query_use_period(q_, static_cast<int32_t>(which)));
  }
  // The handle, for <tally/drilldown.hpp>.
  tally_query* raw() const { return q_; }
  Rows run() {
    tally_rows* rows = detail::host().query_run(q_);
    if (!rows) throw Error(detail::str_of(detail::host().last_error(ctx_)));
    return Rows(ctx_, rows);
  }

 private:
  Query& check(int32_t rc) {
    if (rc != TALLY_OK) throw Error(detail::str_of(detail::host().last_error(ctx_)));
    return *this;
  }
  tally_ctx* ctx_;
  tally_query* q_ = nullptr;
};

}  // namespace tally::sdk
