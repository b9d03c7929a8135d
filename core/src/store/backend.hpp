// Data backends: where a run's data lives. SQLite is the embedded default;
// PostgreSQL and ClickHouse implement the same interface.
#pragma once

#include <memory>
#include <string>

#include "query/query.hpp"
#include "util/value.hpp"

namespace tally::store {

// Thrown for problems opening or reading a data source: a missing file, a
// schema that is too old or too new, an engine error.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The rows of one executed query, read forward once.
class Cursor {
 public:
  virtual ~Cursor() = default;
  virtual bool next() = 0;  // throws StoreError
  virtual size_t column_count() const = 0;
  virtual const std::string& column_name(size_t i) const = 0;
  virtual Value get(size_t i) const = 0;
};

// One connection, used by one thread at a time.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual std::unique_ptr<Cursor> execute(const query::CompiledQuery& q) = 0;
};

// A data source; hands out connections (one per metric thread).
class Backend {
 public:
  virtual ~Backend() = default;
  virtual const query::Dialect& dialect() const = 0;
  virtual std::unique_ptr<Connection> connect() = 0;
  virtual std::string describe() const = 0;  // for logs: "sqlite:data/demo.db"
};

struct OpenOptions {
  int busy_timeout_ms = 5000;  // --busy-timeout: how long to wait while an import holds the lock
  // PostgreSQL: --statement-timeout, the longest one query may run (0 = no limit).
  int statement_timeout_ms = 300000;
};

// Opens a data source for reading: an SQLite file path (sqlite:PATH also
// accepted) or a PostgreSQL URL (postgresql://USER@HOST:PORT/DATABASE, with
// libpq's PGPASSWORD, PGPASSFILE and PGSERVICE honoured; store/postgres/). Checks that the file exists and
// its schema_version is the current one; an older schema is refused with a message that says how to upgrade
// (`tally migrate`), never silently read. A store that cannot be written (read-only file, folder or mount) is
// opened immutable, so a WAL-mode store needs no -shm file. An interrupted import's journal and a lock held
// by an import are reported as such.
std::unique_ptr<Backend> open_backend(const std::string& source, const OpenOptions& options = {});

}  // namespace tally::store
