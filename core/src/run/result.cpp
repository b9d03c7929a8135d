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

const Drilldown* MetricResult::find_drilldown(const std::string& kpi, const std::string& row,
                                              int32_t part) const {
  for (const auto& d : drilldowns)
    if (d.kpi == kpi && d.row == row && d.part == part) return &d;
  return nullptr;
}

bool RunResult::all_ok() const {
  for (const auto& m : metrics)
    if (!m.ok) return false;
  return true;
}

std::string RunResult::fact(const std::string& name) const {
  for (const auto& [key, value] : facts)
    if (key == name) return value;
  return {};
}

void RunResult::set_fact(const std::string& name, std::string value) {
  for (auto& [key, existing] : facts) {
    if (key == name) {
      existing = std::move(value);
      return;
    }
  }
  facts.emplace_back(name, std::move(value));
}

}  // namespace tally::run
