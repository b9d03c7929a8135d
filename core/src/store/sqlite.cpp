#include "store/sqlite.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "store/backend.hpp"
#include "store/engine_error.hpp"
#include "store/schema.hpp"
#include "util/date.hpp"

namespace tally::store {

namespace fs = std::filesystem;

const std::vector<TableDescription>& canonical_tables() {
  static const std::vector<TableDescription> tables = [] {
    std::vector<TableDescription> out;
    SQLite::Database db(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    for (const auto& m : migrations()) db.exec(m.sql);
    SQLite::Statement names(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    while (names.executeStep()) {
      TableDescription t;
      t.name = names.getColumn(0).getString();
      SQLite::Statement cols(db, "PRAGMA table_info(\"" + t.name + "\")");
      while (cols.executeStep()) {
        ColumnDescription c;
        c.name = cols.getColumn(1).getString();
        c.type = cols.getColumn(2).getString();
        c.not_null = cols.getColumn(3).getInt() != 0;
        if (!cols.getColumn(4).isNull()) {
          std::string d = cols.getColumn(4).getString();
          if (d.size() >= 2 && d.front() == '\'' && d.back() == '\'') d = d.substr(1, d.size() - 2);
          c.default_value = d;
        }
        t.columns.push_back(std::move(c));
      }
      out.push_back(std::move(t));
    }
    return out;
  }();
  return tables;
}

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

SQLite::Database open_for_writing(const std::string& path, bool create, const WriteOptions& options) {
  fs::path p(path);
  fs::path dir = p.parent_path();
  if (!dir.empty() && !fs::is_directory(dir))
    throw StoreError("cannot create database '" + path + "': directory '" + dir.string() +
                     "' does not exist");
  if (!create && !fs::exists(p)) throw StoreError("database '" + path + "' does not exist");
  try {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | (create ? SQLite::OPEN_CREATE : 0),
                        options.busy_timeout_ms, options.vfs);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA foreign_keys = OFF");
    bool empty = true;
    {
      SQLite::Statement q(db, "SELECT count(*) FROM sqlite_master");
      q.executeStep();
      empty = q.getColumn(0).getInt() == 0;
    }
    if (!empty && schema_version(db) == 0)
      throw StoreError("'" + path +
                       "' is an SQLite database but not a Tally store (it has no schema_version)");
    // An upgraded store with data: new indexes need statistics before the
    // planner will use them.
    if (migrate(db) > 0 && !empty) refresh_statistics(db);
    register_functions(db);
    return db;
  } catch (const SQLite::Exception& e) {
    throw engine_error(e.getExtendedErrorCode(), e.what(), path, "cannot open database '" + path + "'");
  }
}

std::string recover_sqlite(const std::string& path, int busy_timeout_ms) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw StoreError("database '" + path + "' does not exist");
  auto size_of = [&](const std::string& file) -> uintmax_t {
    std::error_code e;
    const auto n = fs::file_size(file, e);
    return e ? 0 : n;
  };
  const uintmax_t journal = size_of(path + "-journal");
  const uintmax_t wal = size_of(path + "-wal");
  auto megabytes = [](uintmax_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
    return std::string(text);
  };
  std::string done;
  try {
    SQLite::Database db(path, SQLite::OPEN_READWRITE, busy_timeout_ms);
    // The first read takes the shared lock, finds a hot journal and rolls
    // it back.
    SQLite::Statement first(db, "SELECT count(*) FROM sqlite_master");
    first.executeStep();
    first.reset();
    if (journal > 0 && size_of(path + "-journal") == 0)
      done = "rolled back an interrupted import (journal of " + megabytes(journal) + ")";
    SQLite::Statement mode(db, "PRAGMA journal_mode");
    if (mode.executeStep() && mode.getColumn(0).getString() == "wal" && wal > 0) {
      // Committed frames go into the file; an interrupted import's frames,
      // never committed, are dropped with the log.
      db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
      done += std::string(done.empty() ? "" : "; ") + "folded the write-ahead log (" + megabytes(wal) +
              ") into the store, dropping any uncommitted import";
    }
    SQLite::Statement check(db, "PRAGMA quick_check");
    std::string result = check.executeStep() ? check.getColumn(0).getString() : "no answer";
    if (result != "ok")
      throw StoreError("'" + path + "' is damaged (" + result + "); restore it from a backup" +
                       (done.empty() ? "" : " (" + done + ")"));
    if (done.empty()) done = "nothing to recover: no interrupted import";
    return path + ": " + done + "; integrity check ok";
  } catch (const SQLite::Exception& e) {
    throw engine_error(e.getExtendedErrorCode(), e.what(), path, "cannot recover '" + path + "'");
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

// tally_days_between(a, b): julianday(b) - julianday(a), without parsing
// each timestamp through SQLite's general date parser. Stores hold
// 'YYYY-MM-DD[ HH:MM[:SS[.fff]]]' (data-model.md); those are read here, and
// anything else (time zones, 'now', numbers) goes to julianday() itself.
// Per-stage durations over millions of stage visits spend most of their time
// parsing dates otherwise.
int two_digits(const unsigned char* p) {
  if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9') return -1;
  return (p[0] - '0') * 10 + (p[1] - '0');
}

// Milliseconds since 1970-01-01 of a canonical timestamp; false when the text
// is in any other form (the caller then asks SQLite).
bool canonical_millis(const unsigned char* text, int n, int64_t& out) {
  const auto date =
      Date::parse(std::string_view(reinterpret_cast<const char*>(text), static_cast<size_t>(n)));
  if (!date) return false;
  int64_t ms = date->days_since_epoch() * 86400000;
  if (n == 10) {
    out = ms;
    return true;
  }
  const unsigned char* s = text;
  if (n < 16 || s[13] != ':') return false;  // Date::parse checked the ' ' or 'T' at 10
  const int hour = two_digits(s + 11), minute = two_digits(s + 14);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return false;
  ms += hour * 3600000LL + minute * 60000LL;
  if (n == 16) {
    out = ms;
    return true;
  }
  if (n < 19 || s[16] != ':') return false;
  const int second = two_digits(s + 17);
  if (second < 0 || second > 59) return false;
  if (n == 19) {
    out = ms + second * 1000LL;
    return true;
  }
  if (s[19] != '.' || n == 20) return false;
  // Fractional seconds round to the millisecond, as SQLite does.
  double fraction = 0, scale = 0.1;
  for (int i = 20; i < n; ++i, scale /= 10) {
    if (s[i] < '0' || s[i] > '9') return false;
    fraction += (s[i] - '0') * scale;
  }
  out = ms + static_cast<int64_t>((second + fraction) * 1000 + 0.5);
  return true;
}

void days_between_via_julianday(sqlite3_context* ctx, sqlite3_value* a, sqlite3_value* b) {
  sqlite3_stmt* stmt = nullptr;
  sqlite3* db = sqlite3_context_db_handle(ctx);
  if (sqlite3_prepare_v2(db, "SELECT julianday(?2) - julianday(?1)", -1, &stmt, nullptr) != SQLITE_OK) {
    sqlite3_result_error(ctx, sqlite3_errmsg(db), -1);
    return;
  }
  sqlite3_bind_value(stmt, 1, a);
  sqlite3_bind_value(stmt, 2, b);
  if (sqlite3_step(stmt) == SQLITE_ROW)
    sqlite3_result_value(ctx, sqlite3_column_value(stmt, 0));
  else
    sqlite3_result_error(ctx, sqlite3_errmsg(db), -1);
  sqlite3_finalize(stmt);
}

void days_between(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return;
  }
  int64_t from = 0, to = 0;
  if (sqlite3_value_type(argv[0]) == SQLITE_TEXT && sqlite3_value_type(argv[1]) == SQLITE_TEXT &&
      canonical_millis(sqlite3_value_text(argv[0]), sqlite3_value_bytes(argv[0]), from) &&
      canonical_millis(sqlite3_value_text(argv[1]), sqlite3_value_bytes(argv[1]), to)) {
    sqlite3_result_double(ctx, static_cast<double>(to - from) / 86400000.0);
    return;
  }
  days_between_via_julianday(ctx, argv[0], argv[1]);
}

}  // namespace

void register_functions(SQLite::Database& db) {
  int rc = sqlite3_create_function_v2(db.getHandle(), "tally_quantile", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                      nullptr, nullptr, &quantile_step, &quantile_final, nullptr);
  if (rc != SQLITE_OK) throw StoreError("cannot register tally_quantile: " + std::string(sqlite3_errstr(rc)));
  rc = sqlite3_create_function_v2(db.getHandle(), "tally_days_between", 2,
                                  SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
                                  &days_between, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK)
    throw StoreError("cannot register tally_days_between: " + std::string(sqlite3_errstr(rc)));
}

}  // namespace tally::store
