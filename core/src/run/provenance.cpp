#include "run/provenance.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <tally/format.hpp>

#include "query/query.hpp"

#ifndef TALLY_VERSION
#define TALLY_VERSION "unknown"
#endif

namespace tally::run {

std::string without_password(const std::string& source) {
  return format::redact_source(source);
}

namespace {

std::string utc_now() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string text_of(const Value& v) {
  if (auto* s = std::get_if<std::string>(&v)) return s->substr(0, 10);
  return {};
}

}  // namespace

void record_provenance(RunResult& result, store::Backend& backend, const std::string& source,
                       const std::string& now_utc) {
  result.set_fact("data_source", without_password(source.empty() ? backend.describe() : source));
  try {
    query::QueryBuilder q("opportunities");
    // Timestamps are UTC text `YYYY-MM-DD HH:MM:SS` (docs/data-model.md), in
    // time order as text, so the day of the earliest is the earliest day:
    // min/max of the column itself (text_of keeps its day). PostgreSQL reads
    // them from the indexes instead of converting 845k rows at scale 100
    // (1.5 s of every run there); SQLite scans without a date() per row.
    q.select("first_day", "min(created_at)");
    q.select("last_created", "max(created_at)");
    q.select("last_closed", "max(closed_at)");
    query::Scope scope;  // the whole store: no period, no filters
    auto compiled = q.compile(backend.dialect(), scope);
    auto connection = backend.connect();
    auto cursor = connection->execute(compiled);
    if (cursor->next()) {
      std::string from = text_of(cursor->get(0));
      std::string to = std::max(text_of(cursor->get(1)), text_of(cursor->get(2)));
      if (!from.empty()) result.set_fact("data_from", from);
      if (!to.empty()) result.set_fact("data_to", to);
    }
  } catch (const std::exception& e) {
    spdlog::warn("cannot read the data's date range: {}", e.what());
  }
  result.set_fact("generated_at", now_utc.empty() ? utc_now() : now_utc);
  result.set_fact("tally_version", TALLY_VERSION);
}

}  // namespace tally::run
