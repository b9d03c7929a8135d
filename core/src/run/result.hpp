// What a run produces: per metric, headline KPIs and typed tables. Report
// plugins read this through the C boundary; tests read it directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <tally/plugin.h>

#include "util/value.hpp"

namespace tally::run {

struct Kpi {
  std::string name;
  std::string label;
  int32_t unit = TALLY_UNIT_NUMBER;  // tally_unit
  std::optional<double> value;
  std::optional<double> previous;
  std::optional<double> target;
  bool higher_is_better = true;

  // value - previous, and (value - previous) / |previous|; n/a when either is.
  std::optional<double> change() const;
  std::optional<double> change_relative() const;
};

struct Column {
  std::string name;
  int32_t unit = TALLY_UNIT_TEXT;
};

struct Table {
  std::string name;
  std::string title;
  int32_t chart = TALLY_CHART_NONE;
  std::string chart_x;
  std::string chart_ys;  // comma-separated
  std::vector<Column> columns;
  std::vector<std::vector<Value>> rows;

  // Index of a column by name; -1 when absent.
  int column_index(const std::string& name) const;
};

struct MetricResult {
  std::string name;    // `as:` or plugin name
  std::string plugin;
  std::string title;
  bool ok = true;
  std::string error;   // when !ok
  double seconds = 0;  // wall time
  std::vector<Kpi> kpis;
  std::vector<Table> tables;

  const Kpi* find_kpi(const std::string& name) const;
  const Table* find_table(const std::string& name) const;
};

struct RunResult {
  std::string title;
  std::string period_from, period_to;
  std::optional<std::string> compare_from, compare_to;
  std::string compare_mode;  // none | previous_period | previous_year
  std::string currency = "USD";
  std::string data_source;
  std::vector<MetricResult> metrics;

  bool all_ok() const;
};

}  // namespace tally::run
