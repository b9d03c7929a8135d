#include "run/result.hpp"

#include <cmath>

namespace tally::run {

std::optional<double> Kpi::change() const {
  if (!value || !previous) return std::nullopt;
  return *value - *previous;
}

std::optional<double> Kpi::change_relative() const {
  if (!value || !previous || *previous == 0.0) return std::nullopt;
  return (*value - *previous) / std::fabs(*previous);
}

int Table::column_index(const std::string& n) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == n) return static_cast<int>(i);
  return -1;
}

const Kpi* MetricResult::find_kpi(const std::string& n) const {
  for (const auto& k : kpis)
    if (k.name == n) return &k;
  return nullptr;
}

const Table* MetricResult::find_table(const std::string& n) const {
  for (const auto& t : tables)
    if (t.name == n) return &t;
  return nullptr;
}

bool RunResult::all_ok() const {
  for (const auto& m : metrics)
    if (!m.ok) return false;
  return true;
}

}  // namespace tally::run
