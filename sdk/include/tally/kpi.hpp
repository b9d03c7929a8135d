// A headline KPI as a metric emits it and a report reads it.
#pragma once

#include <tally/value.hpp>

#include <optional>
#include <string>

namespace tally::sdk {

// A headline KPI. Unset optionals are n/a.
struct Kpi {
  std::string name;
  std::string label;
  Unit unit = Unit::Number;
  std::optional<double> value;
  std::optional<double> previous;
  std::optional<double> target;
  bool higher_is_better = true;
  // 1.1: how `previous` may be read, a qualifier shown beside the number,
  // and where the target came from. Ignored by a 1.0 host.
  int32_t compare_status = TALLY_COMPARE_OK;
  std::string note;
  std::string target_source;
};

}  // namespace tally::sdk
