// ClickHouse's HTTP interface through libcurl (docs/decisions.md): one
// client per thread, a timeout on every request, the server's own message in
// every error. 18.16 has no server-side parameters, so values travel as
// literals escaped by literal(), the one function that renders them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "store/backend.hpp"
#include "util/value.hpp"

namespace tally::store::clickhouse {

// clickhouse://[USER[:PASSWORD]@]HOST:PORT/DATABASE?cluster=NAME[&shards=HOST:PORT,HOST:PORT]
// PORT is the HTTP port (8123 when left out). `shards` gives the HTTP address
// of each shard of the cluster, in its order in remote_servers (writing needs
// them; by default each shard's host with the URL's port).
struct Url {
  std::string source;  // as given
  std::string user = "default";
  std::string password;
  std::string host;
  int port = 8123;
  std::string database;
  std::string cluster;
  std::vector<std::string> shards;  // HOST:PORT
};
// Throws StoreError naming what is wrong with the URL.
Url parse_url(const std::string& source);

// `value` as a ClickHouse literal: NULL, a number, or a quoted string in
// which quote, backslash, control and non-ASCII bytes are \xHH escapes, so
// no value can end the literal nor change the query around it.
std::string literal(const Value& value);
// Replaces each `?` outside quotes by the literal of the next value; throws
// StoreError when the counts differ.
std::string inline_params(const std::string& sql, const std::vector<Value>& params);

// The rows of a TabSeparatedWithNamesAndTypes answer: integers (Int*, UInt*)
// as int64, Float* as double, \N as NULL, everything else as text.
class TsvCursor final : public Cursor {
 public:
  explicit TsvCursor(std::string body);
  bool next() override;
  size_t column_count() const override { return names_.size(); }
  const std::string& column_name(size_t i) const override { return names_.at(i); }
  Value get(size_t i) const override;
  // Names the columns `names` (the query's own result names, where the SQL
  // spelled them otherwise); ignored unless there are as many.
  void rename(const std::vector<std::string>& names) {
    if (names.size() == names_.size()) names_ = names;
  }

 private:
  std::string body_;
  size_t pos_ = 0;
  std::vector<std::string> names_;
  std::vector<char> kinds_;  // 'i' integer, 'f' real, 's' text
  std::vector<Value> row_;
};

class Client {
 public:
  // `address` is HOST:PORT; `timeout_ms` bounds every request (0: none).
  Client(const Url& url, std::string address, int timeout_ms);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Runs one statement; returns the body. `data` is sent after the query
  // (INSERT ... FORMAT TabSeparated). Throws StoreError with `doing`, the
  // server's message and the address.
  std::string post(const std::string& sql, const std::string& data = "", const std::string& doing = "");
  // SELECT ... FORMAT TabSeparatedWithNamesAndTypes, read into a cursor.
  std::unique_ptr<TsvCursor> query(const std::string& sql, const std::string& doing = "");
  // The first column of the first row, as text ("" when no row).
  std::string scalar(const std::string& sql, const std::string& doing = "");
  const std::string& address() const { return address_; }
  // "ClickHouse database 'tally' on 127.0.0.1:8123"
  std::string where() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  Url url_;
  std::string address_;
  int timeout_ms_;
};

// A client for each shard of the URL's cluster, in remote_servers order
// (store.cpp); throws StoreError when the cluster is unknown or its shards
// cannot be told apart.
std::vector<std::unique_ptr<Client>> shard_clients(Client& entry, const Url& url, int timeout_ms);

}  // namespace tally::store::clickhouse
