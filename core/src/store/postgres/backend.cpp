// The PostgreSQL backend for runs: one connection per metric thread, each in
// a read-only REPEATABLE READ transaction (one snapshot for all its queries)
// with the run's statement_timeout. Parameters always travel typed.
#include <tally/format.hpp>

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
  PgConnection(const std::string& url, int statement_timeout_ms) : conn_(url) {
    conn_.exec("SET statement_timeout = " + std::to_string(statement_timeout_ms),
               "cannot set statement_timeout");
    // Report queries take well under a second each: compiling them with LLVM
    // (on by default above a planner cost the demo at scale 100 exceeds)
    // costs more than it saves.
    conn_.exec("SET jit = off", "cannot turn JIT off");
    conn_.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "cannot start a read-only transaction");
  }
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
    return std::make_unique<PgConnection>(url_, options_.statement_timeout_ms);
  }
  std::string describe() const override { return format::redact_source(url_); }

 private:
  std::string url_;
  OpenOptions options_;
  std::unique_ptr<query::Dialect> dialect_;
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
