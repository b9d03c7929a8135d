// Writing to a store: the one interface the demo generator (and the
// importer's PostgreSQL port) write through, implemented for SQLite and
// PostgreSQL. Reading for runs goes through backend.hpp.
//
// Every value is bound with its type (integer, real, text, bool, NULL),
// never left for the engine to guess. SQL handed to prepare() uses `?`
// placeholders on every engine.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/backend.hpp"

namespace tally::store {

// One prepared statement, bound by 1-based index and reused.
class Statement {
 public:
  virtual ~Statement() = default;
  virtual void bind_null(int index) = 0;
  virtual void bind(int index, int64_t value) = 0;
  virtual void bind(int index, double value) = 0;
  virtual void bind(int index, std::string_view value) = 0;
  virtual void bind_bool(int index, bool value) = 0;
  // Runs the statement with the current binds; returns the rows it changed.
  virtual int64_t execute() = 0;
  // Runs the statement and reads its rows (int8/float8/numeric/text/bool
  // mapped to Value as a run's cursor does).
  virtual std::unique_ptr<Cursor> query() = 0;
};

// Appends rows to one table the fastest way the engine has (prepared
// INSERTs on SQLite, COPY on PostgreSQL). Values go column by column in the
// order given to bulk_insert(), then end_row(). Rows may be buffered until
// flush(), the Store's next statement or the sink's end, whichever comes first.
class RowSink {
 public:
  virtual ~RowSink() = default;
  virtual void null() = 0;
  virtual void integer(int64_t value) = 0;
  virtual void real(double value) = 0;
  virtual void text(std::string_view value) = 0;
  virtual void end_row() = 0;
  virtual void flush() = 0;
  int64_t rows() const { return rows_; }

 protected:
  int64_t rows_ = 0;
};

// What an upsert did to the target table.
struct UpsertCounts {
  int64_t inserted = 0;
  int64_t updated = 0;
};

// Rows staged for an upsert on a unique key column (external_id): rows whose
// key is already in the table update it, the others are inserted. finish()
// applies the staged rows in the open transaction.
class Upsert : public RowSink {
 public:
  virtual UpsertCounts finish() = 0;
};

// A store opened for writing. Not thread-safe: one writer.
class Store {
 public:
  virtual ~Store() = default;
  virtual const query::Dialect& dialect() const = 0;
  virtual std::string describe() const = 0;  // never with a password

  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;
  // Statements without parameters (DDL, DROP INDEX ...).
  virtual void exec(const std::string& sql) = 0;
  virtual std::unique_ptr<Statement> prepare(const std::string& sql) = 0;
  virtual std::unique_ptr<RowSink> bulk_insert(const std::string& table,
                                               const std::vector<std::string>& columns) = 0;
  // `key` must be one of `columns` and have a unique index on the table.
  virtual std::unique_ptr<Upsert> bulk_upsert(const std::string& table,
                                              const std::vector<std::string>& columns,
                                              const std::string& key) = 0;

  virtual int schema_version() = 0;  // 0: not a Tally store (yet)
  // Runs every pending migration, each in its own transaction (or inside the
  // open one); returns how many ran. A newer schema throws StoreError.
  virtual int migrate() = 0;
  // Refreshes the planner's statistics after a bulk change (all tables when
  // none is named). Runs outside a transaction.
  virtual void refresh_statistics(const std::vector<std::string>& tables = {}) = 0;
  // Drops every secondary index (not primary keys nor unique constraints) and
  // returns the statements that re-create them: a bulk load then builds each
  // index once instead of updating it per row.
  virtual std::vector<std::string> drop_secondary_indexes() = 0;
  // After rows were written with explicit ids: rows inserted later without an
  // id get the next free one.
  virtual void sync_id_sequences() = 0;

  // For a store made by create_replacement(): commits everything and puts it
  // in place of the old one (rename on SQLite; COMMIT on PostgreSQL), then
  // refreshes statistics. Every Statement and RowSink must be gone by then.
  // Without it, the destructor throws the new store away.
  virtual void publish() = 0;
};

struct StoreOptions {
  int busy_timeout_ms = 5000;  // SQLite: how long to wait for another writer's lock
};

// Opens an existing store for writing and brings its schema to the latest
// version (the migrations that ran are returned in `migrated`).
std::unique_ptr<Store> open_store(const std::string& source, const StoreOptions& options = {},
                                  int* migrated = nullptr);

// Schema version of an existing store without changing it.
int peek_schema_version(const std::string& source);

// A fresh, empty store at the latest schema that will replace what
// `source` holds when published: SQLite builds a temporary file beside the
// target; PostgreSQL drops the Tally tables and re-creates them inside one
// transaction (refusing a database whose tables are not a Tally store's).
// A run killed before publish() leaves the old store as it was.
std::unique_ptr<Store> create_replacement(const std::string& source, const StoreOptions& options = {});

// `tally recover`: rolls back what an interrupted import left and says what
// it did, one line. PostgreSQL rolls back by itself; SQLite may hold a hot
// journal or uncommitted write-ahead log (store/sqlite.hpp).
std::string recover(const std::string& source, int busy_timeout_ms);

// Which engine a data source names, from its form: "sqlite" (a path,
// sqlite:PATH) or "postgresql" (postgresql://, postgres://). A URL with an
// unknown scheme throws StoreError naming the close match.
std::string engine_of(const std::string& source);

}  // namespace tally::store
