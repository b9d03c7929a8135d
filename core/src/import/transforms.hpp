// Value transforms for `tally import`: dates and times in the formats CRM
// exports use, money and number strings, booleans, trimming and case
// folding. Pure functions, no allocation on the success path beyond the
// output string, so the importer can call them per cell at full speed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tally::import {

// A parsed date or timestamp, as written (offset not yet applied).
struct DateTime {
  int year = 0, month = 0, day = 0;
  int hour = 0, minute = 0, second = 0;
  bool has_time = false;
  bool has_offset = false;
  int offset_minutes = 0;  // east of UTC
};

// How a date column is written. `auto` accepts every unambiguous form:
// ISO 8601 (2021-04-15, 2021-04-15T00:02:00Z, +02:00), 2021/04/15,
// month names (15 Apr, 2021 00:02:00; Apr 15, 2021; 15-Apr-2021;
// April 15, 2021 3:04 PM) and numeric day/month forms whose order is
// unambiguous (13/4/2021, 4/13/2021, 4/4/2021); for 3/4/2021 it refuses
// and asks for a format. `iso` is strict ISO 8601; `us` is M/D/YYYY and
// `eu` D/M/YYYY (any of / - . as separator, optional time). Anything else
// is a pattern: YYYY YY MMMM MMM MM M DD D HH H hh h mm ss A, other
// characters literal, e.g. "D-M-YYYY", "M/D/YYYY h:mm A", "D MMM, YYYY HH:mm:ss".
// What one column's dates have shown so far (auto format): the day/month
// order once a value settles it, and the forms met, for the summary.
struct DateColumn {
  enum class Order { Unknown, MonthFirst, DayFirst };
  Order order = Order::Unknown;
  std::string settled_by;  // the value that settled the order
  uint64_t settled_line = 0;
  bool ambiguous = false;  // set by parse: the value could be either, and the order is unknown
  bool iso = false, named_month = false, numeric = false;  // forms met
};

class DateFormat {
 public:
  // nullopt and `error` set when the spec is not a valid pattern.
  static std::optional<DateFormat> compile(std::string_view spec, std::string& error);
  DateFormat() = default;

  // False and `error` set ("'31/02/2021' is not a real date").
  bool parse(std::string_view text, DateTime& out, std::string& error) const;
  // The same for a column in `auto`: a numeric day/month value follows the
  // column's order once one has settled it, and settles it when it can (the
  // caller records where). An ambiguous value while the order is unknown
  // fails with `column.ambiguous` set.
  bool parse(std::string_view text, DateTime& out, std::string& error, DateColumn& column) const;
  bool is_auto() const { return kind_ == Kind::Auto; }
  // How the summary names a column's format ("M/D/YYYY (month first, ...)").
  std::string describe(const DateColumn& column) const;
  const std::string& spec() const { return spec_; }

  enum class Kind { Auto, Iso, MonthFirst, DayFirst, Pattern };
  struct Token {
    enum Type {
      Year4,
      Year2,
      MonthName,
      MonthNum,
      MonthNum2,
      Day,
      Day2,
      Hour,
      Hour2,
      Hour12,
      Hour12_2,
      Minute2,
      Second2,
      AmPm,
      Literal
    } type;
    char literal = 0;
  };

 private:
  Kind kind_ = Kind::Auto;
  std::string spec_ = "auto";
  std::vector<Token> tokens_;
};

// 'YYYY-MM-DD' of the date as written.
void format_date(const DateTime& value, std::string& out);
// UTC 'YYYY-MM-DD HH:MM:SS' when the value has a time, else 'YYYY-MM-DD'.
void format_datetime(const DateTime& value, std::string& out);

struct NumberFormat {
  char decimal = '.';
  char thousands = ',';  // 0 = none accepted
};

// Money: "$22,700.00", "-$5", "($1,200.50)", "USD 1,200", "1 200 €",
// "1.2K", "3M", "22700". Currency symbols/codes are dropped (map a currency
// column for the deal's currency).
bool parse_money(std::string_view text, const NumberFormat& format, double& out, std::string& error);
// A plain number with optional sign, thousands separators and exponent.
bool parse_number(std::string_view text, const NumberFormat& format, double& out, std::string& error);
// A whole number ("2,822"; "12.0" is accepted, "12.5" is not).
bool parse_integer(std::string_view text, const NumberFormat& format, int64_t& out, std::string& error);
// A percentage as a 0..1 ratio: "20%", "20" and "20.5" are all percent.
bool parse_percent(std::string_view text, const NumberFormat& format, double& out, std::string& error);
// true/false, yes/no, y/n, 1/0, on/off (any case).
bool parse_bool(std::string_view text, bool& out, std::string& error);

// Without leading/trailing spaces, tabs, and non-breaking spaces.
std::string_view trim(std::string_view text);
void to_lower(std::string& text);                      // ASCII
void to_upper(std::string& text);                      // ASCII
bool iequals(std::string_view a, std::string_view b);  // ASCII case-insensitive

}  // namespace tally::import
