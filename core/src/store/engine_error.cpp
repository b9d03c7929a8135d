#include "store/engine_error.hpp"

#include <sqlite3.h>
#include <sys/statvfs.h>

#include <filesystem>

namespace tally::store {

Fault classify(int code) {
  switch (code & 0xff) {
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:  // a non-integer into an INTEGER PRIMARY KEY: the row's fault
      return Fault::Constraint;
    case SQLITE_FULL: return Fault::DiskFull;
    case SQLITE_IOERR:
      // SQLITE_IOERR_NOMEM is a memory failure reported through the VFS.
      return code == SQLITE_IOERR_NOMEM ? Fault::NoMemory : Fault::Io;
    case SQLITE_NOMEM: return Fault::NoMemory;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Fault::Busy;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH: return Fault::ReadOnly;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return Fault::Corrupt;
    case SQLITE_CANTOPEN: return Fault::CantOpen;
    case SQLITE_INTERRUPT:
    case SQLITE_ABORT: return Fault::Interrupted;
    default: return Fault::Other;
  }
}

const char* fault_name(Fault f) {
  switch (f) {
    case Fault::Constraint: return "constraint violation";
    case Fault::DiskFull: return "disk full";
    case Fault::Io: return "I/O error";
    case Fault::NoMemory: return "out of memory";
    case Fault::Busy: return "locked";
    case Fault::ReadOnly: return "read-only";
    case Fault::Corrupt: return "damaged file";
    case Fault::CantOpen: return "cannot open";
    case Fault::Interrupted: return "interrupted";
    case Fault::Other: break;
  }
  return "database error";
}

long long megabytes_free(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p = fs::absolute(path, ec);
  if (ec) return -1;
  if (!fs::exists(p, ec)) p = p.parent_path();
  struct statvfs s {};
  if (statvfs(p.c_str(), &s) != 0) return -1;
  return static_cast<long long>(s.f_bavail) * static_cast<long long>(s.f_frsize) / (1024 * 1024);
}

std::string explain(Fault fault, const std::string& db_path, const std::string& engine_message) {
  const std::string where = "'" + db_path + "'";
  switch (fault) {
    case Fault::DiskFull: {
      const long long mb = megabytes_free(db_path);
      return "the disk holding " + where + " is full" +
             (mb >= 0 ? ": " + std::to_string(mb) + " MB free" : std::string());
    }
    case Fault::Io: return "the disk holding " + where + " failed a read or write (" + engine_message + ")";
    case Fault::NoMemory: return "out of memory while working on " + where;
    case Fault::Busy:
      return "another import is writing " + where + "; try again when it ends (or raise --busy-timeout)";
    case Fault::ReadOnly: return where + " cannot be written: the file, its folder or the mount is read-only";
    case Fault::Corrupt: return where + " is damaged or not a Tally store (" + engine_message + ")";
    case Fault::CantOpen: return "cannot open " + where + " or its journal (" + engine_message + ")";
    case Fault::Interrupted: return "the operation on " + where + " was interrupted";
    case Fault::Constraint:
    case Fault::Other: break;
  }
  return engine_message;
}

EngineError engine_error(sqlite3* db, int rc, const std::string& db_path, const std::string& doing) {
  const int code = db ? sqlite3_extended_errcode(db) : rc;
  // The connection's last error may be older than rc (sqlite3_exec, COMMIT):
  // trust rc's primary code.
  const int used = (code & 0xff) == (rc & 0xff) ? code : rc;
  const std::string engine = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const char* file = db ? sqlite3_db_filename(db, "main") : nullptr;
  return engine_error(used, engine, !db_path.empty() || !file ? db_path : std::string(file), doing);
}

EngineError engine_error(int code, const std::string& engine_message, const std::string& db_path,
                         const std::string& doing) {
  const Fault fault = classify(code);
  return EngineError(fault, code, doing + ": " + explain(fault, db_path, engine_message), engine_message);
}

std::string shorten_sql(const std::string& sql, size_t limit) {
  if (sql.size() <= limit) return sql;
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(sql[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8 characters
  return sql.substr(0, cut) + "\u2026 (" + std::to_string(sql.size() - cut) + " more characters)";
}

}  // namespace tally::store
