// What tally sends with each Run (run/isolated_calls.cpp, CallServer::snapshot):
// the answers to the calls whose answer cannot change during an invocation —
// params, periods, currency, config targets and, for a report, the whole
// finished run. The forwarding entries of main.cpp answer from here and ask
// tally only for what is not here (a call that fails, so that tally sets its
// last error in the same words as in-process).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <tally/plugin.h>

#include "plugins/wire.hpp"

namespace tally::plugin_host {

struct Snapshot {
  struct Param {
    std::optional<tally_value> value;               // param_get, when it succeeds
    std::optional<std::vector<tally_value>> items;  // param_list_item, when param_list_size succeeds
  };
  struct Table {
    tally_table_info info{};
    std::vector<tally_column_info> columns;
    std::vector<tally_value> cells;  // row by row
  };
  struct Metric {
    tally_metric_info info{};
    std::vector<tally_kpi> kpis;
    std::vector<Table> tables;
    std::vector<tally_str> notes;
  };

  int32_t has_compare = 0;
  int32_t fiscal_year_start = 1;
  tally_str currency{};
  int32_t output_is_tty = 0;
  tally_str run_title{};
  std::optional<tally_period> periods[2];  // current, compare
  std::map<std::string, Param, std::less<>> params;
  std::map<std::string, double, std::less<>> targets;
  std::set<std::string, std::less<>> datasets;  // query_new succeeds for these
  bool has_run = false;
  std::vector<Metric> metrics;
  std::vector<tally_str> warnings;
  std::vector<std::pair<tally_str, tally_str>> facts;

  // Reads a Run payload; its strings are kept in `texts` (alive until the
  // next Run). False for a malformed payload.
  bool read(wire::Reader& in, std::deque<std::string>& texts);

  const Param* param(tally_str name) const;
  const Metric* metric(uint32_t m) const { return has_run && m < metrics.size() ? &metrics[m] : nullptr; }
  const Table* table(uint32_t m, uint32_t t) const;
};

}  // namespace tally::plugin_host
