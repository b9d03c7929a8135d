// Fuzz target: expression text -> the query language's parser and compiler
// (core/src/query), for every engine's dialect.
//
// The first byte picks the dataset and whether the comparison period is
// used; the rest is split into lines, which become in turn a where(), a
// select() and a group_by() of one query. When the query compiles, the
// SQLite SQL must prepare on an empty store (every name and function
// exists) and take exactly the parameters the compiler bound.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common.hpp"
#include "query/query.hpp"
#include "store/sqlite.hpp"

namespace {

SQLite::Database& schema_db() {
  static SQLite::Database db = tally::store::open_for_writing(":memory:", true);
  return db;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const auto sqlite = tally::query::make_sqlite_dialect();
  static const auto postgres = tally::query::make_postgres_dialect();
  static const auto clickhouse = tally::query::make_clickhouse_dialect();
  const auto& datasets = tally::query::datasets();
  const tally::query::DatasetInfo& info = datasets[data[0] % datasets.size()];
  const std::string& dataset = info.name;
  const bool compare = (data[0] / datasets.size()) & 1;

  std::vector<std::string> lines;
  std::string text(tally_fuzz::as_text(data + 1, size - 1));
  for (size_t start = 0; start <= text.size() && lines.size() < 8;) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }

  tally::query::QueryBuilder q(dataset);
  int accepted = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    try {
      switch (i % 3) {
        case 0: q.where(lines[i]); break;
        case 1: q.select("s" + std::to_string(i), lines[i]); break;
        case 2: q.group_by("g" + std::to_string(i), lines[i]); break;
      }
      ++accepted;
    } catch (const tally::query::QueryError&) {
      // Refused with a message: the documented outcome for a bad expression.
    }
  }
  if (accepted == 0) return 0;
  q.bind("min_amount", int64_t{1000});
  q.bind("team", std::string("EMEA"));
  q.bind("p", 0.9);
  q.bind("x", tally::Value{});
  if (compare) q.use_period(tally::query::Which::Compare);
  try {
    q.order_by("s1", data[0] & 0x80);
  } catch (const tally::query::QueryError&) {
  }
  q.limit(10);

  tally::query::Scope scope;
  scope.period_from = "2025-01-01";
  scope.period_to = "2025-04-01";
  scope.compare_from = "2024-10-01";
  scope.compare_to = "2025-01-01";
  scope.fiscal_year_start = 4;
  // The report's filters, on a dimension the dataset has.
  if (!info.dimensions.empty())
    scope.filters[info.dimensions[data[0] % info.dimensions.size()]] = {"EMEA", "NA"};

  for (const auto* dialect : {sqlite.get(), postgres.get(), clickhouse.get()}) {
    try {
      const tally::query::CompiledQuery compiled = q.compile(*dialect, scope);
      if (dialect != sqlite.get()) continue;
      try {
        SQLite::Statement statement(schema_db(), compiled.sql);
        if (static_cast<size_t>(statement.getBindParameterCount()) != compiled.params.size())
          __builtin_trap();
      } catch (const SQLite::Exception& e) {
        std::fprintf(stderr, "compiled SQL does not prepare: %s\n%s\n", e.what(), compiled.sql.c_str());
        __builtin_trap();
      }
    } catch (const tally::query::QueryError&) {
    }
  }
  return 0;
}
