// Value transforms (transforms.hpp). Over 400 lines: dates in every form CRM
// exports write them, then money and numbers; the two share the low-level
// readers at the top.
#include "import/transforms.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "util/date.hpp"

namespace tally::import {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string quoted(std::string_view text) {
  return "'" + std::string(text) + "'";
}

// 1-12 for an English month name or its abbreviation ("Sep", "Sept"), else 0.
int month_from_name(std::string_view word) {
  static constexpr std::array<std::string_view, 12> names = {"january",   "february", "march",    "april",
                                                             "may",       "june",     "july",     "august",
                                                             "september", "october",  "november", "december"};
  if (word.size() < 3) return 0;
  for (size_t m = 0; m < names.size(); ++m) {
    const auto& name = names[m];
    if (word.size() > name.size()) continue;
    bool prefix = true;
    for (size_t i = 0; i < word.size() && prefix; ++i) prefix = lower(word[i]) == name[i];
    // "Apr", "April" and "Sept" are fine; "Ap" is not.
    if (prefix && (word.size() == 3 || word.size() == name.size() || (m == 8 && word.size() == 4)))
      return static_cast<int>(m + 1);
  }
  return 0;
}

bool valid_date(const DateTime& d) {
  return d.year >= 1 && d.year <= 9999 && d.month >= 1 && d.month <= 12 && d.day >= 1 &&
         d.day <= days_in_month(d.year, d.month);
}

// Reads up to `max` digits (at least `min`) at `pos`.
bool read_digits(std::string_view s, size_t& pos, size_t min, size_t max, int& out) {
  size_t start = pos;
  out = 0;
  while (pos < s.size() && pos - start < max && is_digit(s[pos])) out = out * 10 + (s[pos++] - '0');
  return pos - start >= min;
}

void skip_spaces(std::string_view s, size_t& pos) {
  while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
}

// "Z", "UTC", "GMT", "+02:00", "+0200", "-05".
bool parse_offset(std::string_view s, size_t& pos, DateTime& out) {
  skip_spaces(s, pos);
  if (pos >= s.size()) return true;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
    out.has_offset = true;
    return true;
  }
  if (s.substr(pos, 3) == "UTC" || s.substr(pos, 3) == "GMT") {
    pos += 3;
    out.has_offset = true;
    if (pos >= s.size()) return true;
  }
  if (s[pos] != '+' && s[pos] != '-') return false;
  const int sign = s[pos] == '-' ? -1 : 1;
  ++pos;
  int hours = 0, minutes = 0;
  if (!read_digits(s, pos, 2, 2, hours)) return false;
  if (pos < s.size() && s[pos] == ':') ++pos;
  if (pos < s.size() && !read_digits(s, pos, 2, 2, minutes)) return false;
  if (hours > 14 || minutes > 59) return false;
  out.has_offset = true;
  out.offset_minutes = sign * (hours * 60 + minutes);
  return true;
}

// "H:MM[:SS[.fff]] [AM|PM] [offset]" from `pos` to the end.
bool parse_time(std::string_view s, size_t pos, DateTime& out) {
  if (!read_digits(s, pos, 1, 2, out.hour) || pos >= s.size() || s[pos] != ':') return false;
  ++pos;
  if (!read_digits(s, pos, 2, 2, out.minute)) return false;
  if (pos < s.size() && s[pos] == ':') {
    ++pos;
    if (!read_digits(s, pos, 2, 2, out.second)) return false;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {  // fractions of a second are dropped
      ++pos;
      int ignored = 0;
      if (!read_digits(s, pos, 1, 9, ignored)) return false;
    }
  }
  skip_spaces(s, pos);
  if (pos + 1 < s.size() + 1 && pos < s.size() && (lower(s[pos]) == 'a' || lower(s[pos]) == 'p')) {
    const bool pm = lower(s[pos]) == 'p';
    size_t p = pos + 1;
    if (p < s.size() && s[p] == '.') ++p;
    if (p >= s.size() || lower(s[p]) != 'm') return false;
    ++p;
    if (p < s.size() && s[p] == '.') ++p;
    if (out.hour < 1 || out.hour > 12) return false;
    out.hour = out.hour % 12 + (pm ? 12 : 0);
    pos = p;
  }
  if (!parse_offset(s, pos, out)) return false;
  skip_spaces(s, pos);
  if (pos != s.size()) return false;
  out.has_time = true;
  return out.hour <= 23 && out.minute <= 59 && out.second <= 60;
}

struct DatePart {
  int value = 0;
  size_t digits = 0;  // 0 = a month name
};

bool parse_loose(std::string_view s, DateFormat::Kind kind, DateTime& out, std::string& error,
                 DateColumn* column) {
  const std::string_view original = s;
  auto unrecognised = [&] {
    error = quoted(original) + " is not a date this mapping understands; set `format:` (e.g. \"M/D/YYYY\")";
    return false;
  };
  // Split off the time: it starts at the hour digits before the first ':'.
  std::string_view date_part = s;
  std::string_view time_part;
  if (size_t colon = s.find(':'); colon != std::string_view::npos) {
    size_t h = colon;
    while (h > 0 && colon - h < 2 && is_digit(s[h - 1])) --h;
    if (h == colon || h == 0) return unrecognised();
    const char before = s[h - 1];
    if (before != ' ' && before != 'T' && before != 't') return unrecognised();
    date_part = s.substr(0, h - 1);
    time_part = s.substr(h);
    while (!date_part.empty() && (date_part.back() == ' ' || date_part.back() == ','))
      date_part.remove_suffix(1);
  }
  DatePart parts[3];
  size_t count = 0;
  char separator = 0;
  for (size_t i = 0; i < date_part.size();) {
    const char c = date_part[i];
    if (is_digit(c) || is_alpha(c)) {
      if (count == 3) return unrecognised();
      size_t start = i;
      if (is_digit(c)) {
        int v = 0;
        while (i < date_part.size() && is_digit(date_part[i]) && i - start < 9)
          v = v * 10 + (date_part[i++] - '0');
        if (i < date_part.size() && is_digit(date_part[i])) return unrecognised();
        parts[count++] = DatePart{v, i - start};
      } else {
        while (i < date_part.size() && is_alpha(date_part[i])) ++i;
        int m = month_from_name(date_part.substr(start, i - start));
        if (m == 0) return unrecognised();
        parts[count++] = DatePart{m, 0};
      }
    } else if (c == '/' || c == '-' || c == '.' || c == ' ' || c == ',') {
      if (c != ' ' && c != ',' && separator == 0) separator = c;
      ++i;
    } else {
      return unrecognised();
    }
  }
  if (count != 3) return unrecognised();
  const int names = (parts[0].digits == 0) + (parts[1].digits == 0) + (parts[2].digits == 0);
  if (names > 1) return unrecognised();
  out = DateTime{};
  if (names == 1) {
    if (kind == DateFormat::Kind::Iso) return unrecognised();
    if (column) column->named_month = true;
    // The month is named: the 4-digit number is the year, the other the day.
    int year = -1, day = -1;
    for (const auto& p : parts) {
      if (p.digits == 0)
        out.month = p.value;
      else if (p.digits == 4)
        year = p.value;
      else if (p.digits <= 2)
        day = p.value;
    }
    if (year < 0 || day < 0) return unrecognised();
    out.year = year;
    out.day = day;
  } else if (parts[0].digits == 4) {
    if (parts[1].digits > 2 || parts[2].digits > 2) return unrecognised();
    if (kind == DateFormat::Kind::Iso && (separator != '-' || parts[1].digits != 2 || parts[2].digits != 2))
      return unrecognised();
    out.year = parts[0].value;
    out.month = parts[1].value;
    out.day = parts[2].value;
    if (column) column->iso = true;
  } else if (parts[2].digits == 4 && parts[0].digits <= 2 && parts[1].digits <= 2) {
    if (kind == DateFormat::Kind::Iso) return unrecognised();
    const int a = parts[0].value, b = parts[1].value;
    out.year = parts[2].value;
    bool month_first = kind == DateFormat::Kind::MonthFirst;
    if (kind == DateFormat::Kind::Auto) {
      using Order = DateColumn::Order;
      const Order known = column ? column->order : Order::Unknown;
      Order order = Order::Unknown;
      if (a > 12 && b <= 12)
        order = Order::DayFirst;
      else if (b > 12 && a <= 12)
        order = Order::MonthFirst;
      if (column) column->numeric = true;
      if (order != Order::Unknown && known != Order::Unknown && order != known) {
        error = quoted(original) + " is " + (order == Order::DayFirst ? "day-first" : "month-first") +
                ", but this column's dates are " + (known == Order::DayFirst ? "day-first" : "month-first") +
                " (settled by '" + column->settled_by + "' at line " + std::to_string(column->settled_line) +
                ")";
        return false;
      }
      if (order == Order::Unknown && a != b) {
        if (known == Order::Unknown) {
          if (column) column->ambiguous = true;
          error = quoted(original) +
                  " could be day-first or month-first; set `format:` to \"M/D/YYYY\" or \"D/M/YYYY\"";
          return false;
        }
        order = known;
      }
      if (column && known == Order::Unknown && order != Order::Unknown) column->order = order;
      month_first = order == Order::MonthFirst;
    }
    out.month = month_first ? a : b;
    out.day = month_first ? b : a;
  } else {
    return unrecognised();
  }
  if (!time_part.empty() && !parse_time(time_part, 0, out)) {
    error = quoted(original) + " has a time this mapping does not understand";
    return false;
  }
  if (!valid_date(out)) {
    error = quoted(original) + " is not a real calendar date";
    return false;
  }
  return true;
}

void append2(std::string& out, int v) {
  out.push_back(static_cast<char>('0' + v / 10 % 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

void append_date(std::string& out, int y, int m, int d) {
  append2(out, y / 100);
  append2(out, y % 100);
  out.push_back('-');
  append2(out, m);
  out.push_back('-');
  append2(out, d);
}

// Removes a currency symbol or ISO code at the front (`front`) or back.
bool strip_currency(std::string_view& s, bool front) {
  static constexpr std::array<std::string_view, 8> symbols = {
      "$", "\xE2\x82\xAC", "\xC2\xA3", "\xC2\xA5", "\xE2\x82\xB9", "\xE2\x82\xA9", "R$", "kr"};
  for (auto sym : symbols) {
    if (front ? s.starts_with(sym) : s.ends_with(sym)) {
      if (front)
        s.remove_prefix(sym.size());
      else
        s.remove_suffix(sym.size());
      s = trim(s);
      return true;
    }
  }
  if (s.size() >= 3) {
    std::string_view code = front ? s.substr(0, 3) : s.substr(s.size() - 3);
    bool letters = code[0] >= 'A' && code[0] <= 'Z' && code[1] >= 'A' && code[1] <= 'Z' && code[2] >= 'A' &&
                   code[2] <= 'Z';
    // "USD 12" or "12 EUR": a code must be set apart from the digits or be the whole prefix.
    if (letters) {
      if (front)
        s.remove_prefix(3);
      else
        s.remove_suffix(3);
      s = trim(s);
      return true;
    }
  }
  return false;
}

bool parse_plain(std::string_view s, const NumberFormat& format, bool allow_exponent, double& out,
                 std::string& error, std::string_view original) {
  char buffer[128];
  size_t n = 0;
  size_t i = 0;
  auto bad = [&](const char* why) {
    error = quoted(original) + " is not a number" + (why[0] ? std::string(" (") + why + ")" : "");
    return false;
  };
  if (s.empty()) return bad("");
  if (s[0] == '-' || s[0] == '+') {
    if (s[0] == '-') buffer[n++] = '-';
    ++i;
  }
  // Integer part, with optional group separators: 1,234,567 (or 1 234 567).
  size_t group = 0, groups = 0, digits = 0;
  bool grouped = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (is_digit(c)) {
      if (n >= sizeof buffer - 16) return bad("too long");
      buffer[n++] = c;
      ++group;
      ++digits;
    } else if ((format.thousands && c == format.thousands) || c == ' ' ||
               (c == '\xC2' && i + 1 < s.size() && s[i + 1] == '\xA0')) {
      if (group == 0 || (groups == 0 ? group > 3 : group != 3)) return bad("misplaced thousands separator");
      if (c == '\xC2') ++i;
      grouped = true;
      ++groups;
      group = 0;
    } else {
      break;
    }
  }
  if (grouped && group != 3) return bad("misplaced thousands separator");
  if (i < s.size() && s[i] == format.decimal) {
    buffer[n++] = '.';
    ++i;
    for (; i < s.size() && is_digit(s[i]); ++i) {
      if (n >= sizeof buffer - 8) return bad("too long");
      buffer[n++] = s[i];
      ++digits;
    }
  }
  if (digits == 0) return bad("");
  if (allow_exponent && i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    buffer[n++] = 'e';
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) buffer[n++] = s[i++];
    size_t exp_digits = 0;
    for (; i < s.size() && is_digit(s[i]) && n < sizeof buffer - 1; ++i, ++exp_digits) buffer[n++] = s[i];
    if (exp_digits == 0) return bad("");
  }
  if (i != s.size()) return bad("");
  double value = 0;
  auto [ptr, ec] = std::from_chars(buffer, buffer + n, value);
  if (ec != std::errc() || ptr != buffer + n || !std::isfinite(value)) return bad("");
  out = value;
  return true;
}

}  // namespace

std::string_view trim(std::string_view s) {
  auto space_at_front = [&](size_t& len) {
    if (s.empty()) return false;
    if (s[0] == ' ' || s[0] == '\t' || s[0] == '\r' || s[0] == '\n') return len = 1, true;
    if (s.size() >= 2 && s[0] == '\xC2' && s[1] == '\xA0') return len = 2, true;
    return false;
  };
  auto space_at_back = [&](size_t& len) {
    if (s.empty()) return false;
    const char c = s.back();
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') return len = 1, true;
    if (s.size() >= 2 && s[s.size() - 2] == '\xC2' && c == '\xA0') return len = 2, true;
    return false;
  };
  size_t len = 0;
  while (space_at_front(len)) s.remove_prefix(len);
  while (space_at_back(len)) s.remove_suffix(len);
  return s;
}

void to_lower(std::string& text) {
  for (auto& c : text) c = lower(c);
}
void to_upper(std::string& text) {
  for (auto& c : text)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
}
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::optional<DateFormat> DateFormat::compile(std::string_view spec, std::string& error) {
  DateFormat f;
  f.spec_ = std::string(spec);
  if (spec.empty() || spec == "auto") return f;
  if (spec == "iso") return f.kind_ = Kind::Iso, f;
  // Only the names are loose about separators; a pattern's characters match
  // literally ("M/D/YYYY" does not read 3-4-2021).
  if (spec == "us") return f.kind_ = Kind::MonthFirst, f;
  if (spec == "eu") return f.kind_ = Kind::DayFirst, f;
  f.kind_ = Kind::Pattern;
  bool has_year = false, has_month = false, has_day = false, has_hour12 = false, has_ampm = false;
  for (size_t i = 0; i < spec.size();) {
    auto run = [&](char c) {
      size_t n = 0;
      while (i + n < spec.size() && spec[i + n] == c) ++n;
      return n;
    };
    const char c = spec[i];
    size_t n = run(c);
    Token t{Token::Literal};
    bool ok = true;
    switch (c) {
      case 'Y':
        ok = n == 4 || n == 2;
        t.type = n == 4 ? Token::Year4 : Token::Year2;
        has_year = true;
        break;
      case 'M':
        ok = n <= 4;
        t.type = n >= 3 ? Token::MonthName : n == 2 ? Token::MonthNum2 : Token::MonthNum;
        has_month = true;
        break;
      case 'D':
        ok = n <= 2;
        t.type = n == 2 ? Token::Day2 : Token::Day;
        has_day = true;
        break;
      case 'H':
        ok = n <= 2;
        t.type = n == 2 ? Token::Hour2 : Token::Hour;
        break;
      case 'h':
        ok = n <= 2;
        t.type = n == 2 ? Token::Hour12_2 : Token::Hour12;
        has_hour12 = true;
        break;
      case 'm':
        ok = n == 2;
        t.type = Token::Minute2;
        break;
      case 's':
        ok = n == 2;
        t.type = Token::Second2;
        break;
      case 'A':
      case 'a':
        ok = n == 1;
        t.type = Token::AmPm;
        has_ampm = true;
        break;
      default:
        if (is_alpha(c) && c != 'T') {
          error = "unknown letter '" + std::string(1, c) + "' in date format '" + std::string(spec) +
                  "'; use YYYY YY MMMM MMM MM M DD D HH H hh h mm ss A, or the names auto, iso, us, eu";
          return std::nullopt;
        }
        n = 1;
        t.literal = c;
        break;
    }
    if (!ok) {
      error = "'" + std::string(n, c) + "' is not a valid part of date format '" + std::string(spec) + "'";
      return std::nullopt;
    }
    f.tokens_.push_back(t);
    i += n;
  }
  if (!has_year || !has_month || !has_day) {
    error = "date format '" + std::string(spec) +
            "' needs a year (YYYY), a month (M, MM or MMM) and a day (D or DD)";
    return std::nullopt;
  }
  if (has_hour12 != has_ampm) {
    error = "date format '" + std::string(spec) +
            "': 12-hour times (h, hh) need an AM/PM marker (A), and A needs h";
    return std::nullopt;
  }
  return f;
}

bool DateFormat::parse(std::string_view text, DateTime& out, std::string& error, DateColumn& column) const {
  column.ambiguous = false;
  if (kind_ != Kind::Pattern) return parse_loose(trim(text), kind_, out, error, &column);
  return parse(text, out, error);
}

std::string DateFormat::describe(const DateColumn& column) const {
  switch (kind_) {
    case Kind::Iso: return "iso (YYYY-MM-DD)";
    case Kind::MonthFirst: return "us (M/D/YYYY)";
    case Kind::DayFirst: return "eu (D/M/YYYY)";
    case Kind::Pattern: return "\"" + spec_ + "\"";
    case Kind::Auto: break;
  }
  std::string forms;
  auto add = [&](const std::string& form) { forms += (forms.empty() ? "" : ", ") + form; };
  if (column.iso) add("YYYY-MM-DD");
  if (column.named_month) add("month names");
  if (column.numeric) {
    if (column.order == DateColumn::Order::Unknown)
      add("day and month equal or unambiguous");
    else
      add(std::string(column.order == DateColumn::Order::MonthFirst ? "M/D/YYYY (month first"
                                                                    : "D/M/YYYY (day first") +
          ", settled by '" + column.settled_by + "' at line " + std::to_string(column.settled_line) + ")");
  }
  return "auto: " + (forms.empty() ? std::string("no dates") : forms);
}

bool DateFormat::parse(std::string_view text, DateTime& out, std::string& error) const {
  text = trim(text);
  if (kind_ != Kind::Pattern) return parse_loose(text, kind_, out, error, nullptr);
  out = DateTime{};
  size_t pos = 0;
  bool pm = false, has_ampm = false;
  auto mismatch = [&] {
    error = quoted(text) + " does not match the date format '" + spec_ + "'";
    return false;
  };
  for (const auto& t : tokens_) {
    int v = 0;
    switch (t.type) {
      case Token::Year4:
        if (!read_digits(text, pos, 4, 4, out.year)) return mismatch();
        break;
      case Token::Year2:
        if (!read_digits(text, pos, 2, 2, v)) return mismatch();
        out.year = v < 70 ? 2000 + v : 1900 + v;
        break;
      case Token::MonthName: {
        size_t start = pos;
        while (pos < text.size() && is_alpha(text[pos])) ++pos;
        out.month = month_from_name(text.substr(start, pos - start));
        if (out.month == 0) return mismatch();
        break;
      }
      case Token::MonthNum:
        if (!read_digits(text, pos, 1, 2, out.month)) return mismatch();
        break;
      case Token::MonthNum2:
        if (!read_digits(text, pos, 2, 2, out.month)) return mismatch();
        break;
      case Token::Day:
        if (!read_digits(text, pos, 1, 2, out.day)) return mismatch();
        break;
      case Token::Day2:
        if (!read_digits(text, pos, 2, 2, out.day)) return mismatch();
        break;
      case Token::Hour:
      case Token::Hour12:
        if (!read_digits(text, pos, 1, 2, out.hour)) return mismatch();
        out.has_time = true;
        break;
      case Token::Hour2:
      case Token::Hour12_2:
        if (!read_digits(text, pos, 2, 2, out.hour)) return mismatch();
        out.has_time = true;
        break;
      case Token::Minute2:
        if (!read_digits(text, pos, 2, 2, out.minute)) return mismatch();
        break;
      case Token::Second2:
        if (!read_digits(text, pos, 2, 2, out.second)) return mismatch();
        break;
      case Token::AmPm:
        if (pos + 2 > text.size() || lower(text[pos + 1]) != 'm') return mismatch();
        if (lower(text[pos]) == 'p')
          pm = true;
        else if (lower(text[pos]) != 'a')
          return mismatch();
        has_ampm = true;
        pos += 2;
        break;
      case Token::Literal:
        if (pos >= text.size()) return mismatch();
        // A space in the format matches any run of spaces.
        if (t.literal == ' ') {
          if (text[pos] != ' ') return mismatch();
          skip_spaces(text, pos);
        } else if (text[pos++] != t.literal) {
          return mismatch();
        }
        break;
    }
  }
  if (has_ampm) {
    if (out.hour < 1 || out.hour > 12) return mismatch();
    out.hour = out.hour % 12 + (pm ? 12 : 0);
  }
  if (out.has_time && !parse_offset(text, pos, out)) return mismatch();
  skip_spaces(text, pos);
  if (pos != text.size()) return mismatch();
  if (!valid_date(out)) {
    error = quoted(text) + " is not a real calendar date";
    return false;
  }
  if (out.hour > 23 || out.minute > 59 || out.second > 60) {
    error = quoted(text) + " is not a valid time of day";
    return false;
  }
  return true;
}

void format_date(const DateTime& v, std::string& out) {
  out.clear();
  append_date(out, v.year, v.month, v.day);
}

void format_datetime(const DateTime& v, std::string& out) {
  out.clear();
  if (!v.has_time) {
    append_date(out, v.year, v.month, v.day);
    return;
  }
  int64_t seconds = Date{v.year, v.month, v.day}.days_since_epoch() * 86400 + v.hour * 3600 + v.minute * 60 +
                    v.second - int64_t{v.offset_minutes} * 60;
  int64_t days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
  int64_t rest = seconds - days * 86400;
  Date d = Date::from_days(days);
  append_date(out, d.year, d.month, d.day);
  out.push_back(' ');
  append2(out, static_cast<int>(rest / 3600));
  out.push_back(':');
  append2(out, static_cast<int>(rest / 60 % 60));
  out.push_back(':');
  append2(out, static_cast<int>(rest % 60));
}

bool parse_number(std::string_view text, const NumberFormat& format, double& out, std::string& error) {
  return parse_plain(trim(text), format, true, out, error, text);
}

bool parse_integer(std::string_view text, const NumberFormat& format, int64_t& out, std::string& error) {
  double value = 0;
  if (!parse_plain(trim(text), format, false, value, error, text)) return false;
  if (value != std::floor(value) || std::fabs(value) > 9.0e15) {
    error = quoted(text) + " is not a whole number";
    return false;
  }
  out = static_cast<int64_t>(value);
  return true;
}

bool parse_money(std::string_view text, const NumberFormat& format, double& out, std::string& error) {
  std::string_view s = trim(text);
  bool negative = false;
  if (s.size() >= 2 && s.front() == '(' && s.back() == ')') {
    negative = true;
    s = trim(s.substr(1, s.size() - 2));
  }
  auto take_sign = [&] {
    if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
      if (s.front() == '-') negative = !negative;
      s = trim(s.substr(1));
    }
  };
  take_sign();
  strip_currency(s, true);
  take_sign();
  strip_currency(s, false);
  double multiplier = 1;
  if (!s.empty()) {
    const char c = s.back();
    if (c == 'k' || c == 'K') multiplier = 1e3;
    if (c == 'm' || c == 'M') multiplier = 1e6;
    if (c == 'b' || c == 'B') multiplier = 1e9;
    if (multiplier != 1) s = trim(s.substr(0, s.size() - 1));
  }
  double value = 0;
  if (s.empty() || s.front() == '-' || s.front() == '+' ||
      !parse_plain(s, format, false, value, error, text)) {
    error = quoted(text) + " is not an amount of money (expected e.g. 1234.50, $22,700.00, 1.2K)";
    return false;
  }
  out = (negative ? -value : value) * multiplier;
  return true;
}

bool parse_percent(std::string_view text, const NumberFormat& format, double& out, std::string& error) {
  std::string_view s = trim(text);
  if (!s.empty() && s.back() == '%') s = trim(s.substr(0, s.size() - 1));
  double value = 0;
  if (!parse_plain(s, format, false, value, error, text)) {
    error = quoted(text) + " is not a percentage (expected e.g. 20, 20% or 20.5)";
    return false;
  }
  out = value / 100.0;
  return true;
}

bool parse_bool(std::string_view text, bool& out, std::string& error) {
  std::string_view s = trim(text);
  for (auto t : {"true", "yes", "y", "1", "on", "t"})
    if (iequals(s, t)) return out = true, true;
  for (auto f : {"false", "no", "n", "0", "off", "f"})
    if (iequals(s, f)) return out = false, true;
  error = quoted(text) + " is not true/false (expected true, false, yes, no, 1 or 0)";
  return false;
}

}  // namespace tally::import
