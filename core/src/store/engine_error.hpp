// What an engine error means for the caller: a constraint violation on one
// row (which an import may turn into a reject) or a fault of the store as a
// whole (disk full, I/O, memory, a lock, a read-only or damaged file), which
// must abort the whole operation. Messages name the cause in words a user
// can act on, never only the engine's own text.
#pragma once

#include <string>

#include "store/backend.hpp"

struct sqlite3;

namespace tally::store {

enum class Fault {
  Constraint,   // a row breaks a UNIQUE / NOT NULL / CHECK / foreign key rule
  DiskFull,     // no space left (or a short write)
  Io,           // the operating system failed a read, write or sync
  NoMemory,     // the engine could not allocate memory
  Busy,         // another connection holds the lock (after the busy timeout)
  ReadOnly,     // the file, its folder or the mount cannot be written
  Corrupt,      // the file is damaged or not a database
  CantOpen,     // the file (or its journal) cannot be opened
  Interrupted,  // the operation was interrupted
  Other,
};

// Maps an engine result code (primary or extended) to a Fault.
Fault classify(int engine_code);
const char* fault_name(Fault f);  // "disk full", "I/O error", ...

// A store fault, with its class. Anything but Fault::Constraint aborts an
// import whole.
class EngineError : public StoreError {
 public:
  EngineError(Fault fault, int code, const std::string& message, std::string detail = {})
      : StoreError(message), fault_(fault), code_(code), detail_(std::move(detail)) {}
  Fault fault() const { return fault_; }
  int code() const { return code_; }
  // The engine's own words alone, in SQLite's form on every engine for a
  // broken rule ("NOT NULL constraint failed: reps.name").
  const std::string& detail() const { return detail_; }

 private:
  Fault fault_;
  int code_;
  std::string detail_;
};

// The cause in words, for the store at `db_path`:
//   "the disk holding 'x.db' is full: 3 MB free"
//   "another import is writing 'x.db'; try again when it ends"
// `engine_message` is appended where it adds something (I/O, other).
std::string explain(Fault fault, const std::string& db_path, const std::string& engine_message);

// The EngineError for the last failure on `db` (result code `rc`), with
// `doing` ("cannot store a row") before the explanation.
EngineError engine_error(sqlite3* db, int rc, const std::string& db_path, const std::string& doing);
// The same from a result code and the engine's message (an exception's).
EngineError engine_error(int code, const std::string& engine_message, const std::string& db_path,
                         const std::string& doing);

// Megabytes free on the file system holding `path` (its folder when the file
// does not exist); -1 when unknown.
long long megabytes_free(const std::string& path);

// SQL text for a message: at most `limit` characters, then
// "… (N more characters)".
std::string shorten_sql(const std::string& sql, size_t limit = 300);

}  // namespace tally::store
