// Warnings about the data a run rests on, decided once by the host for every
// metric (docs/decisions.md, "Data a run rests on"):
//   - the latest import feeding a table the metrics read rejected rows;
//   - the report period lies outside the dates the data covers (the stale
//     cron report);
//   - subscription events were derived from subscriptions without events;
//   - deals carry a currency other than the report's (Tally does not convert).
#pragma once

#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "query/query.hpp"
#include "store/backend.hpp"

namespace tally::run {

// The store tables a dataset's rows come from (subscription events are
// completed from subscriptions; the others are their own table).
std::vector<std::string> dataset_tables(const std::string& dataset);

// One warning per latest import with rejects among the imports that fed
// `tables`: "the last import of opportunities (2026-01-05 10:00:00,
// deals.csv) rejected 4,511 of 8,800 rows: figures rest on the rows kept".
std::vector<std::string> import_warnings(const std::set<std::string>& tables, store::Connection& connection,
                                         const query::Dialect& dialect);

// The event date that places a dataset's rows in time ("created_at" for
// opportunities and leads, "occurred_at" for activities, ...); empty for
// reference datasets (reps, stages, ...) that have no time.
std::string dataset_date_column(const std::string& dataset);

// Each dataset's first and last day (the whole store, no filters), read once
// per run. The runner reads them beside the metrics still running (a full
// scan where no index serves min/max, as stage history's, no longer adds to
// the end of the run); span() reads what is missing.
class DatasetDates {
 public:
  // Reads the ranges of `datasets` not read yet; throws what the store throws.
  void read(const std::set<std::string>& datasets, store::Connection& connection,
            const query::Dialect& dialect);
  // The first and last day any of `datasets` has a row on; nullopt when none
  // has dated rows.
  std::optional<std::pair<std::string, std::string>> span(const std::set<std::string>& datasets,
                                                          store::Connection& connection,
                                                          const query::Dialect& dialect);
  // The first and last day of `dataset`'s own date column (dataset_date_column,
  // not the column that ends a row's span); nullopt when it has no dated rows.
  std::optional<std::pair<std::string, std::string>> own_range(const std::string& dataset,
                                                               store::Connection& connection,
                                                               const query::Dialect& dialect);

 private:
  struct Days {
    std::string first, last, last_end;  // 'YYYY-MM-DD'; "" for none
  };
  std::mutex mutex_;                                      // guards days_ (queries run unlocked)
  std::map<std::string, std::shared_future<Days>> days_;  // ready, or being read by another thread
};

// A warning when the period [from, to) lies outside [first, last]: it starts
// after the last day, ends on or before the first, or the data stops before
// the period's last elapsed day (the day before `as_of` while it runs).
std::optional<std::string> period_warning(const std::string& from, const std::string& to,
                                          const std::string& as_of, const std::string& first,
                                          const std::string& last);

// A warning when deals in the store carry a currency other than the report's
// `currency` (compared without case; the whole store, as for the dates):
// "2 of 180 deals are in another currency than the report's USD (EUR 1, GBP 1):
// Tally does not convert, so their amounts count as USD ...". nullopt when all
// deals are in the report's currency.
std::optional<std::string> currency_warning(const std::string& report_currency, store::Connection& connection,
                                            const query::Dialect& dialect);

// How many subscriptions have no events and so stand in with derived ones,
// under the run's filters; asked once per run (thread-safe).
class DerivedEvents {
 public:
  explicit DerivedEvents(query::Scope scope) : scope_(std::move(scope)) {}
  // The note a metric that read subscription_events shows; nullopt when no
  // event was derived.
  std::optional<std::string> note(store::Connection& connection, const query::Dialect& dialect);

 private:
  query::Scope scope_;
  std::mutex mutex_;
  std::optional<int64_t> count_;
};

}  // namespace tally::run
