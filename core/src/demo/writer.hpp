// Bulk writing for the demo generator: typed rows into the store's bulk
// path (store/store.hpp), on any engine.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "store/store.hpp"

namespace tally::demo {

// Seconds since the epoch, written as 'YYYY-MM-DD HH:MM:SS' (UTC).
struct Timestamp {
  int64_t seconds;
};
// Days since the epoch, written as 'YYYY-MM-DD'.
struct Day {
  int64_t days;
};

// Writes into a buffer of at least 20 bytes; returns the length written.
size_t format_timestamp_into(char* out, int64_t seconds);
size_t format_day_into(char* out, int64_t days);

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

// The rows of one table, written through the store's bulk path with each
// value's type (integers, reals, text; nullopt and nullptr are NULL).
class Insert {
 public:
  Insert(store::Store& store, const std::string& table, const std::vector<std::string>& columns)
      : sink_(store.bulk_insert(table, columns)) {}

  // One row: the values in the order of the columns.
  template <class... Values>
  void operator()(const Values&... values) {
    (put(values), ...);
    sink_->end_row();
  }
  int64_t count() const { return sink_->rows(); }

 private:
  template <class T>
  void put(const T& value) {
    if constexpr (std::is_same_v<T, std::nullopt_t>) {
      sink_->null();
    } else if constexpr (is_optional<T>::value) {
      if (value)
        put(*value);
      else
        sink_->null();
    } else if constexpr (std::is_integral_v<T>) {
      sink_->integer(static_cast<int64_t>(value));
    } else if constexpr (std::is_floating_point_v<T>) {
      sink_->real(static_cast<double>(value));
    } else if constexpr (std::is_same_v<T, Timestamp>) {
      char buf[24];
      sink_->text(std::string_view(buf, format_timestamp_into(buf, value.seconds)));
    } else if constexpr (std::is_same_v<T, Day>) {
      char buf[24];
      sink_->text(std::string_view(buf, format_day_into(buf, value.days)));
    } else if constexpr (std::is_pointer_v<T>) {  // a C string; nullptr is SQL NULL
      if (value)
        sink_->text(std::string_view(value));
      else
        sink_->null();
    } else {
      sink_->text(std::string_view(value));
    }
  }

  std::unique_ptr<store::RowSink> sink_;
};

}  // namespace tally::demo
