// What a run produces: per metric, headline KPIs and typed tables. Report
// plugins read this through the C boundary; tests read it directly.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <tally/plugin.h>

#include "query/query.hpp"
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
  int32_t compare_status = TALLY_COMPARE_OK;  // tally_compare_status
  std::string note;                           // qualifier shown beside the number
  std::string target_source;                  // where the target came from

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

// The records behind a KPI (or one row of its breakdown), as the plugin
// declared them (SDK 1.2): compiled when declared, run only when asked.
struct Drilldown {
  std::string kpi;
  std::string row;                         // "" = the headline KPI
  int32_t part = TALLY_DRILLDOWN_RECORDS;  // tally_drilldown_part
  std::string dataset;
  query::CompiledQuery records;
  std::map<std::string, Value> constants;  // stated beside the records (a target)
  // Why the records cannot be listed (e.g. the report filters by a dimension
  // the dataset lacks); the run itself is not failed for it.
  std::string error;
};

struct MetricResult {
  std::string name;  // `as:` or plugin name
  std::string plugin;
  std::string title;
  bool ok = true;
  std::string error;   // when !ok
  double seconds = 0;  // wall time
  std::vector<Kpi> kpis;
  std::vector<Table> tables;
  std::vector<std::string> notes;  // data-quality and scope notes, shown with the results
  std::vector<Drilldown> drilldowns;

  // The declared drill-down, or nullptr.
  const Drilldown* find_drilldown(const std::string& kpi, const std::string& row, int32_t part) const;

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
  std::vector<std::string> warnings;  // about the whole run, shown by every report
  // Provenance facts by name ("data_source", "generated_at", ...), in insertion order.
  std::vector<std::pair<std::string, std::string>> facts;

  bool all_ok() const;
  // The fact's value, or empty when unknown; set_fact replaces an existing one.
  std::string fact(const std::string& name) const;
  void set_fact(const std::string& name, std::string value);
};

}  // namespace tally::run
