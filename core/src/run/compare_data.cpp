#include "run/compare_data.hpp"

#include <spdlog/spdlog.h>

#include "util/text.hpp"

namespace tally::run {

std::optional<std::pair<std::string, std::string>> DataRanges::range(const std::string& dataset,
                                                                     store::Connection& connection,
                                                                     const query::Dialect& dialect) {
  if (scope_.filters.empty()) return whole_store_.own_range(dataset, connection, dialect);
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = cache_.find(dataset); it != cache_.end()) return it->second;
  std::optional<std::pair<std::string, std::string>> found;
  const std::string column = dataset_date_column(dataset);
  if (!column.empty()) {
    query::QueryBuilder q(dataset);
    // Plain min/max (an index walk on SQLite); the date part is cut here.
    q.select("first", "min(" + column + ")");
    q.select("last", "max(" + column + ")");
    auto cursor = connection.execute(q.compile(dialect, scope_));
    if (cursor->next()) {
      Value first = cursor->get(0), last = cursor->get(1);
      if (auto* f = std::get_if<std::string>(&first))
        if (auto* l = std::get_if<std::string>(&last))
          found = std::make_pair(f->substr(0, 10), l->substr(0, 10));
    }
  }
  cache_[dataset] = found;
  return found;
}

std::set<std::string> mark_no_data(MetricResult& result, const std::set<std::string>& compare_datasets,
                                   const query::Scope& scope, DataRanges& ranges,
                                   store::Connection& connection, const query::Dialect& dialect) {
  std::set<std::string> empty;
  if (!scope.compare_from || !scope.compare_to || compare_datasets.empty()) return empty;
  for (const auto& dataset : compare_datasets) {
    if (dataset_date_column(dataset).empty()) continue;  // reference data: says nothing about time
    auto r = ranges.range(dataset, connection, dialect);
    // No rows at all, or the first row on or after the comparison period's end.
    if (!r || r->first >= *scope.compare_to) {
      empty.insert(dataset);
      continue;
    }
    return {};  // this dataset reaches the comparison period: its figures are real
  }
  if (empty.empty()) return empty;
  for (auto& k : result.kpis) {
    if (k.compare_status != TALLY_COMPARE_OK) continue;
    k.compare_status = TALLY_COMPARE_NO_DATA;
    k.previous.reset();
  }
  spdlog::debug("{}: the comparison period {} to {} has no data in {}", result.name, *scope.compare_from,
                *scope.compare_to, join(std::vector<std::string>(empty.begin(), empty.end()), ", "));
  return empty;
}

}  // namespace tally::run
