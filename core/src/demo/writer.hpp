// Bulk writing for the demo generator: reused prepared INSERTs bound by index,
// inside large transactions committed every N rows, so memory stays flat at
// any scale.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

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

// Owns the open transaction and commits it every `rows_per_commit` rows.
class BulkWriter {
 public:
  BulkWriter(sqlite3* db, int64_t rows_per_commit) : db_(db), rows_per_commit_(rows_per_commit) {}
  void exec(const std::string& sql);
  void begin() { exec("BEGIN"); }
  void commit() { exec("COMMIT"); }
  void row_written() {
    if (++rows_since_commit_ >= rows_per_commit_) {
      commit();
      begin();
      rows_since_commit_ = 0;
    }
  }
  sqlite3* db() const { return db_; }

 private:
  sqlite3* db_;
  int64_t rows_per_commit_;
  int64_t rows_since_commit_ = 0;
};

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

// One prepared INSERT, reused for every row of its table.
class Insert {
 public:
  Insert(BulkWriter& writer, const std::string& sql);
  ~Insert();
  Insert(const Insert&) = delete;
  Insert& operator=(const Insert&) = delete;

  // Binds the values to parameters 1..N in order and inserts the row.
  template <class... Values>
  void operator()(const Values&... values) {
    int index = 0;
    (bind(++index, values), ...);
    step();
  }
  int64_t count() const { return count_; }

 private:
  template <class T>
  void bind(int index, const T& value) {
    if constexpr (std::is_same_v<T, std::nullopt_t>) {
      check(sqlite3_bind_null(stmt_, index));
    } else if constexpr (is_optional<T>::value) {
      if (value)
        bind(index, *value);
      else
        check(sqlite3_bind_null(stmt_, index));
    } else if constexpr (std::is_integral_v<T>) {
      check(sqlite3_bind_int64(stmt_, index, static_cast<sqlite3_int64>(value)));
    } else if constexpr (std::is_floating_point_v<T>) {
      check(sqlite3_bind_double(stmt_, index, static_cast<double>(value)));
    } else if constexpr (std::is_same_v<T, Timestamp>) {
      char buf[24];
      size_t n = format_timestamp_into(buf, value.seconds);
      check(sqlite3_bind_text(stmt_, index, buf, static_cast<int>(n), SQLITE_TRANSIENT));
    } else if constexpr (std::is_same_v<T, Day>) {
      char buf[24];
      size_t n = format_day_into(buf, value.days);
      check(sqlite3_bind_text(stmt_, index, buf, static_cast<int>(n), SQLITE_TRANSIENT));
    } else if constexpr (std::is_pointer_v<T>) {  // a C string; nullptr is SQL NULL
      if (value)
        bind(index, std::string_view(value));
      else
        check(sqlite3_bind_null(stmt_, index));
    } else {
      std::string_view text = value;
      check(sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT));
    }
  }
  void check(int rc);
  void step();

  BulkWriter& writer_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
  int64_t count_ = 0;
};

}  // namespace tally::demo
