// The dashboard's model, without HTTP: the configs served, what a request
// may change in them (period, compare, filters), and the three answers a
// request gets: the report as `tally run --format json` prints it, the page
// the html report plugin renders, and a KPI's drill-down records. server.cpp
// puts it on the network; tests drive it directly too.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <semaphore>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "plugins/registry.hpp"
#include "store/backend.hpp"

namespace tally::serve {

// What a request asks for. Unset fields keep the config's own.
struct Inputs {
  std::string config;                  // the config file's stem; "" = the first served
  std::optional<std::string> period;   // last:UNIT, this:UNIT or FROM..TO
  std::optional<std::string> compare;  // previous_period, previous_year or none
  std::optional<std::string> filters;  // JSON object: {"region": ["EMEA"]}; {} = none
};

// An answer: an HTTP status, a content type and a body. Errors are JSON
// {"error": message, "status": code}.
struct Answer {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;
};

struct ServedConfig {
  std::string stem;
  std::string path;
  std::string text;  // as read at start, re-read with a request's changes
  config::Config config;
  plugins::Registry* registry = nullptr;
  std::unique_ptr<plugins::Registry> registry_holder;
  std::shared_ptr<store::Backend> backend;
  // Every named dimension's values in the data (opportunities), sorted.
  std::map<std::string, std::vector<std::string>> dimension_values;
};

class Dashboard {
 public:
  // Takes configs already validated and their open data sources.
  // `max_runs` reports are computed at once; a request that waits longer
  // than `wait_seconds` for a turn gets 503.
  Dashboard(std::vector<ServedConfig> configs, unsigned max_runs, double wait_seconds = 20);

  // GET /api/configs: the configs served, their periods, compare modes,
  // filters and the values each dimension takes in the data.
  Answer configs() const;
  // GET /api/report: exactly what `tally run --format json` prints.
  Answer report_json(const Inputs& in);
  // GET /report: the html report plugin's page for the same inputs; the
  // header X-Tally-Drilldowns lists {metric: [kpi...]} that offer records.
  Answer report_page(const Inputs& in);
  // GET /api/explain: run::explanation_json for one KPI (row optional).
  Answer explain(const Inputs& in, const std::string& metric, const std::string& kpi, const std::string& row);

  const std::vector<ServedConfig>& served() const { return configs_; }

 private:
  struct Prepared;
  // The config with the request's changes, validated as `tally check` would,
  // with `report` (json or html) as its one report. Throws RequestError.
  Prepared prepare(const Inputs& in, const std::string& report);
  Answer with_run_slot(const std::function<Answer()>& body);

  std::vector<ServedConfig> configs_;
  std::counting_semaphore<64> runs_;
  double wait_seconds_;
};

// A JSON error answer.
Answer error_answer(int status, const std::string& message);

// Reads every named dimension's distinct values from the data.
std::map<std::string, std::vector<std::string>> read_dimension_values(store::Backend& backend);

}  // namespace tally::serve
