// The SQLite Store: writing through prepared statements on one connection.
// (Over 400 lines: the Store interface is one class around one connection
// and its transaction; reading is backend_sqlite.cpp, imports sqlite_import.cpp.)
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "store/engine_error.hpp"
#include "store/schema.hpp"
#include "store/sqlite.hpp"
#include "store/sqlite_store.hpp"
#include "store/store.hpp"

namespace tally::store {

namespace {

namespace fs = std::filesystem;

class SqliteStatement;

// Reads the rows of a statement that the Statement owns; valid while it lives.
class StatementCursor final : public Cursor {
 public:
  StatementCursor(sqlite3_stmt* stmt, std::string path) : stmt_(stmt), path_(std::move(path)) {
    const int n = sqlite3_column_count(stmt_);
    for (int i = 0; i < n; ++i) names_.emplace_back(sqlite3_column_name(stmt_, i));
  }
  ~StatementCursor() override { sqlite3_reset(stmt_); }
  bool next() override {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw engine_error(sqlite3_db_handle(stmt_), rc, path_, "reading rows failed");
  }
  size_t column_count() const override { return names_.size(); }
  const std::string& column_name(size_t i) const override { return names_.at(i); }
  Value get(size_t i) const override {
    const int c = static_cast<int>(i);
    switch (sqlite3_column_type(stmt_, c)) {
      case SQLITE_INTEGER: return Value{static_cast<int64_t>(sqlite3_column_int64(stmt_, c))};
      case SQLITE_FLOAT: return Value{sqlite3_column_double(stmt_, c)};
      case SQLITE_NULL: return Value{};
      default:
        return Value{std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt_, c)),
                                 static_cast<size_t>(sqlite3_column_bytes(stmt_, c)))};
    }
  }

 private:
  sqlite3_stmt* stmt_;
  std::string path_;
  std::vector<std::string> names_;
};

class SqliteStatement final : public Statement {
 public:
  SqliteStatement(sqlite3* db, const std::string& sql, std::string path) : db_(db), path_(std::move(path)) {
    const int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr);
    if (rc != SQLITE_OK) throw engine_error(db, rc, path_, "cannot prepare '" + shorten_sql(sql) + "'");
  }
  ~SqliteStatement() override { sqlite3_finalize(stmt_); }

  void bind_null(int index) override { check(sqlite3_bind_null(stmt_, index)); }
  void bind(int index, int64_t value) override { check(sqlite3_bind_int64(stmt_, index, value)); }
  void bind(int index, double value) override { check(sqlite3_bind_double(stmt_, index, value)); }
  void bind(int index, std::string_view value) override {
    check(sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT));
  }
  void bind_bool(int index, bool value) override { bind(index, static_cast<int64_t>(value ? 1 : 0)); }

  int64_t execute() override {
    const int rc = sqlite3_step(stmt_);
    sqlite3_reset(stmt_);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) throw engine_error(db_, rc, path_, "cannot write a row");
    return sqlite3_changes64(db_);
  }
  std::unique_ptr<Cursor> query() override { return std::make_unique<StatementCursor>(stmt_, path_); }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) throw engine_error(db_, rc, path_, "cannot bind a value");
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string path_;
};

std::string column_list(const std::vector<std::string>& columns) {
  std::string out;
  for (const auto& c : columns) out += (out.empty() ? "\"" : ", \"") + c + "\"";
  return out;
}

std::string placeholders(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += i ? ",?" : "?";
  return out;
}

// One prepared INSERT reused for every row.
class SqliteRowSink : public RowSink {
 public:
  SqliteRowSink(sqlite3* db, const std::string& table, const std::vector<std::string>& columns,
                const std::string& path)
      : statement_(db,
                   "INSERT INTO \"" + table + "\" (" + column_list(columns) + ") VALUES (" +
                       placeholders(columns.size()) + ")",
                   path) {}
  void null() override { statement_.bind_null(++index_); }
  void integer(int64_t value) override { statement_.bind(++index_, value); }
  void real(double value) override { statement_.bind(++index_, value); }
  void text(std::string_view value) override { statement_.bind(++index_, value); }
  void end_row() override {
    statement_.execute();
    index_ = 0;
    ++rows_;
  }
  void flush() override {}

 private:
  SqliteStatement statement_;
  int index_ = 0;
};

// Rows go to a temporary staging table; finish() counts the keys already
// present, then inserts or updates them all in one statement.
class SqliteUpsert final : public Upsert {
 public:
  SqliteUpsert(sqlite3* db, const std::string& table, const std::vector<std::string>& columns,
               const std::string& key, const std::string& path)
      : db_(db), table_(table), columns_(columns), key_(key), path_(path) {
    staging_ = "tally_staging_" + table;
    exec("DROP TABLE IF EXISTS temp.\"" + staging_ + "\"");
    exec("CREATE TEMP TABLE \"" + staging_ + "\" AS SELECT " + column_list(columns) + " FROM \"" + table +
         "\" WHERE 0");
    sink_ = std::make_unique<SqliteRowSink>(db, staging_, columns, path);
  }
  void null() override { sink_->null(); }
  void integer(int64_t value) override { sink_->integer(value); }
  void real(double value) override { sink_->real(value); }
  void text(std::string_view value) override { sink_->text(value); }
  void end_row() override {
    sink_->end_row();
    ++rows_;
  }
  void flush() override {}

  UpsertCounts finish() override {
    UpsertCounts counts;
    {
      SqliteStatement existing(db_,
                               "SELECT count(*) FROM \"" + staging_ + "\" s WHERE EXISTS (SELECT 1 FROM \"" +
                                   table_ + "\" t WHERE t.\"" + key_ + "\" = s.\"" + key_ + "\")",
                               path_);
      auto cursor = existing.query();
      if (cursor->next()) counts.updated = std::get<int64_t>(cursor->get(0));
    }
    std::string sets;
    for (const auto& c : columns_)
      if (c != key_) sets += (sets.empty() ? "\"" : ", \"") + c + "\" = excluded.\"" + c + "\"";
    // `WHERE true` tells the parser that ON CONFLICT is the upsert clause.
    exec("INSERT INTO \"" + table_ + "\" (" + column_list(columns_) + ") SELECT " + column_list(columns_) +
         " FROM \"" + staging_ + "\" WHERE true ON CONFLICT (\"" + key_ + "\") DO " +
         (sets.empty() ? "NOTHING" : "UPDATE SET " + sets));
    counts.inserted = rows_ - counts.updated;
    exec("DROP TABLE temp.\"" + staging_ + "\"");
    return counts;
  }

 private:
  void exec(const std::string& sql) {
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) throw engine_error(db_, rc, path_, "cannot upsert into '" + table_ + "'");
  }
  sqlite3* db_;
  std::string table_;
  std::vector<std::string> columns_;
  std::string key_, path_, staging_;
  std::unique_ptr<SqliteRowSink> sink_;
};

class SqliteStore final : public ImportStore {
 public:
  // `final_path` differs from `path` for a replacement built in a temporary file.
  SqliteStore(std::unique_ptr<SQLite::Database> db, std::string path, std::string final_path)
      : db_(std::move(db)),
        path_(std::move(path)),
        final_path_(std::move(final_path)),
        dialect_(query::make_sqlite_dialect()) {}
  ~SqliteStore() override {
    if (path_ == final_path_ && !(import_.created && !import_.committed)) return;
    db_.reset();
    remove_with_journals(path_);
  }

  // What open_sqlite_import() set up.
  struct ImportMode {
    bool on = false;
    bool created = false;           // by this import: removed unless committed
    bool rollback_journal = false;  // switched from WAL for this import
    bool committed = false;
    int cache_kib = 0;
  };
  void import_mode(const ImportMode& mode) { import_ = mode; }

  const query::Dialect& dialect() const override { return *dialect_; }
  std::string describe() const override { return "sqlite:" + final_path_; }

  void begin() override {
    if (!import_.on) return exec("BEGIN");
    // The write lock now, so a second import waits here (busy timeout), not midway.
    const int rc = sqlite3_exec(handle(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) throw engine_error(handle(), rc, final_path_, "cannot import");
  }
  void commit() override {
    exec("COMMIT");
    import_.committed = true;
  }
  void rollback() override { exec("ROLLBACK"); }
  void exec(const std::string& sql) override {
    const int rc = sqlite3_exec(handle(), sql.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK)
      throw engine_error(handle(), rc, final_path_, "'" + shorten_sql(sql, 80) + "' failed");
  }
  std::unique_ptr<Statement> prepare(const std::string& sql) override {
    return std::make_unique<SqliteStatement>(handle(), sql, final_path_);
  }
  std::unique_ptr<RowSink> bulk_insert(const std::string& table,
                                       const std::vector<std::string>& columns) override {
    return std::make_unique<SqliteRowSink>(handle(), table, columns, final_path_);
  }
  std::unique_ptr<Upsert> bulk_upsert(const std::string& table, const std::vector<std::string>& columns,
                                      const std::string& key) override {
    return std::make_unique<SqliteUpsert>(handle(), table, columns, key, final_path_);
  }
  int schema_version() override { return store::schema_version(*db_); }
  int migrate() override { return store::migrate(*db_); }
  void refresh_statistics(const std::vector<std::string>& tables) override {
    try {
      store::refresh_statistics(*db_, tables);
    } catch (const SQLite::Exception& e) {
      throw engine_error(e.getExtendedErrorCode(), e.what(), final_path_, "cannot refresh the statistics");
    }
  }
  std::vector<std::string> drop_secondary_indexes() override {
    std::vector<std::string> names, created;
    {
      SqliteStatement list(
          handle(),
          "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name",
          final_path_);
      auto rows = list.query();
      while (rows->next()) {
        names.push_back(std::get<std::string>(rows->get(0)));
        created.push_back(std::get<std::string>(rows->get(1)));
      }
    }
    for (const auto& name : names) exec("DROP INDEX \"" + name + "\"");
    return created;
  }
  void sync_id_sequences() override {}  // INTEGER PRIMARY KEY takes max(id) + 1 by itself

  void publish() override {
    if (path_ == final_path_) return;
    refresh_statistics({});
    exec("PRAGMA journal_mode = DELETE");
    db_.reset();
    // A stale WAL or journal of the old file must not be replayed onto the new one.
    std::error_code ignored;
    for (const char* suffix : {"-wal", "-shm", "-journal"}) fs::remove(final_path_ + suffix, ignored);
    std::error_code ec;
    fs::rename(path_, final_path_, ec);
    if (ec) {
      remove_with_journals(path_);
      throw StoreError("cannot write database '" + final_path_ + "': " + ec.message());
    }
    path_ = final_path_;
  }

  bool in_transaction() override { return !sqlite3_get_autocommit(handle()); }
  std::unique_ptr<KeyedWriter> keyed_writer(const std::string& table, const std::vector<std::string>& columns,
                                            const std::vector<Cell>& defaults) override {
    return make_sqlite_keyed_writer(handle(), table, columns, defaults, final_path_);
  }
  // About a megabyte of records in flight (4 batches).
  size_t import_batch_rows() const override { return 512; }
  int64_t max_id(const std::string& table) override {
    SqliteStatement q(handle(), "SELECT coalesce(max(id), 0) FROM \"" + table + "\"", final_path_);
    auto rows = q.query();
    return rows->next() ? std::get<int64_t>(rows->get(0)) : 0;
  }
  std::vector<std::string> drop_table_indexes(const std::string& table) override {
    return drop_sqlite_table_indexes(handle(), table, final_path_);
  }
  void build_indexes(const std::vector<std::string>& statements) override {
    build_sqlite_indexes(handle(), statements, import_.cache_kib, final_path_);
  }
  // Best effort, never an error: the rows are committed, and the next open
  // for writing sets WAL anyway.
  void imported() noexcept override {
    if (import_.rollback_journal && db_)
      sqlite3_exec(db_->getHandle(), "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
  }

  static void remove_with_journals(const std::string& path) {
    std::error_code ignored;
    fs::remove(path, ignored);
    for (const char* suffix : {"-wal", "-shm", "-journal"}) fs::remove(path + suffix, ignored);
  }

 private:
  sqlite3* handle() const {
    if (!db_) throw StoreError("database '" + final_path_ + "' is closed");
    return db_->getHandle();
  }
  std::unique_ptr<SQLite::Database> db_;
  std::string path_, final_path_;
  std::unique_ptr<query::Dialect> dialect_;
  ImportMode import_;
};

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const std::string& path, const StoreOptions& options,
                                         int* migrated) {
  const int before = peek_sqlite_schema_version(path);
  WriteOptions write;
  write.busy_timeout_ms = options.busy_timeout_ms;
  auto db = std::make_unique<SQLite::Database>(open_for_writing(path, false, write));
  if (migrated) *migrated = schema_version(*db) - before;
  return std::make_unique<SqliteStore>(std::move(db), path, path);
}

int peek_sqlite_schema_version(const std::string& path) {
  if (!fs::exists(path)) throw StoreError("database '" + path + "' does not exist");
  try {
    SQLite::Database probe(path, SQLite::OPEN_READONLY);
    return schema_version(probe);
  } catch (const SQLite::Exception& e) {
    throw engine_error(e.getExtendedErrorCode(), e.what(), path, "cannot open database '" + path + "'");
  }
}

std::unique_ptr<Store> create_sqlite_replacement(const std::string& path, const StoreOptions& options) {
  const fs::path target(path);
  const fs::path dir = target.parent_path();
  if (!dir.empty() && !fs::is_directory(dir))
    throw StoreError("cannot create database '" + path + "': directory '" + dir.string() +
                     "' does not exist");
  // Built next to the target and renamed into place, so readers never see a half-written store.
  const std::string temp = path + ".tmp-" + std::to_string(::getpid());
  SqliteStore::remove_with_journals(temp);
  WriteOptions write;
  write.busy_timeout_ms = options.busy_timeout_ms;
  try {
    auto db = std::make_unique<SQLite::Database>(open_for_writing(temp, true, write));
    // Bulk load: nothing to recover after a crash, the temporary file is thrown away.
    db->exec("PRAGMA journal_mode = OFF");
    db->exec("PRAGMA synchronous = OFF");
    db->exec("PRAGMA locking_mode = EXCLUSIVE");
    db->exec("PRAGMA cache_size = -65536");
    db->exec("PRAGMA temp_store = MEMORY");
    return std::make_unique<SqliteStore>(std::move(db), temp, path);
  } catch (const SQLite::Exception& e) {
    SqliteStore::remove_with_journals(temp);
    throw engine_error(e.getExtendedErrorCode(), e.what(), path, "cannot write database '" + path + "'");
  } catch (...) {
    SqliteStore::remove_with_journals(temp);
    throw;
  }
}

}  // namespace tally::store

namespace tally::store {

// The import connection's page cache: big enough for the hot pages of every
// index, fixed so memory does not grow with the file (index rebuilds spill
// to temp files beyond it).
constexpr int kImportCacheKiB = 32768;

std::unique_ptr<ImportStore> open_sqlite_import(const std::string& path, const ImportStoreOptions& options) {
  // A dry run never creates the database: without one it runs in memory.
  std::error_code ec;
  const bool existed = fs::exists(path, ec);
  const bool in_memory = options.dry_run && !existed;
  SqliteStore::ImportMode mode;
  mode.on = true;
  mode.created = !existed && !in_memory;
  mode.cache_kib = options.test_cache_kib > 0 ? options.test_cache_kib : kImportCacheKiB;
  WriteOptions write;
  write.busy_timeout_ms = options.busy_timeout_ms;
  write.vfs = options.test_vfs;
  auto remove_created = [&] {
    if (mode.created) SqliteStore::remove_with_journals(path);
  };
  std::unique_ptr<SQLite::Database> db;
  try {
    db = std::make_unique<SQLite::Database>(open_for_writing(in_memory ? ":memory:" : path, true, write));
  } catch (...) {
    remove_created();
    throw;
  }
  try {
    if (!in_memory) {
      // Its own connection, once the store has created and migrated the
      // file: without SQLite's per-call mutex (7% of the instructions of an
      // import), as one thread at a time uses it (the importer's lock).
      db.reset();
      db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                                              options.busy_timeout_ms, options.test_vfs);
      register_functions(*db);
    }
    // Safe against a killed process (the journal stays on); sync only at commit.
    db->exec("PRAGMA synchronous = NORMAL");
    db->exec("PRAGMA cache_size = -" + std::to_string(mode.cache_kib));
    // Into a database this import creates, a rollback journal: pages
    // appended to the file need no journal, so the rows are written once,
    // where WAL writes them twice (the log, then the checkpoint; 0.9 s of 6
    // for 1M rows). A killed import leaves a hot journal that the next open
    // rolls back. Back to WAL after the commit (imported()). Stays WAL if
    // another connection has the file open (the switch needs it alone).
    if (mode.created) {
      SQLite::Statement journal(*db, "PRAGMA journal_mode = DELETE");
      mode.rollback_journal = journal.executeStep() && journal.getColumn(0).getString() == "delete";
    }
  } catch (const SQLite::Exception& e) {
    db.reset();
    remove_created();
    throw engine_error(e.getExtendedErrorCode(), e.what(), path, "cannot import");
  }
  auto store = std::make_unique<SqliteStore>(std::move(db), path, path);
  store->import_mode(mode);
  return store;
}

}  // namespace tally::store
