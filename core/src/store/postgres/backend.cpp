// The PostgreSQL backend for runs: one connection per metric thread, each in
// a read-only REPEATABLE READ transaction with the run's statement_timeout.
// All of them read ONE snapshot: the backend holds a transaction open that
// exports it (pg_export_snapshot) and every connection imports it (SET
// TRANSACTION SNAPSHOT), so metrics running in parallel (--jobs) see the
// same data even while an import commits. Parameters always travel typed.
#include <spdlog/spdlog.h>
#include <tally/format.hpp>

#include <mutex>

#include "store/postgres/connection.hpp"
#include "store/postgres/postgres.hpp"
#include "store/postgres/schema.hpp"

namespace tally::store::postgres {

namespace {

class PgCursor final : public Cursor {
 public:
  PgCursor(Result result, std::vector<std::string> names)
      : result_(std::move(result)), names_(std::move(names)) {
    rows_ = PQntuples(result_.get());
    if (names_.size() != static_cast<size_t>(PQnfields(result_.get()))) {
      names_.clear();
      for (int i = 0; i < PQnfields(result_.get()); ++i) names_.emplace_back(PQfname(result_.get(), i));
    }
  }
  bool next() override { return ++row_ < rows_; }
  size_t column_count() const override { return names_.size(); }
  const std::string& column_name(size_t i) const override { return names_.at(i); }
  Value get(size_t i) const override {
    if (i >= names_.size() || row_ < 0 || row_ >= rows_)
      throw StoreError("column " + std::to_string(i) + " out of range");
    return field_value(result_.get(), row_, static_cast<int>(i));
  }

 private:
  Result result_;
  std::vector<std::string> names_;
  int rows_ = 0;
  int row_ = -1;
};

class PgConnection final : public store::Connection {
 public:
  // Imports `snapshot` (pg_export_snapshot()'s name) unless it is empty.
  PgConnection(const std::string& url, int statement_timeout_ms, const std::string& snapshot) : conn_(url) {
    conn_.exec("SET statement_timeout = " + std::to_string(statement_timeout_ms),
               "cannot set statement_timeout");
    // Report queries take well under a second each: compiling them with LLVM
    // (on by default above a planner cost the demo at scale 100 exceeds)
    // costs more than it saves.
    conn_.exec("SET jit = off", "cannot turn JIT off");
    // Measured on the demo at scale 100 (docs/backends.md, Speed):
    // - work_mem of at least 64MB: at the default 4MB the derived
    //   subscription events' `NOT IN (SELECT ...)` no longer fits a hash and
    //   is re-scanned for every subscription (churn hit the 300 s statement
    //   timeout), and the sorts of count(DISTINCT) and quantiles spill to disk.
    //   A larger setting of the server's or the role's is kept.
    // - no Memoize: the planner put one over the per-row LATERAL of a
    //   repeated days_between (query/dialect_postgres.cpp), which never hits (one
    //   key per row) and made the per-stage p90 3x slower.
    conn_.scalar(
        "SELECT set_config('work_mem', '64MB', false) "
        "WHERE pg_size_bytes(current_setting('work_mem')) < 64 * 1024 * 1024");
    conn_.exec("SET enable_memoize = off", "cannot set enable_memoize");
    conn_.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "cannot start a read-only transaction");
    // The name is the server's own ("00000003-0000001B-1"): digits, letters and dashes.
    if (!snapshot.empty())
      conn_.exec("SET TRANSACTION SNAPSHOT '" + snapshot + "'", "cannot read the run's snapshot");
  }
  // The snapshot this connection's transaction reads, for others to import.
  std::string export_snapshot() { return std::get<std::string>(conn_.scalar("SELECT pg_export_snapshot()")); }
  std::unique_ptr<Cursor> execute(const query::CompiledQuery& q) override {
    std::vector<Param> params;
    params.reserve(q.params.size());
    for (const auto& v : q.params) params.push_back(param_of(v));
    return std::make_unique<PgCursor>(conn_.query(q.sql, params), q.columns);
  }

 private:
  postgres::Connection conn_;
};

class PgBackend final : public Backend {
 public:
  PgBackend(std::string url, const OpenOptions& options)
      : url_(std::move(url)), options_(options), dialect_(query::make_postgres_dialect()) {}
  const query::Dialect& dialect() const override { return *dialect_; }
  std::unique_ptr<store::Connection> connect() override {
    return std::make_unique<PgConnection>(url_, options_.statement_timeout_ms, snapshot());
  }
  std::string describe() const override { return format::redact_source(url_); }

 private:
  // The run's snapshot, exported by a connection opened on first use and
  // kept (idle in its transaction) as long as the backend. "" when the
  // server refuses to export one: each connection then reads
  // its own, which a warning says.
  std::string snapshot() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!holder_) {
      holder_ = std::make_unique<PgConnection>(url_, options_.statement_timeout_ms, "");
      try {
        snapshot_ = holder_->export_snapshot();
      } catch (const StoreError& e) {
        spdlog::warn("{}: metrics read separate snapshots: cannot export one ({})", describe(), e.what());
      }
    }
    return snapshot_;
  }

  std::string url_;
  OpenOptions options_;
  std::unique_ptr<query::Dialect> dialect_;
  std::mutex mutex_;
  std::unique_ptr<PgConnection> holder_;
  std::string snapshot_;
};

}  // namespace

// Throws StoreError unless the database holds a Tally store at this binary's
// schema version whose every table the user may read.
void check_readable_store(Connection& conn, const std::string& url) {
  const std::string shown = format::redact_source(url);
  const Value table = conn.scalar("SELECT to_regclass('schema_version')::text");
  if (is_null(table))
    throw StoreError(conn.where() +
                     " is not a Tally store (it has no schema_version table); create one with " +
                     "`tally demo --db " + shown + "` or check the URL's database and search_path");
  const Value readable = conn.scalar("SELECT has_table_privilege('schema_version', 'SELECT')");
  if (readable != Value{int64_t{0}}) {
    const int version = static_cast<int>(
        std::get<int64_t>(conn.scalar("SELECT coalesce(max(version), 0) FROM schema_version")));
    const int latest = latest_schema_version();
    if (version < latest)
      throw StoreError(conn.where() + " has schema version " + std::to_string(version) +
                       ", this tally needs " + std::to_string(latest) + "; run `tally migrate --db " + shown +
                       "`");
    if (version > latest)
      throw StoreError(conn.where() + " has schema version " + std::to_string(version) +
                       ", newer than this tally understands (" + std::to_string(latest) + "); upgrade tally");
  }
  std::string names = "{schema_version";
  for (const auto& t : tables()) names += "," + t;
  names += "}";
  Result rows = conn.query(
      "SELECT t, to_regclass(quote_ident(t)) IS NOT NULL, "
      "to_regclass(quote_ident(t)) IS NOT NULL AND has_table_privilege(quote_ident(t), 'SELECT') "
      "FROM unnest($1::text[]) AS t",
      {{25, names, false}});
  for (int i = 0; i < PQntuples(rows.get()); ++i) {
    const std::string name = PQgetvalue(rows.get(), i, 0);
    if (PQgetvalue(rows.get(), i, 1)[0] != 't')
      throw StoreError(
          conn.where() + " has no table '" + name +
          "': the store is incomplete; recreate it (`tally demo`, `tally import`) or restore it");
    if (PQgetvalue(rows.get(), i, 2)[0] != 't')
      throw StoreError("user '" + conn.user() + "' may not read table '" + name + "' of " + conn.where() +
                       "; grant it: GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + conn.user() +
                       " (docs/backends.md)");
  }
}

std::unique_ptr<Backend> open_backend(const std::string& url, const OpenOptions& options) {
  {
    Connection probe(url);
    check_readable_store(probe, url);
  }
  return std::make_unique<PgBackend>(url, options);
}

}  // namespace tally::store::postgres
