// The SQLite backend: read-only connections to a Tally store, one per metric
// thread, each with Tally's SQL functions registered.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include <filesystem>
#include <memory>

#include "store/backend.hpp"
#include "store/schema.hpp"
#include "store/sqlite.hpp"

namespace tally::store {

namespace {

namespace fs = std::filesystem;

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

class SqliteCursor final : public Cursor {
 public:
  // Holds the database too, so the cursor stays valid if its connection goes first.
  SqliteCursor(std::shared_ptr<SQLite::Database> db, std::unique_ptr<SQLite::Statement> statement,
               std::vector<std::string> names)
      : db_(std::move(db)), statement_(std::move(statement)), names_(std::move(names)) {}

  bool next() override {
    try {
      return statement_->executeStep();
    } catch (const SQLite::Exception& e) {
      throw StoreError(std::string("reading query results failed: ") + e.what());
    }
  }

  size_t column_count() const override { return names_.size(); }
  const std::string& column_name(size_t i) const override { return names_.at(i); }

  Value get(size_t i) const override {
    if (i >= names_.size()) throw StoreError("column " + std::to_string(i) + " out of range");
    try {
      const SQLite::Column column = statement_->getColumn(static_cast<int>(i));
      switch (column.getType()) {
        case SQLITE_INTEGER:
          return Value{static_cast<int64_t>(column.getInt64())};
        case SQLITE_FLOAT:
          return Value{column.getDouble()};
        case SQLITE_NULL:
          return Value{};
        default:  // TEXT (and BLOB, read as bytes)
          return Value{column.getString()};
      }
    } catch (const SQLite::Exception& e) {
      throw StoreError(std::string("reading a query result failed: ") + e.what());
    }
  }

 private:
  std::shared_ptr<SQLite::Database> db_;
  std::unique_ptr<SQLite::Statement> statement_;
  std::vector<std::string> names_;
};

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(std::shared_ptr<SQLite::Database> db) : db_(std::move(db)) {}

  std::unique_ptr<Cursor> execute(const query::CompiledQuery& q) override {
    try {
      auto statement = std::make_unique<SQLite::Statement>(*db_, q.sql);
      if (statement->getBindParameterCount() != static_cast<int>(q.params.size()))
        throw StoreError("query has " + std::to_string(statement->getBindParameterCount()) +
                         " placeholders but " + std::to_string(q.params.size()) + " parameters");
      for (size_t i = 0; i < q.params.size(); ++i) {
        const int index = static_cast<int>(i) + 1;
        const Value& v = q.params[i];
        if (const auto* n = std::get_if<int64_t>(&v)) {
          statement->bind(index, static_cast<int64_t>(*n));
        } else if (const auto* d = std::get_if<double>(&v)) {
          statement->bind(index, *d);
        } else if (const auto* s = std::get_if<std::string>(&v)) {
          statement->bind(index, *s);  // copied (SQLITE_TRANSIENT)
        } else {
          statement->bind(index);  // NULL
        }
      }
      std::vector<std::string> names = q.columns;
      const auto count = static_cast<size_t>(statement->getColumnCount());
      if (names.size() != count) {
        names.clear();
        for (size_t i = 0; i < count; ++i) names.emplace_back(statement->getColumnName(static_cast<int>(i)));
      }
      return std::make_unique<SqliteCursor>(db_, std::move(statement), std::move(names));
    } catch (const SQLite::Exception& e) {
      throw StoreError(std::string("query failed: ") + e.what() + "\n  in: " + q.sql);
    }
  }

 private:
  std::shared_ptr<SQLite::Database> db_;
};

class SqliteBackend final : public Backend {
 public:
  explicit SqliteBackend(std::string path) : path_(std::move(path)), dialect_(query::make_sqlite_dialect()) {}

  const query::Dialect& dialect() const override { return *dialect_; }
  std::string describe() const override { return "sqlite:" + path_; }

  std::unique_ptr<Connection> connect() override {
    try {
      auto db = open_read_only();
      register_functions(*db);
      db->exec("PRAGMA query_only = 1");
      // Reads only: sort and group in memory instead of temp files, and keep
      // a larger page cache. No memory map: with metrics on several threads,
      // faulting in one shared mapping serialised them (demo report at scale
      // 100: about 10 s mapped, 8-9 s with reads, and a quarter of the memory).
      db->exec("PRAGMA temp_store = MEMORY");
      db->exec("PRAGMA mmap_size = 0");
      db->exec("PRAGMA cache_size = -65536");
      return std::make_unique<SqliteConnection>(std::move(db));
    } catch (const SQLite::Exception& e) {
      throw StoreError("cannot open database '" + path_ + "': " + e.what());
    }
  }

  // Throws StoreError unless the file is a Tally store at the current schema version.
  void check_schema() {
    int version = 0;
    bool is_store = false;
    try {
      auto db = open_read_only();
      is_store = db->tableExists("schema_version");
      version = is_store ? schema_version(*db) : 0;
    } catch (const SQLite::Exception& e) {
      throw StoreError("cannot read database '" + path_ + "': " + e.what() + " (is it an SQLite file?)");
    }
    const int latest = latest_schema_version();
    if (!is_store)
      throw StoreError(
          "'" + path_ +
          "' is not a Tally store (it has no schema_version); create one with `tally demo --db " + path_ +
          "` or `tally import`");
    if (version < latest)
      throw StoreError("database '" + path_ + "' has schema version " + std::to_string(version) +
                       ", this tally needs " + std::to_string(latest) + "; run `tally migrate --db " + path_ +
                       "`");
    if (version > latest)
      throw StoreError("database '" + path_ + "' has schema version " + std::to_string(version) +
                       ", newer than this tally understands (" + std::to_string(latest) + "); upgrade tally");
  }

 private:
  std::shared_ptr<SQLite::Database> open_read_only() const {
    auto db = std::make_shared<SQLite::Database>(path_, SQLite::OPEN_READONLY);
    db->setBusyTimeout(5000);  // a writer (tally demo/import) may hold the lock briefly
    return db;
  }

  std::string path_;
  std::unique_ptr<query::Dialect> dialect_;
};

}  // namespace

std::unique_ptr<Backend> open_backend(const std::string& source) {
  for (const char* scheme : {"postgresql://", "postgres://", "clickhouse://"}) {
    if (starts_with(source, scheme))
      throw StoreError("data source '" + source +
                       "': " + std::string(scheme, std::string(scheme).size() - 3) +
                       " sources are not supported yet in this build; use an SQLite file");
  }
  std::string path = source;
  if (starts_with(path, "sqlite://"))
    path = path.substr(9);
  else if (starts_with(path, "sqlite:"))
    path = path.substr(7);
  if (path.empty()) throw StoreError("data source '" + source + "' names no file");

  std::error_code ec;
  if (!fs::exists(path, ec))
    throw StoreError("database '" + path + "' does not exist (create the demo with `tally demo --db " + path +
                     "`)");
  if (fs::is_directory(path, ec))
    throw StoreError("database '" + path + "' is a directory, not an SQLite file");

  auto backend = std::make_unique<SqliteBackend>(path);
  backend->check_schema();
  return backend;
}

}  // namespace tally::store
