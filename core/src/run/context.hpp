// The host side of the opaque handles that cross the plugin boundary.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include <tally/plugin.h>

#include "plugins/manifest.hpp"
#include "query/query.hpp"
#include "run/result.hpp"
#include "store/backend.hpp"

// One plugin invocation: a metric run, a report render or a source read.
struct tally_ctx {
  std::string plugin;  // plugin name, for logs
  std::string name;    // `as:` name
  const std::map<std::string, tally::plugins::ParamValue>* params = nullptr;
  const tally::plugins::Manifest* manifest = nullptr;

  // The run's periods and settings.
  tally::query::Scope scope;
  std::string currency = "USD";

  // Metrics: where queries run and results go.
  tally::store::Connection* connection = nullptr;
  const tally::query::Dialect* dialect = nullptr;
  tally::run::MetricResult* result = nullptr;
  const std::map<std::string, double>* config_targets = nullptr;
  std::vector<std::unique_ptr<tally_table>> tables;
  // Datasets the metric queried for the comparison period (for "no data").
  std::set<std::string> compare_datasets;
  // Every dataset the metric queried (for the run's data warnings).
  std::set<std::string> datasets;
  // Called with each dataset the first time the metric queries it (the
  // runner reads its date range beside the metrics); may be empty.
  std::function<void(const std::string&)> on_new_dataset;

  // Reports: the finished run and where output goes.
  const tally::run::RunResult* run = nullptr;
  std::ostream* output = nullptr;
  bool output_is_tty = false;

  std::string last_error;    // of the last failed host call
  std::string plugin_error;  // set by the plugin through set_error
};

struct tally_table {
  tally_ctx* ctx;
  size_t index;  // into ctx->result->tables
};

struct tally_query {
  tally_ctx* ctx;
  tally::query::QueryBuilder builder;
};

struct tally_rows {
  tally_ctx* ctx = nullptr;
  std::unique_ptr<tally::store::Cursor> cursor;
  std::vector<tally::Value> current;  // the row returned strings point into
  // For `-vv`: what ran and how long reading it took.
  std::string sql;
  std::chrono::steady_clock::time_point started;
  uint64_t row_count = 0;
};
