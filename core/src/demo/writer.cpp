#include "demo/writer.hpp"

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

}  // namespace tally::demo
