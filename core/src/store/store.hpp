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

// A typed value to write (the importer's cells).
struct Cell {
  enum Kind : uint8_t { Null, Int, Real, Text };
  Kind kind = Null;
  int64_t i = 0;
  double d = 0;
  std::string text;
};

// What writing one row of a KeyedWriter did.
struct WriteOutcome {
  int64_t id = -1;        // the row's id
  bool inserted = false;  // a new row (false: an existing row was updated)
  std::string error;      // not empty: the row breaks a rule of the table (a reject), nothing was written
};

// `tally import`'s writes into one table: rows keyed by external_id that
// update the row with their key or insert a new one. New rows take the ids
// max(id) + 1, + 2 ... in staging order on every engine. Rows are staged and
// written at flush() (SQLite: many rows per INSERT into a table that was
// empty, else one upsert a row; PostgreSQL: COPY into a staging table and one
// INSERT ... ON CONFLICT DO UPDATE of the mapped columns). A row that breaks
// a rule of the table (NOT NULL...) fails alone, with the same message on
// every engine.
class KeyedWriter {
 public:
  virtual ~KeyedWriter() = default;
  // `key` and `cells` (one per column given to keyed_writer()) must stay
  // valid and unchanged until flush(). No two staged rows share a key.
  virtual void stage(const std::string& key, const std::vector<Cell>& cells) = 0;
  // Writes the staged rows; `out` gets one outcome per row, in staging order.
  virtual void flush(std::vector<WriteOutcome>& out) = 0;
  // The id of the row with this key, -1 when none (staged rows not flushed are not seen).
  virtual int64_t find(const std::string& key) = 0;
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

// A store opened by open_import_store(): what `tally import` needs beyond
// Store. SQLite and PostgreSQL implement it; ClickHouse does not (yet).
class ImportStore : public Store {
 public:
  // False once the engine ended the open transaction by itself after a
  // fault (SQLite: disk full, I/O; PostgreSQL: a failed statement).
  virtual bool in_transaction() = 0;
  // Rows of `table` upserted on external_id: `columns` are the mapped ones
  // (without external_id); a NULL cell of a column with a `defaults` entry
  // that is not NULL is written as that value.
  virtual std::unique_ptr<KeyedWriter> keyed_writer(const std::string& table,
                                                    const std::vector<std::string>& columns,
                                                    const std::vector<Cell>& defaults) = 0;
  // Rows the importer maps, then stages and flushes, at a time (each flush
  // has a fixed cost: SQLite's is small; PostgreSQL's is a few round trips
  // and planning a statement).
  virtual size_t import_batch_rows() const = 0;
  // The highest id of the table (0 when empty).
  virtual int64_t max_id(const std::string& table) = 0;
  // drop_secondary_indexes() for one table, inside the open transaction;
  // an engine where that does not pay (or the user may not) returns none.
  virtual std::vector<std::string> drop_table_indexes(const std::string& table) = 0;
  // Runs the statements drop_table_indexes() returned, with the engine's
  // settings for building indexes in bulk.
  virtual void build_indexes(const std::vector<std::string>& statements) = 0;
  // After commit(): gives back what the import's settings took (SQLite: the
  // write-ahead log). Best effort, never throws.
  virtual void imported() noexcept = 0;
};

struct StoreOptions {
  int busy_timeout_ms = 5000;  // SQLite: how long to wait for another writer's lock
};

// How `tally import` opens its store.
struct ImportStoreOptions {
  int busy_timeout_ms = 5000;
  bool dry_run = false;    // SQLite: a store that does not exist is not created (runs in memory)
  std::string test_vfs;    // SQLite, tests: a registered VFS (fault injection)
  int test_cache_kib = 0;  // SQLite, tests: page cache instead of the import's
};

// Opens (SQLite: creating when missing) a store for `tally import`, with the
// engine's settings for bulk writes; begin() then starts the import's one
// transaction, which also keeps other writers out (SQLite: BEGIN IMMEDIATE;
// PostgreSQL: the importable tables locked against other writers, after
// checking the user may write them). A store this import created is removed
// again when the Store is destroyed without a commit.
std::unique_ptr<ImportStore> open_import_store(const std::string& source, const ImportStoreOptions& options);

// Where the rejects of an import into `source` go: beside an SQLite file
// (PATH.rejects.csv); DATABASE.rejects.csv in the current folder for a
// PostgreSQL database.
std::string rejects_path(const std::string& source);

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
