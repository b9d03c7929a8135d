#include "store/postgres/connection.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "store/engine_error.hpp"

namespace tally::store::postgres {

namespace {

// Type OIDs (pg_type.h, stable across versions).
constexpr unsigned int kBool = 16, kInt8 = 20, kInt2 = 21, kInt4 = 23, kText = 25, kFloat4 = 700,
                       kFloat8 = 701, kNumeric = 1700;

// libpq's message on one line, without "connection to server at ... failed:"
// and its hint lines.
std::string cleaned(const char* message) {
  std::string text = message ? message : "";
  const size_t failed = text.find("failed: ");
  if (failed != std::string::npos && text.rfind("connection to server", 0) == 0)
    text = text.substr(failed + 8);
  const size_t newline = text.find('\n');
  if (newline != std::string::npos) text.resize(newline);
  for (const char* prefix : {"FATAL:  ", "ERROR:  "})
    if (text.rfind(prefix, 0) == 0) text = text.substr(std::strlen(prefix));
  return text;
}

bool contains(const std::string& text, const char* part) {
  return text.find(part) != std::string::npos;
}

std::string text_or(const char* value, const char* fallback) {
  return value && *value ? value : fallback;
}

}  // namespace

Param param_of(const Value& value) {
  Param p;
  if (const auto* n = std::get_if<int64_t>(&value)) {
    p = {kInt8, std::to_string(*n), false};
  } else if (const auto* d = std::get_if<double>(&value)) {
    p.type = kFloat8;
    p.is_null = false;
    if (std::isnan(*d)) {
      p.text = "NaN";
    } else if (std::isinf(*d)) {
      p.text = *d > 0 ? "Infinity" : "-Infinity";
    } else {
      char buf[32];
      const auto end = std::to_chars(buf, buf + sizeof buf, *d).ptr;  // shortest text that reads back exactly
      p.text.assign(buf, end);
    }
  } else if (const auto* s = std::get_if<std::string>(&value)) {
    p = {kText, *s, false};
  } else {
    p = {kText, "", true};
  }
  return p;
}

Value field_value(const PGresult* result, int row, int column) {
  if (PQgetisnull(result, row, column)) return Value{};
  const char* text = PQgetvalue(result, row, column);
  const int length = PQgetlength(result, row, column);
  switch (PQftype(result, column)) {
    case kBool: return Value{static_cast<int64_t>(text[0] == 't' ? 1 : 0)};
    case kInt2:
    case kInt4:
    case kInt8: return Value{static_cast<int64_t>(std::strtoll(text, nullptr, 10))};
    case kFloat4:
    case kFloat8: return Value{std::strtod(text, nullptr)};
    case kNumeric: {
      int64_t whole = 0;
      const auto [end, ec] = std::from_chars(text, text + length, whole);
      if (ec == std::errc() && end == text + length) return Value{whole};
      return Value{std::strtod(text, nullptr)};  // a fraction, NaN or beyond 64 bits
    }
    default: return Value{std::string(text, static_cast<size_t>(length))};
  }
}

Connection::Connection(const std::string& url) {
  // The URL comes last so its own settings win; connect_timeout only when
  // neither it nor PGCONNECT_TIMEOUT says otherwise.
  std::vector<const char*> keys, values;
  if (!std::getenv("PGCONNECT_TIMEOUT")) {
    keys.push_back("connect_timeout");
    values.push_back("10");
  }
  keys.push_back("fallback_application_name");
  values.push_back("tally");
  keys.push_back("dbname");
  values.push_back(url.c_str());
  keys.push_back(nullptr);
  values.push_back(nullptr);
  conn_ = PQconnectdbParams(keys.data(), values.data(), 1);
  if (!conn_) throw StoreError("cannot connect to PostgreSQL: out of memory");
  const std::string host = text_or(PQhost(conn_), "localhost"), port = text_or(PQport(conn_), "5432");
  const std::string database = text_or(PQdb(conn_), "?");
  user_ = text_or(PQuser(conn_), "?");
  const std::string server = host + ":" + port;
  where_ = "PostgreSQL database '" + database + "' on " + server + " as '" + user_ + "'";
  if (PQstatus(conn_) == CONNECTION_OK) {
    // Canonical text for values read back whatever the server's defaults.
    exec(
        "SET client_encoding = 'UTF8'; SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 3;"
        "SET client_min_messages = WARNING;"
        "SET TimeZone = 'UTC'",
        "cannot set up the session");
    return;
  }
  const std::string message = cleaned(PQerrorMessage(conn_));
  PQfinish(conn_);
  conn_ = nullptr;
  std::string problem;
  if (contains(message, "password authentication failed"))
    problem = "the server refused the password of user '" + user_ + "' on " + server +
              " (check PGPASSWORD, the password file ~/.pgpass or PGPASSFILE, or PGSERVICE)";
  else if (contains(message, "no password supplied"))
    problem = "the server on " + server + " wants a password for user '" + user_ +
              "' and none was given: set PGPASSWORD or add a line to ~/.pgpass (or PGPASSFILE)";
  else if (contains(message, "does not exist") && contains(message, "database"))
    problem = "database '" + database + "' does not exist on the PostgreSQL server on " + server +
              "; create it (`createdb " + database + "`) or fix the URL";
  else if (contains(message, "role") && contains(message, "does not exist"))
    problem = "user '" + user_ + "' does not exist on the PostgreSQL server on " + server;
  else if (contains(message, "Connection refused") || contains(message, "could not translate host") ||
           contains(message, "timeout expired") || contains(message, "No route to host") ||
           contains(message, "Network is unreachable"))
    problem = "cannot reach a PostgreSQL server on " + server + " (" + message +
              "); is it running and listening there?";
  else
    problem = "cannot connect to PostgreSQL on " + server + ": " + message;
  throw StoreError(problem);
}

Connection::~Connection() {
  if (conn_) PQfinish(conn_);
}

namespace {

Fault fault_of(const std::string& code) {
  if (code.rfind("23", 0) == 0) return Fault::Constraint;
  if (code == "53100") return Fault::DiskFull;
  if (code == "53200") return Fault::NoMemory;
  if (code == "55P03" || code == "40P01") return Fault::Busy;
  if (code == "25006") return Fault::ReadOnly;
  if (code == "57014") return Fault::Interrupted;
  if (code == "XX001" || code == "XX002") return Fault::Corrupt;
  if (code.rfind("58", 0) == 0) return Fault::Io;
  return Fault::Other;
}

}  // namespace

EngineError Connection::failure(const PGresult* result, const std::string& sql,
                                const std::string& doing) const {
  std::string message = cleaned(result ? PQresultErrorMessage(result) : PQerrorMessage(conn_));
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string code = state ? state : "";
  if (code == "57014")
    message += " (a statement_timeout stopped it; see --statement-timeout)";
  else if (code == "42501")
    message += " (user '" + user_ + "' lacks a privilege; see docs/backends.md)";
  else if (code == "25006")
    message += " (the run's transaction is read-only)";
  std::string detail = message;
  if (code.rfind("23", 0) == 0) {
    const std::string table = text_or(PQresultErrorField(result, PG_DIAG_TABLE_NAME), "?");
    const char* column = PQresultErrorField(result, PG_DIAG_COLUMN_NAME);
    if (code == "23502" && column)
      detail = "NOT NULL constraint failed: " + table + "." + column;
    else if (code == "23514")
      detail =
          "CHECK constraint failed: " + text_or(PQresultErrorField(result, PG_DIAG_CONSTRAINT_NAME), "?");
  }
  std::string text = (doing.empty() ? std::string("query failed") : doing) + ": " + message;
  if (!sql.empty() && doing.empty()) text += "\n  in: " + shorten_sql(sql);
  return EngineError(fault_of(code), 0, text, detail);
}

void Connection::exec(const std::string& sql, const std::string& doing) {
  Result result(PQexec(conn_, sql.c_str()));
  const auto status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    throw failure(result.get(), sql, doing.empty() ? "'" + shorten_sql(sql, 80) + "' failed" : doing);
}

Result Connection::query(const std::string& sql, const std::vector<Param>& params, const std::string& doing) {
  std::vector<unsigned int> types;
  std::vector<const char*> values;
  for (const auto& p : params) {
    types.push_back(p.type);
    values.push_back(p.is_null ? nullptr : p.text.c_str());
  }
  Result result(PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), types.data(), values.data(),
                             nullptr, nullptr, 0));
  const auto status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) throw failure(result.get(), sql, doing);
  return result;
}

Value Connection::scalar(const std::string& sql, const std::vector<Param>& params) {
  Result result = query(sql, params);
  if (PQntuples(result.get()) == 0 || PQnfields(result.get()) == 0) return Value{};
  return field_value(result.get(), 0, 0);
}

void Connection::copy_in(const std::string& copy_sql, const std::string& data, const std::string& doing) {
  Result start(PQexec(conn_, copy_sql.c_str()));
  if (!start || PQresultStatus(start.get()) != PGRES_COPY_IN) throw failure(start.get(), copy_sql, doing);
  if (PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) != 1 ||
      PQputCopyEnd(conn_, nullptr) != 1)
    throw failure(nullptr, copy_sql, doing);
  Result end(PQgetResult(conn_));
  const bool ok = end && PQresultStatus(end.get()) == PGRES_COMMAND_OK;
  EngineError error = ok ? EngineError(Fault::Other, 0, "") : failure(end.get(), copy_sql, doing);
  while (PGresult* rest = PQgetResult(conn_)) PQclear(rest);
  if (!ok) throw error;
}

std::string numbered_placeholders(const std::string& sql) {
  std::string out;
  int n = 0;
  char quote = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '?') {
      // ?N keeps its number; a bare ? takes the next one.
      if (i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
        out += '$';
      } else {
        out += "$" + std::to_string(++n);
      }
      continue;
    }
    out += c;
  }
  return out;
}

std::string database_name(const std::string& url) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (error) PQfreemem(error);
  std::string name;
  if (options) {
    for (auto* o = options; o->keyword; ++o)
      if (std::strcmp(o->keyword, "dbname") == 0 && o->val) name = o->val;
    PQconninfoFree(options);
  }
  if (name.empty()) name = text_or(std::getenv("PGDATABASE"), "");
  return name;
}

std::string identifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace tally::store::postgres
