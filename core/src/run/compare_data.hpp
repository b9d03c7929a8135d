// "No data" for the comparison period, decided once by the host for every
// metric plugin: a KPI must read "no data", never "was 0", when the data
// behind it does not reach the comparison period.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "query/query.hpp"
#include "run/data_checks.hpp"
#include "run/result.hpp"
#include "store/backend.hpp"

namespace tally::run {

// The date range [first, last] of each dataset under the run's filters,
// computed once per dataset and shared by the metrics (thread-safe). A run
// without filters takes them from `whole_store` (the data checks' dates, the
// same query), so each dataset's dates are read once per run, not twice.
class DataRanges {
 public:
  DataRanges(query::Scope scope, DatasetDates& whole_store)
      : scope_(std::move(scope)), whole_store_(whole_store) {}

  // nullopt: the dataset has no time, or no rows. Dates 'YYYY-MM-DD'.
  std::optional<std::pair<std::string, std::string>> range(const std::string& dataset,
                                                           store::Connection& connection,
                                                           const query::Dialect& dialect);

 private:
  query::Scope scope_;
  DatasetDates& whole_store_;
  std::mutex mutex_;
  std::map<std::string, std::optional<std::pair<std::string, std::string>>> cache_;
};

// When every timed dataset the metric read for the comparison period has no
// row inside that period's reach (its date range ends before the period starts
// or starts on or after the period's end), each KPI whose status is still OK
// becomes TALLY_COMPARE_NO_DATA and loses its previous value. Returns the
// datasets found empty (for the log), empty when nothing changed.
std::set<std::string> mark_no_data(MetricResult& result, const std::set<std::string>& compare_datasets,
                                   const query::Scope& scope, DataRanges& ranges,
                                   store::Connection& connection, const query::Dialect& dialect);

}  // namespace tally::run
