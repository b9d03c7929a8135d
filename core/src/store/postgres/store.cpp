// The PostgreSQL Store: bulk rows through COPY, upserts through a staging
// table, migrations in PostgreSQL's types (schema.cpp), replacement inside
// one transaction so a killed run leaves the old store as it was.
// (Over 400 lines: the Store interface is one class around one connection and
// its transaction; reading is backend.cpp.)
#include <tally/format.hpp>

#include <charconv>
#include <cmath>
#include <functional>
#include <set>

#include "store/postgres/connection.hpp"
#include "store/postgres/postgres.hpp"
#include "store/postgres/schema.hpp"
#include "store/text_rows.hpp"

namespace tally::store::postgres {

void check_readable_store(Connection& conn, const std::string& url);

namespace {

constexpr size_t kCopyBufferBytes = 1 << 20;

std::string column_list(const std::vector<std::string>& columns) {
  std::string out;
  for (const auto& c : columns) out += (out.empty() ? "" : ", ") + identifier(c);
  return out;
}

class PgStatement final : public Statement {
 public:
  // `guarded`: inside a transaction, a failed statement is undone alone (a
  // savepoint around it) and the transaction goes on, as on SQLite.
  PgStatement(Connection& conn, const std::string& sql, std::function<void()> before, bool guarded = false)
      : conn_(conn), sql_(numbered_placeholders(sql)), before_(std::move(before)), guarded_(guarded) {}
  void bind_null(int index) override { at(index) = Param{}; }
  void bind(int index, int64_t value) override { at(index) = param_of(Value{value}); }
  void bind(int index, double value) override { at(index) = param_of(Value{value}); }
  void bind(int index, std::string_view value) override { at(index) = param_of(Value{std::string(value)}); }
  void bind_bool(int index, bool value) override { at(index) = Param{16, value ? "t" : "f", false}; }
  int64_t execute() override {
    before_();
    Result result = run("cannot write to " + conn_.where());
    const char* changed = PQcmdTuples(result.get());
    return changed && *changed ? std::strtoll(changed, nullptr, 10) : 0;
  }
  std::unique_ptr<Cursor> query() override;
  Result run(const std::string& doing) {
    if (!guarded_ || !conn_.in_transaction()) return conn_.query(sql_, params_, doing);
    conn_.exec("SAVEPOINT tally_statement");
    try {
      Result result = conn_.query(sql_, params_, doing);
      conn_.exec("RELEASE SAVEPOINT tally_statement");
      return result;
    } catch (const EngineError& e) {
      if (e.fault() == Fault::Constraint)
        conn_.exec("ROLLBACK TO SAVEPOINT tally_statement; RELEASE SAVEPOINT tally_statement");
      throw;
    }
  }

 private:
  Param& at(int index) {
    if (index < 1) throw StoreError("parameter index " + std::to_string(index) + " out of range");
    if (params_.size() < static_cast<size_t>(index)) params_.resize(static_cast<size_t>(index));
    return params_[static_cast<size_t>(index) - 1];
  }
  Connection& conn_;
  std::string sql_;
  std::function<void()> before_;
  bool guarded_;
  std::vector<Param> params_;
};

class ResultCursor final : public Cursor {
 public:
  explicit ResultCursor(Result result) : result_(std::move(result)) {
    for (int i = 0; i < PQnfields(result_.get()); ++i) names_.emplace_back(PQfname(result_.get(), i));
  }
  bool next() override { return ++row_ < PQntuples(result_.get()); }
  size_t column_count() const override { return names_.size(); }
  const std::string& column_name(size_t i) const override { return names_.at(i); }
  Value get(size_t i) const override { return field_value(result_.get(), row_, static_cast<int>(i)); }

 private:
  Result result_;
  std::vector<std::string> names_;
  int row_ = -1;
};

std::unique_ptr<Cursor> PgStatement::query() {
  before_();
  return std::make_unique<ResultCursor>(run("cannot read from " + conn_.where()));
}

class PgStore;

// Rows in COPY's text format, sent when the buffer fills or the store runs
// anything else (so statements always see every row written before them).
class CopySink : public Upsert {
 public:
  CopySink(PgStore& store, Connection& conn, std::string table, std::vector<std::string> columns);
  ~CopySink() override;
  void null() override { field_start() += "\\N"; }
  void integer(int64_t value) override { text_rows::append_integer(field_start(), value); }
  void real(double value) override { text_rows::append_real(field_start(), value, text_rows::kPostgres); }
  void text(std::string_view value) override { text_rows::append_text(field_start(), value); }
  void end_row() override {
    buffer_ += '\n';
    first_field_ = true;
    ++rows_;
    if (buffer_.size() >= kCopyBufferBytes) flush();
  }
  void flush() override {
    if (buffer_.empty()) return;
    conn_.copy_in("COPY " + identifier(table_) + " (" + column_list(columns_) + ") FROM STDIN", buffer_,
                  "cannot write rows into '" + table_ + "' of " + conn_.where());
    buffer_.clear();
  }
  void discard() { buffer_.clear(); }
  UpsertCounts finish() override { throw StoreError("bulk_insert has no finish(); use bulk_upsert"); }

 protected:
  std::string& field_start() {
    if (!first_field_) buffer_ += '\t';
    first_field_ = false;
    return buffer_;
  }
  PgStore& store_;
  Connection& conn_;
  std::string table_;
  std::vector<std::string> columns_;
  std::string buffer_;
  bool first_field_ = true;
};

// COPY into a temporary staging table, then one INSERT ... ON CONFLICT that
// counts what it inserted (xmax = 0) and what it updated.
class PgUpsert final : public CopySink {
 public:
  PgUpsert(PgStore& store, Connection& conn, const std::string& table,
           const std::vector<std::string>& columns, std::string key)
      : CopySink(store, conn, "tally_staging_" + table, columns), target_(table), key_(std::move(key)) {
    conn.exec("DROP TABLE IF EXISTS pg_temp." + identifier(table_));
    conn.exec("CREATE TEMP TABLE " + identifier(table_) + " AS SELECT " + column_list(columns_) + " FROM " +
              identifier(target_) + " WITH NO DATA");
  }
  UpsertCounts finish() override {
    flush();
    std::string sets;
    for (const auto& c : columns_)
      if (c != key_) sets += (sets.empty() ? "" : ", ") + identifier(c) + " = EXCLUDED." + identifier(c);
    const std::string insert = "INSERT INTO " + identifier(target_) + " (" + column_list(columns_) +
                               ") SELECT " + column_list(columns_) + " FROM " + identifier(table_) +
                               " ON CONFLICT (" + identifier(key_) + ") DO " +
                               (sets.empty() ? "NOTHING" : "UPDATE SET " + sets) + " RETURNING (xmax = 0)";
    Result counts = conn_.query("WITH done AS (" + insert +
                                    " AS inserted) SELECT count(*) FILTER (WHERE inserted), "
                                    "count(*) FILTER (WHERE NOT inserted) FROM done",
                                {}, "cannot upsert into '" + target_ + "' of " + conn_.where());
    UpsertCounts out;
    out.inserted = std::get<int64_t>(field_value(counts.get(), 0, 0));
    out.updated = std::get<int64_t>(field_value(counts.get(), 0, 1));
    conn_.exec("DROP TABLE pg_temp." + identifier(table_));
    return out;
  }

 private:
  std::string target_, key_;
};

class PgStore final : public ImportStore {
 public:
  PgStore(std::string url, bool replacing)
      : url_(std::move(url)), conn_(url_), replacing_(replacing), dialect_(query::make_postgres_dialect()) {}

  const query::Dialect& dialect() const override { return *dialect_; }
  std::string describe() const override { return format::redact_source(url_); }

  void begin() override {
    exec_raw(replacing_ ? "SAVEPOINT tally_writer" : "BEGIN");
    if (importing_) lock_for_import(conn_);
  }
  void commit() override { exec_raw(replacing_ ? "RELEASE SAVEPOINT tally_writer" : "COMMIT"); }
  void rollback() override {
    for (auto* sink : sinks_) sink->discard();
    conn_.exec(replacing_ ? "ROLLBACK TO SAVEPOINT tally_writer" : "ROLLBACK");
  }
  void exec(const std::string& sql) override { exec_raw(sql); }
  std::unique_ptr<Statement> prepare(const std::string& sql) override {
    return std::make_unique<PgStatement>(
        conn_, sql, [this] { flush_all(); }, importing_);
  }
  std::unique_ptr<RowSink> bulk_insert(const std::string& table,
                                       const std::vector<std::string>& columns) override {
    flush_all();
    return std::make_unique<CopySink>(*this, conn_, table, columns);
  }
  std::unique_ptr<Upsert> bulk_upsert(const std::string& table, const std::vector<std::string>& columns,
                                      const std::string& key) override {
    flush_all();
    return std::make_unique<PgUpsert>(*this, conn_, table, columns, key);
  }

  int schema_version() override {
    if (is_null(conn_.scalar("SELECT to_regclass('schema_version')::text"))) return 0;
    return static_cast<int>(
        std::get<int64_t>(conn_.scalar("SELECT coalesce(max(version), 0) FROM schema_version")));
  }

  int migrate() override {
    flush_all();
    const int latest = latest_schema_version();
    if (!replacing_) {
      conn_.exec("BEGIN");
      // One migrating tally at a time; the others wait and then find nothing to do.
      conn_.exec("SELECT pg_advisory_xact_lock(7243311)");
    }
    int current = schema_version();
    if (current > latest)
      throw StoreError(conn_.where() + " has schema version " + std::to_string(current) +
                       ", newer than this tally understands (" + std::to_string(latest) + "); upgrade tally");
    if (current == latest) {  // nothing to do: no DDL, so a user without CREATE may open it
      if (!replacing_) conn_.exec("COMMIT");
      return 0;
    }
    if (current == 0) refuse_foreign_tables();
    conn_.exec(
        "CREATE TABLE IF NOT EXISTS schema_version (version bigint NOT NULL, applied_at text COLLATE \"C\" "
        "NOT NULL)");
    int applied = 0;
    for (const auto& m : migrations()) {
      if (m.version <= current) continue;
      conn_.exec(m.sql, "migration " + std::to_string(m.version) + " (" + m.description + ") failed on " +
                            conn_.where());
      conn_.query(
          "INSERT INTO schema_version (version, applied_at) VALUES ($1, to_char(now() AT TIME ZONE "
          "'UTC', 'YYYY-MM-DD HH24:MI:SS'))",
          {param_of(Value{static_cast<int64_t>(m.version)})});
      ++applied;
    }
    if (!replacing_) conn_.exec("COMMIT");
    return applied;
  }

  void refresh_statistics(const std::vector<std::string>& tables) override {
    flush_all();
    if (tables.empty()) {
      std::string all;
      for (const auto& t : postgres::tables()) all += (all.empty() ? "" : ", ") + identifier(t);
      conn_.exec("ANALYZE " + all, "cannot refresh the planner's statistics on " + conn_.where());
      return;
    }
    for (const auto& t : tables)
      conn_.exec("ANALYZE " + identifier(t), "cannot analyze '" + t + "' on " + conn_.where());
  }

  std::vector<std::string> drop_secondary_indexes() override {
    flush_all();
    Result rows = conn_.query(
        "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
        "WHERE t.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND "
        "t.relname = ANY($1::text[]) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY 1",
        {Param{25, table_array(), false}});
    std::vector<std::string> created;
    for (int i = 0; i < PQntuples(rows.get()); ++i) {
      conn_.exec("DROP INDEX " + identifier(PQgetvalue(rows.get(), i, 0)));
      created.emplace_back(PQgetvalue(rows.get(), i, 1));
    }
    return created;
  }

  void sync_id_sequences() override {
    flush_all();
    for (const auto& t : postgres::tables()) {
      if (t == "metadata") continue;  // keyed by text
      conn_.exec("SELECT setval(pg_get_serial_sequence(" + literal(t) +
                 ", 'id'), coalesce(max(id), 0) + 1, "
                 "false) FROM " +
                 identifier(t));
    }
  }

  void publish() override {
    if (!replacing_) return;
    flush_all();
    conn_.exec("COMMIT", "cannot commit the new store to " + conn_.where());
    replacing_ = false;
    // VACUUM sets the visibility map too, so covering indexes are read
    // without visiting the table (index-only scans), as on SQLite.
    std::string all;
    for (const auto& t : postgres::tables()) all += (all.empty() ? "" : ", ") + identifier(t);
    conn_.exec("VACUUM (ANALYZE) " + all, "cannot refresh the planner's statistics on " + conn_.where());
  }

  bool in_transaction() override { return conn_.in_transaction(); }
  std::unique_ptr<KeyedWriter> keyed_writer(const std::string& table, const std::vector<std::string>& columns,
                                            const std::vector<Cell>& defaults) override {
    flush_all();
    return make_keyed_writer(conn_, table, columns, defaults);
  }
  // A flush costs ~30 ms whatever its size (round trips, planning the
  // upsert): 512-row batches ran at 8k rows/s, 8192-row ones near COPY's pace.
  size_t import_batch_rows() const override { return 8192; }
  int64_t max_id(const std::string& table) override {
    flush_all();
    return std::get<int64_t>(conn_.scalar("SELECT coalesce(max(id), 0) FROM " + identifier(table)));
  }
  std::vector<std::string> drop_table_indexes(const std::string& table) override {
    flush_all();
    return postgres::drop_table_indexes(conn_, table);
  }
  void build_indexes(const std::vector<std::string>& statements) override {
    flush_all();
    for (const auto& sql : statements) conn_.exec(sql, "cannot build an index on " + conn_.where());
  }
  void imported() noexcept override {}

  void import_mode() { importing_ = true; }

  // Replacement: one transaction; the Tally tables there are dropped and
  // made again at the latest schema.
  void start_replacement() {
    conn_.exec("BEGIN");
    conn_.exec("SELECT pg_advisory_xact_lock(7243311)");
    const int current = schema_version();
    if (current > latest_schema_version())
      throw StoreError(conn_.where() + " has schema version " + std::to_string(current) +
                       ", newer than this tally understands; upgrade tally before replacing it");
    if (current == 0) refuse_foreign_tables();
    std::string drop;
    for (const auto& t : postgres::tables()) drop += (drop.empty() ? "" : ", ") + identifier(t);
    conn_.exec("DROP TABLE IF EXISTS " + drop + ", schema_version",
               "cannot drop the old Tally tables of " + conn_.where());
    migrate();
  }

  Connection& connection() { return conn_; }

  void add(CopySink* sink) { sinks_.insert(sink); }
  void fail_later(const std::string& message) {
    if (pending_error_.empty()) pending_error_ = message;
  }
  void remove(CopySink* sink) { sinks_.erase(sink); }

 private:
  void exec_raw(const std::string& sql) {
    flush_all();
    conn_.exec(sql);
  }
  void flush_all() {
    if (!pending_error_.empty()) throw StoreError(pending_error_);
    for (auto* sink : sinks_) sink->flush();
  }
  // A database without schema_version whose tables carry Tally's names is
  // someone else's: never dropped nor written into.
  void refuse_foreign_tables() {
    const Value clash = conn_.scalar(
        "SELECT min(relname) FROM pg_class WHERE relkind IN ('r', 'p', 'v', 'm') "
        "AND relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND relname = "
        "ANY($1::text[])",
        {Param{25, table_array(), false}});
    if (!is_null(clash))
      throw StoreError(conn_.where() + " has a table '" + std::get<std::string>(clash) +
                       "' but is not a Tally store (no schema_version table); use an empty database");
  }
  static std::string table_array() {
    std::string names = "{";
    for (const auto& t : postgres::tables()) names += (names.size() > 1 ? "," : "") + t;
    return names + "}";
  }
  static std::string literal(const std::string& text) {
    std::string out = "'";
    for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
  }

  std::string url_;
  Connection conn_;
  bool replacing_;
  bool importing_ = false;
  std::set<CopySink*> sinks_;
  std::string pending_error_;  // a sink's failure to send its last rows
  std::unique_ptr<query::Dialect> dialect_;
};

CopySink::CopySink(PgStore& store, Connection& conn, std::string table, std::vector<std::string> columns)
    : store_(store), conn_(conn), table_(std::move(table)), columns_(std::move(columns)) {
  store_.add(this);
}
// Rows still buffered are sent now; a failure there is thrown by the
// store's next operation (a destructor must not throw).
CopySink::~CopySink() {
  try {
    flush();
  } catch (const std::exception& e) {
    store_.fail_later(e.what());
  }
  store_.remove(this);
}

}  // namespace

std::unique_ptr<Store> open_store(const std::string& url, int* migrated) {
  auto store = std::make_unique<PgStore>(url, false);
  const int applied = store->migrate();
  if (migrated) *migrated = applied;
  return store;
}

int peek_schema_version(const std::string& url) {
  Connection conn(url);
  if (is_null(conn.scalar("SELECT to_regclass('schema_version')::text"))) return 0;
  return static_cast<int>(
      std::get<int64_t>(conn.scalar("SELECT coalesce(max(version), 0) FROM schema_version")));
}

std::unique_ptr<ImportStore> open_import_store(const std::string& url) {
  auto store = std::make_unique<PgStore>(url, false);
  store->migrate();
  store->import_mode();
  return store;
}

std::unique_ptr<Store> create_replacement(const std::string& url) {
  auto store = std::make_unique<PgStore>(url, true);
  store->start_replacement();
  return store;
}

}  // namespace tally::store::postgres
