// A libpq connection: opening it with one clear message per failure, typed
// parameters, results mapped to Tally's values. The password never appears
// in a message: sources are shown redacted and libpq never echoes it.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/backend.hpp"
#include "store/engine_error.hpp"
#include "store/store.hpp"
#include "util/value.hpp"

namespace tally::store::postgres {

// Owns a PGresult.
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

// One typed parameter: its type OID and its text (null when SQL NULL).
struct Param {
  unsigned int type = 0;
  std::string text;
  bool is_null = true;
};
Param param_of(const Value& value);

// The value of one result field, by its column type: int2/4/8 and bool are
// integers, float4/8 reals, numeric an integer when it has no fraction (sum
// of bigint), a real otherwise; everything else is text.
Value field_value(const PGresult* result, int row, int column);

class Connection {
 public:
  // Connects, or throws StoreError saying which of unreachable server, wrong
  // or missing password, missing database... it was.
  explicit Connection(const std::string& url);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  PGconn* get() const { return conn_; }
  // "PostgreSQL database 'sales' on 127.0.0.1:5432 as 'ann'"
  const std::string& where() const { return where_; }
  const std::string& user() const { return user_; }

  // A statement without parameters; throws StoreError ("doing: cause").
  void exec(const std::string& sql, const std::string& doing = "");
  // A statement with typed parameters; throws StoreError.
  Result query(const std::string& sql, const std::vector<Param>& params = {}, const std::string& doing = "");
  // The first column of the first row (NULL when no row).
  Value scalar(const std::string& sql, const std::vector<Param>& params = {});

  // In an open transaction that no error has aborted.
  bool in_transaction() const { return PQtransactionStatus(conn_) == PQTRANS_INTRANS; }

  // Sends `data` as the whole input of a COPY ... FROM STDIN statement.
  void copy_in(const std::string& copy_sql, const std::string& data, const std::string& doing);

 private:
  EngineError failure(const PGresult* result, const std::string& sql, const std::string& doing) const;
  PGconn* conn_ = nullptr;
  std::string where_, user_;
};

// `?` placeholders (outside quotes) as $1, $2, ...; `?N` as $N.
std::string numbered_placeholders(const std::string& sql);

// import.cpp: `tally import` on PostgreSQL (Store::keyed_writer, the
// import's locks and privileges, deferred indexes).
std::unique_ptr<KeyedWriter> make_keyed_writer(Connection& conn, const std::string& table,
                                               const std::vector<std::string>& columns,
                                               const std::vector<Cell>& defaults);
void lock_for_import(Connection& conn);
std::vector<std::string> drop_table_indexes(Connection& conn, const std::string& table);

// A quoted identifier.
std::string identifier(const std::string& name);

}  // namespace tally::store::postgres
