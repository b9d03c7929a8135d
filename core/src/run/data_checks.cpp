#include "run/data_checks.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <tally/format.hpp>

#include "util/date.hpp"
#include "util/text.hpp"

namespace tally::run {

namespace {

std::string text_of(const Value& v) {
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  return {};
}

int64_t integer_of(const Value& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return *i;
  if (auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
  return 0;
}

// A JSON array of strings; anything else reads as empty (the importer writes
// these, a hand-made row may not).
std::vector<std::string> json_strings(const std::string& text) {
  std::vector<std::string> out;
  auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_array()) return out;
  for (const auto& item : parsed)
    if (item.is_string()) out.push_back(item.get<std::string>());
  return out;
}

// "a", "a and b", "a, b and c".
std::string listed(const std::vector<std::string>& items) {
  if (items.size() <= 1) return items.empty() ? std::string() : items.front();
  return join(std::vector<std::string>(items.begin(), items.end() - 1), ", ") + " and " + items.back();
}

// A second date column that can end a row's time span after its own date.
std::string dataset_end_column(const std::string& dataset) {
  static const std::map<std::string, std::string> columns = {
      {"opportunities", "closed_at"},   {"stage_history", "exited_at"}, {"subscriptions", "ended_at"},
      {"support_tickets", "closed_at"}, {"subscription_events", ""},
  };
  auto it = columns.find(dataset);
  return it == columns.end() ? std::string() : it->second;
}

}  // namespace

std::string dataset_date_column(const std::string& dataset) {
  static const std::map<std::string, std::string> columns = {
      {"opportunities", "created_at"},
      {"stage_history", "entered_at"},
      {"leads", "created_at"},
      {"activities", "occurred_at"},
      {"collateral_usage", "used_at"},
      {"subscriptions", "started_at"},
      {"subscription_events", "occurred_at"},
      {"time_entries", "day"},
      {"quotas", "period_start"},
      {"targets", "period_start"},
      {"product_usage", "day"},
      {"support_tickets", "opened_at"},
  };
  auto it = columns.find(dataset);
  return it == columns.end() ? std::string() : it->second;
}

std::vector<std::string> dataset_tables(const std::string& dataset) {
  if (dataset == "subscription_events") return {"subscription_events", "subscriptions"};
  return {dataset};
}

std::vector<std::string> import_warnings(const std::set<std::string>& tables, store::Connection& connection,
                                         const query::Dialect& dialect) {
  query::QueryBuilder q("imports");
  q.select("id", "id");
  q.select("finished_at", "finished_at");
  q.select("files", "files");
  q.select("tables", "tables");
  q.select("rows_read", "rows_read");
  q.select("rejected", "rejected");
  q.order_by("finished_at", true);
  q.order_by("id", true);
  auto cursor = connection.execute(q.compile(dialect, query::Scope{}));

  // The latest import feeding each table decides for it: an older import's
  // rejects were replaced (or not) by what came after, which only the
  // latest one's figures can tell.
  std::set<std::string> decided;
  std::vector<std::string> warnings;
  while (decided.size() < tables.size() && cursor->next()) {
    std::vector<std::string> fed;
    for (const auto& table : json_strings(text_of(cursor->get(3))))
      if (tables.count(table) && decided.insert(table).second) fed.push_back(table);
    const int64_t rejected = integer_of(cursor->get(5));
    if (fed.empty() || rejected <= 0) continue;
    std::sort(fed.begin(), fed.end());
    std::vector<std::string> files;
    for (const auto& f : json_strings(text_of(cursor->get(2))))
      files.push_back(std::filesystem::path(f).filename().string());
    std::string when = text_of(cursor->get(1));
    std::string source = join(files, ", ");
    if (!when.empty()) source += (source.empty() ? "" : ", ") + when + " UTC";
    warnings.push_back("the last import of " + listed(fed) + (source.empty() ? "" : " (" + source + ")") +
                       " rejected " + format::grouped(static_cast<double>(rejected), 0) + " of " +
                       format::grouped(static_cast<double>(integer_of(cursor->get(4))), 0) +
                       " rows: figures rest on the rows kept");
  }
  return warnings;
}

void DatasetDates::read(const std::set<std::string>& datasets, store::Connection& connection,
                        const query::Dialect& dialect) {
  for (const auto& dataset : datasets) {
    // The first thread to ask reads; one that asks meanwhile (a metric's
    // no-data check while the reader beside the metrics is at it) waits for
    // that read instead of sending the same full scan again.
    std::promise<Days> reading;
    std::shared_future<Days> pending;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto [it, first_to_ask] = days_.try_emplace(dataset);
      if (first_to_ask)
        it->second = reading.get_future().share();
      else
        pending = it->second;
    }
    if (pending.valid()) {
      pending.get();  // rethrows the reader's error
      continue;
    }
    try {
      Days days;
      const std::string column = dataset_date_column(dataset);
      if (!column.empty()) {
        query::QueryBuilder q(dataset);
        q.select("first", "min(" + column + ")");
        q.select("last", "max(" + column + ")");
        const std::string end = dataset_end_column(dataset);
        if (!end.empty()) q.select("last_end", "max(" + end + ")");
        auto cursor = connection.execute(q.compile(dialect, query::Scope{}));
        if (cursor->next()) {
          days.first = text_of(cursor->get(0)).substr(0, 10);
          days.last = text_of(cursor->get(1)).substr(0, 10);
          if (cursor->column_count() > 2) days.last_end = text_of(cursor->get(2)).substr(0, 10);
        }
      }
      reading.set_value(std::move(days));
    } catch (...) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        days_.erase(dataset);  // the next one to ask tries again
      }
      reading.set_exception(std::current_exception());
      throw;
    }
  }
}

std::optional<std::pair<std::string, std::string>> DatasetDates::span(const std::set<std::string>& datasets,
                                                                      store::Connection& connection,
                                                                      const query::Dialect& dialect) {
  read(datasets, connection, dialect);
  std::string first, last;
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& dataset : datasets) {
    const Days& days = days_.at(dataset).get();
    if (!days.first.empty() && (first.empty() || days.first < first)) first = days.first;
    last = std::max({last, days.last, days.last_end});
  }
  if (first.empty() || last.empty()) return std::nullopt;
  return std::make_pair(first, last);
}

std::optional<std::pair<std::string, std::string>> DatasetDates::own_range(const std::string& dataset,
                                                                           store::Connection& connection,
                                                                           const query::Dialect& dialect) {
  read({dataset}, connection, dialect);
  std::lock_guard<std::mutex> lock(mutex_);
  const Days& days = days_.at(dataset).get();
  if (days.first.empty() || days.last.empty()) return std::nullopt;
  return std::make_pair(days.first, days.last);
}

std::optional<std::string> period_warning(const std::string& from, const std::string& to,
                                          const std::string& as_of, const std::string& first,
                                          const std::string& last) {
  const std::string period = format::period(sdk::Period{from, to});
  if (from > last)
    return "no data after " + last + "; the period " + period +
           " starts after it: its figures are empty, not zero";
  if (to <= first)
    return "no data before " + first + "; the period " + period +
           " ends before it: its figures are empty, not zero";
  // The period's last elapsed day: its last day, or the day before as_of
  // while it runs (today's rows may still be coming).
  auto last_day = Date::parse(to);
  if (!last_day) return std::nullopt;
  Date elapsed = last_day->add_days(-1);
  if (auto today = Date::parse(as_of); today && *today <= *last_day) elapsed = today->add_days(-1);
  if (last < elapsed.iso())
    return "no data after " + last + "; the period " + period + " runs to " +
           format::human_date(elapsed.iso()) + ": its figures stop at " + format::human_date(last);
  return std::nullopt;
}

std::optional<std::string> currency_warning(const std::string& report_currency, store::Connection& connection,
                                            const query::Dialect& dialect) {
  // Most stores hold one currency: a plain count settles that (a grouping by
  // upper() took twice as long over 845,000 deals), and only a store with
  // other codes is grouped.
  query::QueryBuilder other_codes("opportunities");
  other_codes.select("deals", "count(*)");
  other_codes.where("currency <> :report_currency");
  other_codes.bind("report_currency", Value{report_currency});
  auto counted = connection.execute(other_codes.compile(dialect, query::Scope{}));
  if (!counted->next() || integer_of(counted->get(0)) == 0) return std::nullopt;

  query::QueryBuilder q("opportunities");
  q.group_by("deal_currency", "upper(currency)");
  q.select("deals", "count(*)");
  q.order_by("deals", true);
  q.order_by("deal_currency", false);
  auto cursor = connection.execute(q.compile(dialect, query::Scope{}));
  int64_t all = 0, other = 0;
  std::vector<std::string> others;
  while (cursor->next()) {
    const int64_t deals = integer_of(cursor->get(1));
    all += deals;
    const std::string currency = text_of(cursor->get(0));
    if (currency == report_currency) continue;
    other += deals;
    others.push_back((currency.empty() ? std::string("no currency") : currency) + " " +
                     format::grouped(static_cast<double>(deals), 0));
  }
  if (other == 0) return std::nullopt;
  return format::grouped(static_cast<double>(other), 0) + " of " +
         format::grouped(static_cast<double>(all), 0) + (all == 1 ? " deal" : " deals") +
         (other == 1 ? " is" : " are") + " in another currency than the report's " + report_currency + " (" +
         join(others, ", ") + "): Tally does not convert, so their amounts count as " + report_currency +
         "; convert them on import or set the config's `currency:`";
}

std::optional<std::string> DerivedEvents::note(store::Connection& connection, const query::Dialect& dialect) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!count_) {
    query::QueryBuilder q("subscription_events");
    q.select("subscriptions", "count_distinct(subscription_id)");
    q.where("derived = 1");
    auto cursor = connection.execute(q.compile(dialect, scope_));
    count_ = cursor->next() ? integer_of(cursor->get(0)) : 0;
  }
  if (*count_ == 0) return std::nullopt;
  if (*count_ == 1)
    return "1 subscription has no events: its start counts as a new event with its MRR, its end as churn";
  return format::grouped(static_cast<double>(*count_), 0) +
         " subscriptions have no events: their starts count as new events with their MRR, their ends as "
         "churn";
}

}  // namespace tally::run
