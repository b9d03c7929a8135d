#include "store/sqlite.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <vector>

#include "store/backend.hpp"
#include "store/schema.hpp"

namespace tally::store {

namespace fs = std::filesystem;

int schema_version(SQLite::Database& db) {
  if (!db.tableExists("schema_version")) return 0;
  SQLite::Statement q(db, "SELECT MAX(version) FROM schema_version");
  if (!q.executeStep() || q.getColumn(0).isNull()) return 0;
  return q.getColumn(0).getInt();
}

int migrate(SQLite::Database& db) {
  db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)");
  int current = schema_version(db);
  if (current > latest_schema_version())
    throw StoreError("database schema version " + std::to_string(current) +
                     " is newer than this tally understands (" + std::to_string(latest_schema_version()) +
                     "); upgrade tally");
  int applied = 0;
  for (const auto& m : migrations()) {
    if (m.version <= current) continue;
    ++applied;
    SQLite::Transaction tx(db);
    db.exec(m.sql);
    SQLite::Statement ins(db, "INSERT INTO schema_version (version, applied_at) VALUES (?, datetime('now'))");
    ins.bind(1, m.version);
    ins.exec();
    tx.commit();
  }
  return applied;
}

void refresh_statistics(SQLite::Database& db, const std::vector<std::string>& tables) {
  // Exact statistics (no analysis_limit): a sampled count of rows per stage
  // or per day is what misleads the planner. About 5 s on 3 GB.
  db.exec("PRAGMA analysis_limit = 0");
  if (tables.empty()) {
    db.exec("ANALYZE");
    return;
  }
  for (const auto& table : tables) {
    if (!db.tableExists(table)) throw StoreError("cannot analyze '" + table + "': no such table");
    db.exec("ANALYZE \"" + table + "\"");
  }
}

SQLite::Database open_for_writing(const std::string& path, bool create) {
  fs::path p(path);
  fs::path dir = p.parent_path();
  if (!dir.empty() && !fs::is_directory(dir))
    throw StoreError("cannot create database '" + path + "': directory '" + dir.string() + "' does not exist");
  if (!create && !fs::exists(p)) throw StoreError("database '" + path + "' does not exist");
  try {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | (create ? SQLite::OPEN_CREATE : 0));
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA foreign_keys = OFF");
    bool empty = true;
    {
      SQLite::Statement q(db, "SELECT count(*) FROM sqlite_master");
      q.executeStep();
      empty = q.getColumn(0).getInt() == 0;
    }
    if (!empty && schema_version(db) == 0)
      throw StoreError("'" + path + "' is an SQLite database but not a Tally store (it has no schema_version)");
    // An upgraded store with data: new indexes need statistics before the
    // planner will use them.
    if (migrate(db) > 0 && !empty) refresh_statistics(db);
    register_functions(db);
    return db;
  } catch (const SQLite::Exception& e) {
    throw StoreError("cannot open database '" + path + "': " + e.what());
  }
}

namespace {

// tally_quantile(x, p): linear interpolation between closest ranks, the
// same as PostgreSQL's percentile_cont. NULL x values are ignored; NULL when
// no values.
struct QuantileState {
  std::vector<double>* values;
  double p;
};

void quantile_step(sqlite3_context* ctx, int, sqlite3_value** argv) {
  auto* state = static_cast<QuantileState*>(sqlite3_aggregate_context(ctx, sizeof(QuantileState)));
  if (!state) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  if (!state->values) {
    state->values = new std::vector<double>();
    state->p = sqlite3_value_double(argv[1]);
  }
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return;
  state->values->push_back(sqlite3_value_double(argv[0]));
}

void quantile_final(sqlite3_context* ctx) {
  auto* state = static_cast<QuantileState*>(sqlite3_aggregate_context(ctx, 0));
  if (!state || !state->values || state->values->empty()) {
    if (state) delete state->values;
    sqlite3_result_null(ctx);
    return;
  }
  auto& v = *state->values;
  double p = std::clamp(state->p, 0.0, 1.0);
  double rank = p * static_cast<double>(v.size() - 1);
  auto lo = static_cast<size_t>(std::floor(rank));
  auto hi = static_cast<size_t>(std::ceil(rank));
  std::nth_element(v.begin(), v.begin() + lo, v.end());
  double a = v[lo];
  double result = a;
  if (hi != lo) {
    double b = *std::min_element(v.begin() + lo + 1, v.end());
    result = a + (b - a) * (rank - static_cast<double>(lo));
  }
  delete state->values;
  state->values = nullptr;
  sqlite3_result_double(ctx, result);
}

}  // namespace

void register_functions(SQLite::Database& db) {
  int rc = sqlite3_create_function_v2(db.getHandle(), "tally_quantile", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                                      nullptr, &quantile_step, &quantile_final, nullptr);
  if (rc != SQLITE_OK) throw StoreError("cannot register tally_quantile: " + std::string(sqlite3_errstr(rc)));
}

}  // namespace tally::store
