// Civil dates for the host: the SDK's calendar (<tally/calendar.hpp>, shared
// with plugins) plus what only the host needs: today and timestamps.
#pragma once

#include <tally/calendar.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tally {

using sdk::Date;
using sdk::days_in_month;
using sdk::is_leap_year;
using sdk::month_start;
using sdk::quarter_start;
using sdk::week_start;
using sdk::year_start;

// Today's date in UTC.
Date today_utc();

// Seconds since epoch <-> 'YYYY-MM-DD HH:MM:SS' (UTC).
std::string format_timestamp(int64_t epoch_seconds);
std::optional<int64_t> parse_timestamp(std::string_view text);

}  // namespace tally
