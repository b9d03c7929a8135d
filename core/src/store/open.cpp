// Which engine a data source names, and the engine-neutral ways to open it.
#include <tally/format.hpp>

#include "store/clickhouse/clickhouse.hpp"
#include "store/postgres/postgres.hpp"
#include "store/sqlite.hpp"
#include "store/sqlite_store.hpp"
#include "store/store.hpp"
#include "util/text.hpp"

namespace tally::store {

namespace {

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

// The file an SQLite source names.
std::string sqlite_path(const std::string& source) {
  std::string path = source;
  if (starts_with(path, "sqlite://"))
    path = path.substr(9);
  else if (starts_with(path, "sqlite:"))
    path = path.substr(7);
  if (path.empty()) throw StoreError("data source '" + source + "' names no file");
  return path;
}

}  // namespace

std::string engine_of(const std::string& source) {
  if (starts_with(source, "postgresql://") || starts_with(source, "postgres://")) return "postgresql";
  if (starts_with(source, "clickhouse://")) return "clickhouse";
  if (starts_with(source, "sqlite:")) return "sqlite";
  const size_t colon = source.find(':');
  const std::string scheme = colon == std::string::npos ? "" : source.substr(0, colon);
  const bool url = source.find("://") != std::string::npos;
  const bool looks_like_postgres = !scheme.empty() && closest_match(scheme, {"postgresql", "postgres"}) != "";
  if (url || looks_like_postgres) {
    // Without "//" the user part cannot be told apart: only the scheme is shown.
    const std::string shown = url ? format::redact_source(source) : scheme + ":\u2026";
    if (scheme == "clickhouse")
      throw StoreError("data source '" + shown +
                       "': write it as clickhouse://HOST:PORT/DATABASE?cluster=NAME");
    if (scheme == "postgresql" || scheme == "postgres")
      throw StoreError("data source '" + shown + "': write it as postgresql://USER@HOST:PORT/DATABASE");
    const std::string hint = closest_match(scheme, {"postgresql", "postgres", "sqlite", "clickhouse"});
    throw StoreError("data source '" + shown + "': unknown scheme '" + scheme + "'" +
                     (hint.empty() ? "" : "; did you mean '" + hint + "://'?") +
                     " (PostgreSQL: postgresql://USER@HOST:PORT/DATABASE; ClickHouse: "
                     "clickhouse://HOST:PORT/DATABASE?cluster=NAME; SQLite: a file path)");
  }
  return "sqlite";
}

std::unique_ptr<Backend> open_backend(const std::string& source, const OpenOptions& options) {
  if (engine_of(source) == "clickhouse") return clickhouse::open_backend(source, options);
  if (engine_of(source) == "postgresql") return postgres::open_backend(source, options);
  return open_sqlite_backend(sqlite_path(source), options);
}

std::unique_ptr<Store> open_store(const std::string& source, const StoreOptions& options, int* migrated) {
  if (engine_of(source) == "clickhouse") return clickhouse::open_store(source, migrated);
  if (engine_of(source) == "postgresql") return postgres::open_store(source, migrated);
  return open_sqlite_store(sqlite_path(source), options, migrated);
}

int peek_schema_version(const std::string& source) {
  if (engine_of(source) == "clickhouse") return clickhouse::peek_schema_version(source);
  if (engine_of(source) == "postgresql") return postgres::peek_schema_version(source);
  return peek_sqlite_schema_version(sqlite_path(source));
}

std::unique_ptr<Store> create_replacement(const std::string& source, const StoreOptions& options) {
  if (engine_of(source) == "clickhouse") return clickhouse::create_replacement(source);
  if (engine_of(source) == "postgresql") return postgres::create_replacement(source);
  return create_sqlite_replacement(sqlite_path(source), options);
}

std::unique_ptr<ImportStore> open_import_store(const std::string& source, const ImportStoreOptions& options) {
  const std::string engine = engine_of(source);
  if (engine == "postgresql") return postgres::open_import_store(source);
  if (engine == "clickhouse") {
    if (options.dry_run)
      throw StoreError("cannot import into " + format::redact_source(source) +
                       " with --dry-run: ClickHouse has no transaction to roll back; try the files on an "
                       "SQLite file first");
    return clickhouse::open_import_store(source);
  }
  return open_sqlite_import(sqlite_path(source), options);
}

std::string rejects_path(const std::string& source) {
  const std::string engine = engine_of(source);
  if (engine == "sqlite") return sqlite_path(source) + ".rejects.csv";
  std::string name =
      engine == "clickhouse" ? clickhouse::database_name(source) : postgres::database_name(source);
  for (char& c : name)
    if (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20) c = '_';
  return (name.empty() ? engine : name) + ".rejects.csv";
}

std::string recover(const std::string& source, int busy_timeout_ms) {
  if (engine_of(source) == "clickhouse") {
    clickhouse::peek_schema_version(source);  // reachable
    return format::redact_source(source) +
           ": nothing to recover: an interrupted `tally demo` leaves staging tables the next one drops";
  }
  if (engine_of(source) == "postgresql") {
    postgres::peek_schema_version(source);  // reachable, and the credentials work
    return format::redact_source(source) +
           ": nothing to recover: PostgreSQL rolls back an interrupted import by itself";
  }
  return recover_sqlite(sqlite_path(source), busy_timeout_ms);
}

}  // namespace tally::store
