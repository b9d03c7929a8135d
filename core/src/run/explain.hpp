// Drill-down: the records behind a KPI, as its plugin declared them (SDK
// 1.2), with the formula from the plugin's manifest. Shared by
// `tally explain` and the dashboard's /api/explain.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "plugins/registry.hpp"
#include "run/result.hpp"
#include "store/backend.hpp"

namespace tally::run {

// A question explain cannot answer: unknown metric, KPI or row, a KPI that
// offers no drill-down. The message lists the valid choices.
class ExplainError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RecordList {
  std::string dataset;
  // "" when the records are counted; else "sum", "mean", "median" or "p90"
  // of their `value` column, "gap" (constants.target less their sum, at
  // least 0) or "constant" (the KPI is constants.value; no records make it).
  std::string aggregate;
  std::map<std::string, Value> constants;
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> rows;
};

struct Explanation {
  std::string metric;  // the `as:` name
  std::string plugin;
  Kpi kpi;
  std::string row;      // "" = the headline KPI
  std::string formula;  // from the manifest's `kpis:`; "" when it gives none
  RecordList records;   // what the KPI counts or sums (a ratio's numerator)
  std::optional<RecordList> denominator;
  std::string period_from, period_to;
  std::map<std::string, std::vector<std::string>> filters;
};

// Finds `metric` in a finished run, its KPI and the declared drill-down, and
// reads the records from `backend`. Throws ExplainError for a bad question,
// store::StoreError when the store fails.
Explanation explain(const RunResult& run, const std::string& metric, const std::string& kpi,
                    const std::string& row, const plugins::Registry& registry, store::Backend& backend,
                    const std::map<std::string, std::vector<std::string>>& filters);

// {"metric", "plugin", "kpi", "label", "unit", "value", "row", "formula",
//  "period", "filters", "dataset", "columns", "records": [{column: value}],
//  "record_count", "aggregate": "sum" | "mean" | "median" | null,
//  "denominator": {...} | null}
nlohmann::json explanation_json(const Explanation& e);
// For the terminal: the formula, the value, then the records as a table.
std::string explanation_text(const Explanation& e, const std::string& currency);

}  // namespace tally::run
