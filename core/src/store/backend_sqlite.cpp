// The SQLite backend: read-only connections to a Tally store, one per metric
// thread, each with Tally's SQL functions registered.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "store/backend.hpp"
#include "store/engine_error.hpp"
#include "store/schema.hpp"
#include "store/sqlite.hpp"
#include "store/sqlite_store.hpp"

namespace tally::store {

namespace {

namespace fs = std::filesystem;

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
        case SQLITE_INTEGER: return Value{static_cast<int64_t>(column.getInt64())};
        case SQLITE_FLOAT: return Value{column.getDouble()};
        case SQLITE_NULL: return Value{};
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
      // Never the whole SQL: a long filter list would print megabytes.
      throw StoreError(std::string("query failed: ") + e.what() + "\n  in: " + shorten_sql(q.sql));
    }
  }

 private:
  std::shared_ptr<SQLite::Database> db_;
};

class SqliteBackend final : public Backend {
 public:
  SqliteBackend(std::string path, const OpenOptions& options)
      : path_(std::move(path)), options_(options), dialect_(query::make_sqlite_dialect()) {}

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
      throw open_error(e);
    }
  }

  // Throws StoreError unless the file is a Tally store at the current schema version.
  void check_schema() {
    int version = 0;
    bool is_store = false;
    auto probe = [&] {
      auto db = open_read_only();
      is_store = db->tableExists("schema_version");
      version = is_store ? schema_version(*db) : 0;
    };
    try {
      probe();
    } catch (const SQLite::Exception& e) {
      // A store nobody can write (read-only file, folder or mount): a
      // WAL-mode store cannot create its -shm file there. Nothing can change
      // it either, so it is read as immutable, unless an unfinished journal
      // is there (immutable would ignore it).
      const Fault fault = classify(e.getExtendedErrorCode());
      if ((fault != Fault::CantOpen && fault != Fault::ReadOnly) || writable() || has_journal())
        throw open_error(e);
      immutable_ = true;
      try {
        probe();
      } catch (const SQLite::Exception& again) {
        throw open_error(again);
      }
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
    if (immutable_)
      return std::make_shared<SQLite::Database>("file:" + uri_path(path_) + "?immutable=1",
                                                SQLite::OPEN_READONLY | SQLite::OPEN_URI);
    // A writer (tally demo/import) may hold the lock for a moment.
    return std::make_shared<SQLite::Database>(path_, SQLite::OPEN_READONLY, options_.busy_timeout_ms);
  }

  // The file and its folder can be written (by this user): journals and the
  // WAL index can be created.
  bool writable() const {
    const fs::path dir = fs::absolute(fs::path(path_)).parent_path();
    return access(path_.c_str(), W_OK) == 0 && access(dir.c_str(), W_OK) == 0;
  }

  // A hot journal or a WAL with content beside the store.
  bool has_journal() const {
    std::error_code ec;
    for (const char* suffix : {"-journal", "-wal"}) {
      const auto size = fs::file_size(path_ + suffix, ec);
      if (!ec && size > 0) return true;
    }
    return false;
  }

  // The engine's error on opening or reading the store, in words.
  StoreError open_error(const SQLite::Exception& e) const {
    const int code = e.getExtendedErrorCode();
    const Fault fault = classify(code);
    std::error_code ec;
    const bool hot_journal = fs::exists(path_ + "-journal", ec) && fs::file_size(path_ + "-journal", ec) > 0;
    if (code == SQLITE_READONLY_ROLLBACK ||
        (hot_journal && (fault == Fault::ReadOnly || fault == Fault::CantOpen)))
      return StoreError(
          "an import into '" + path_ +
          "' was interrupted and left its journal; `tally import` into it or `tally recover --db " + path_ +
          "` will roll it back");
    if (fault == Fault::Busy)
      return StoreError("another import is writing '" + path_ + "'; try again when it ends (waited " +
                        std::to_string(options_.busy_timeout_ms / 1000) + " s; see --busy-timeout)");
    if (fault == Fault::Corrupt)
      return StoreError("cannot read database '" + path_ + "': " + e.what() + " (is it an SQLite file?)");
    return StoreError("cannot read database '" + path_ + "': " + explain(fault, path_, e.what()));
  }

  // The path part of a file: URI (RFC 3986 reserved characters escaped).
  static std::string uri_path(const std::string& path) {
    std::string out;
    for (unsigned char c : fs::absolute(fs::path(path)).string()) {
      if (c == '?' || c == '#' || c == '%' || c <= ' ' || c >= 0x7f) {
        char hex[4];
        std::snprintf(hex, sizeof hex, "%%%02X", c);
        out += hex;
      } else {
        out += static_cast<char>(c);
      }
    }
    return out;
  }

  std::string path_;
  OpenOptions options_;
  bool immutable_ = false;
  std::unique_ptr<query::Dialect> dialect_;
};

}  // namespace

std::unique_ptr<Backend> open_sqlite_backend(const std::string& path, const OpenOptions& options) {
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw StoreError("database '" + path + "' does not exist (create the demo with `tally demo --db " + path +
                     "`)");
  if (fs::is_directory(path, ec))
    throw StoreError("database '" + path + "' is a directory, not an SQLite file");

  auto backend = std::make_unique<SqliteBackend>(path, options);
  backend->check_schema();
  return backend;
}

}  // namespace tally::store
