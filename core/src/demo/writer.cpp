#include "demo/writer.hpp"

#include "store/backend.hpp"
#include "util/date.hpp"

namespace tally::demo {

namespace {

char* put_digits(char* out, int value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return out + width;
}

}  // namespace

size_t format_day_into(char* out, int64_t days) {
  const Date d = Date::from_days(days);
  char* p = put_digits(out, d.year, 4);
  *p++ = '-';
  p = put_digits(p, d.month, 2);
  *p++ = '-';
  p = put_digits(p, d.day, 2);
  return static_cast<size_t>(p - out);
}

size_t format_timestamp_into(char* out, int64_t seconds) {
  int64_t days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
  const int rem = static_cast<int>(seconds - days * 86400);
  char* p = out + format_day_into(out, days);
  *p++ = ' ';
  p = put_digits(p, rem / 3600, 2);
  *p++ = ':';
  p = put_digits(p, rem / 60 % 60, 2);
  *p++ = ':';
  p = put_digits(p, rem % 60, 2);
  return static_cast<size_t>(p - out);
}

void BulkWriter::exec(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    throw store::StoreError("demo generator: '" + sql + "' failed: " + message);
  }
}

Insert::Insert(BulkWriter& writer, const std::string& sql) : writer_(writer), sql_(sql) {
  if (sqlite3_prepare_v2(writer.db(), sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK)
    throw store::StoreError("demo generator: cannot prepare '" + sql + "': " + sqlite3_errmsg(writer.db()));
}

Insert::~Insert() { sqlite3_finalize(stmt_); }

void Insert::check(int rc) {
  if (rc != SQLITE_OK)
    throw store::StoreError("demo generator: cannot bind a value for '" + sql_ + "': " + sqlite3_errstr(rc));
}

void Insert::step() {
  const int rc = sqlite3_step(stmt_);
  sqlite3_reset(stmt_);
  if (rc != SQLITE_DONE)
    throw store::StoreError("demo generator: '" + sql_ + "' failed: " + sqlite3_errmsg(writer_.db()));
  ++count_;
  writer_.row_written();
}

}  // namespace tally::demo
