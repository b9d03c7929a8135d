// The ClickHouse Store, enough for `tally demo`: every table is written into
// a staging table on each shard (facts spread by the deal id, dimensions
// copied whole to every shard), in TabSeparated batches over HTTP; publish()
// swaps the staging tables in with one RENAME per shard and makes the
// Distributed tables the facts are read through. A run that dies before
// publish() leaves the old store as it was (its staging tables are dropped
// by the next one). 18.16 has no transactions: begin/commit only flush.
#include <tally/format.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "query/internal.hpp"
#include "store/clickhouse/clickhouse.hpp"
#include "store/clickhouse/http.hpp"
#include "store/clickhouse/schema.hpp"
#include "store/schema.hpp"
#include "store/text_rows.hpp"

namespace tally::store::clickhouse {

int check_store(Client& client, const Url& url, bool need_current);

// A client for each shard of the URL's cluster, in remote_servers order
// (the URL's shards= addresses, or each shard's host with the URL's port).
std::vector<std::unique_ptr<Client>> shard_clients(Client& entry, const Url& url, int timeout_ms) {
  std::vector<std::string> addresses = url.shards;
  const std::string hosts = entry.scalar(
      "SELECT arrayStringConcat(groupArray(host_name), ',') FROM (SELECT host_name FROM system.clusters "
      "WHERE "
      "cluster = " +
          literal(Value{url.cluster}) + " AND replica_num = 1 ORDER BY shard_num)",
      "cannot read the shards of cluster '" + url.cluster + "'");
  if (hosts.empty())
    throw StoreError("the ClickHouse server on " + entry.address() + " has no cluster '" + url.cluster +
                     "' in its remote_servers");
  size_t count = 1;
  for (char c : hosts) count += c == ',';
  if (addresses.empty()) {
    size_t start = 0;
    while (start <= hosts.size()) {
      const size_t end = std::min(hosts.find(',', start), hosts.size());
      addresses.push_back(hosts.substr(start, end - start) + ":" + std::to_string(url.port));
      start = end + 1;
    }
  } else if (addresses.size() != count) {
    throw StoreError("cluster '" + url.cluster + "' has " + std::to_string(count) +
                     " shards but the URL's shards= names " + std::to_string(addresses.size()) +
                     " HTTP addresses");
  }
  for (size_t i = 0; i < addresses.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (addresses[i] == addresses[j])
        throw StoreError("shards " + std::to_string(j + 1) + " and " + std::to_string(i + 1) +
                         " of cluster '" + url.cluster + "' would both be written at " + addresses[i] +
                         "; name each shard's HTTP address in the URL: &shards=HOST:PORT,HOST:PORT");
  std::vector<std::unique_ptr<Client>> out;
  for (const auto& a : addresses) out.push_back(std::make_unique<Client>(url, a, timeout_ms));
  return out;
}

namespace {

constexpr size_t kBatchBytes = 4 << 20;
constexpr int kWriteTimeoutMs = 600000;
constexpr const char* kStaging = "__staging";
constexpr const char* kRetired = "__retired";

std::string quoted(const std::string& text) {
  return literal(Value{text});
}

class ChStore;

// Rows of one table in TabSeparated text: one buffer for a copied table
// (sent to every shard), one per shard for a sharded one.
class ChSink final : public RowSink {
 public:
  ChSink(ChStore& store, const Table& table, std::vector<std::string> columns);
  ~ChSink() override;
  void null() override { field() += "\\N"; }
  void integer(int64_t value) override {
    if (index_ == id_column_) id_ = value;
    if (index_ == key_column_) key_ = value;
    text_rows::append_integer(field(), value);
  }
  void real(double value) override { text_rows::append_real(field(), value, text_rows::kClickhouse); }
  void text(std::string_view value) override { text_rows::append_text(field(), value); }
  void end_row() override;
  void flush() override;

 private:
  std::string column_names() const {
    std::string out;
    for (const auto& c : columns_) out += (out.empty() ? "" : ", ") + c;
    return out;
  }
  std::string& field() {
    if (index_ > 0 || prepend_id_) row_ += '\t';
    ++index_;
    return row_;
  }
  ChStore& store_;
  const Table& table_;
  std::vector<std::string> columns_;
  bool prepend_id_ = false;  // the rows come without ids: numbered here as SQLite would
  int id_column_ = -1, key_column_ = -1;
  int index_ = 0;
  std::optional<int64_t> id_, key_;
  std::string row_;
  std::vector<std::string> buffers_;  // per shard (sharded) or one
};

class ChStore final : public Store {
 public:
  explicit ChStore(const std::string& source)
      : url_(parse_url(source)), dialect_(query::make_clickhouse_dialect(url_.database, shard_layout())) {
    entry_ = std::make_unique<Client>(url_, url_.host + ":" + std::to_string(url_.port), kWriteTimeoutMs);
    shards_ = shard_clients(*entry_, url_, kWriteTimeoutMs);
  }
  ~ChStore() override {
    if (published_) return;
    try {
      drop_all(kStaging);
    } catch (...) {  // the next replacement drops them
    }
  }

  const query::Dialect& dialect() const override { return *dialect_; }
  std::string describe() const override { return format::redact_source(url_.source); }
  void begin() override { flush_all(); }
  void commit() override { flush_all(); }
  void rollback() override {
    throw StoreError("ClickHouse has no transactions: " + describe() + " cannot roll back");
  }
  void exec(const std::string& sql) override {
    flush_all();
    for (auto& s : shards_) s->post(sql, "", "cannot run a statement on " + s->where());
  }
  std::unique_ptr<Statement> prepare(const std::string&) override {
    throw StoreError(describe() +
                     ": ClickHouse stores are written in bulk only (tally demo) in this release");
  }
  std::unique_ptr<RowSink> bulk_insert(const std::string& table,
                                       const std::vector<std::string>& columns) override {
    flush_all();
    const Table* t = find_table(table);
    if (!t) throw StoreError("no table '" + table + "' in the ClickHouse store layout");
    return std::make_unique<ChSink>(*this, *t, columns);
  }
  std::unique_ptr<Upsert> bulk_upsert(const std::string&, const std::vector<std::string>&,
                                      const std::string&) override {
    throw StoreError(describe() +
                     ": `tally import` into ClickHouse is not supported yet; use `tally demo` or SQLite");
  }
  int schema_version() override { return check_store(*entry_, url_, false); }
  // ClickHouse has no migrations of its own: a store whose layout is today's
  // (kLayoutSinceVersion) records the latest version on every shard; an
  // older one is refused (check_store says to recreate it).
  int migrate() override {
    const int version = check_store(*entry_, url_, true);
    const int latest = latest_schema_version();
    if (version >= latest) return 0;
    for (auto& s : shards_)
      s->post("INSERT INTO " + qualified("schema_version") + " SELECT " + std::to_string(latest) +
                  ", toString(now(), 'UTC')",
              "", "cannot record schema version " + std::to_string(latest) + " on " + s->where());
    return latest - version;
  }
  void refresh_statistics(const std::vector<std::string>&) override { flush_all(); }
  std::vector<std::string> drop_secondary_indexes() override { return {}; }
  void sync_id_sequences() override { flush_all(); }

  void publish() override {
    flush_all();
    for (auto& s : shards_) {
      std::set<std::string> existing = table_names(*s);
      std::vector<std::string> renames;
      auto swap_in = [&](const std::string& home) {
        if (existing.count(home)) renames.push_back(qualified(home) + " TO " + qualified(home + kRetired));
        renames.push_back(qualified(home + kStaging) + " TO " + qualified(home));
      };
      for (const auto& t : tables()) swap_in(home_of(t));
      swap_in("schema_version");
      s->post("RENAME TABLE " + join_list(renames), "", "cannot put the new store in place on " + s->where());
      for (const auto& t : tables()) {
        if (t.shard_key.empty()) continue;
        if (existing.count(t.name) &&
            (!existing.count(home_of(t)) || columns_differ(*s, t.name, home_of(t)))) {
          // A canonical table that is not yet a Distributed one, or one made
          // for an older layout (it would hide new columns or keep old
          // definitions): it holds no rows.
          s->post("DROP TABLE " + qualified(t.name));
          existing.erase(t.name);
        }
        if (!existing.count(t.name))
          s->post("CREATE TABLE " + qualified(t.name) + " AS " + qualified(home_of(t)) +
                      " ENGINE = Distributed(" + url_.cluster + ", " + url_.database + ", " + home_of(t) +
                      ", ifNull(" + t.shard_key + ", id))",
                  "", "cannot create the Distributed table '" + t.name + "' on " + s->where());
      }
    }
    published_ = true;
    drop_all(kRetired);
  }

  // The staging tables on every shard, after refusing a database whose
  // tables carry Tally's names without being a Tally store.
  void start_replacement() {
    for (auto& s : shards_)
      s->post("CREATE DATABASE IF NOT EXISTS `" + url_.database + "`", "",
              "cannot create the database on " + s->where());
    check_store(*entry_, url_, false);  // the cluster exists and every shard answers
    for (auto& s : shards_) {
      const std::set<std::string> existing = table_names(*s);
      if (!existing.count("schema_version"))
        for (const auto& t : tables())
          if (existing.count(t.name))
            throw StoreError(s->where() + " has a table '" + t.name +
                             "' but is not a Tally store (no schema_version table); use an empty database");
    }
    drop_all(kStaging);
    drop_all(kRetired);
    for (auto& s : shards_) {
      for (const auto& t : tables())
        s->post(create_statement(t, url_.database, home_of(t) + kStaging), "",
                "cannot create table '" + t.name + "' on " + s->where());
      s->post("CREATE TABLE " + qualified(std::string("schema_version") + kStaging) +
              " (version Int64, applied_at String) ENGINE = MergeTree ORDER BY version");
      s->post("INSERT INTO " + qualified(std::string("schema_version") + kStaging) + " SELECT " +
              std::to_string(latest_schema_version()) + ", toString(now(), 'UTC')");
    }
  }

  // An existing store opened for `tally migrate`: no staging tables of ours to
  // drop at the end (another process may be writing its own).
  void open_existing() { published_ = true; }

  // For the sinks.
  size_t shard_count() const { return shards_.size(); }
  void send(const Table& table, const std::string& columns, const std::string& rows, int shard) {
    const std::string sql =
        "INSERT INTO " + qualified(home_of(table) + kStaging) + " (" + columns + ") FORMAT TabSeparated";
    for (size_t i = 0; i < shards_.size(); ++i)
      if (shard < 0 || static_cast<size_t>(shard) == i)
        shards_[i]->post(sql, rows, "cannot write rows into '" + table.name + "' on " + shards_[i]->where());
  }
  int64_t next_id(const std::string& table) { return ++last_id_[table]; }
  void add(ChSink* sink) { sinks_.insert(sink); }
  void remove(ChSink* sink) { sinks_.erase(sink); }
  void fail_later(const std::string& message) {
    if (pending_error_.empty()) pending_error_ = message;
  }

 private:
  std::string qualified(const std::string& table) const { return "`" + url_.database + "`." + table; }
  static std::string join_list(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
    return out;
  }
  std::set<std::string> table_names(Client& c) {
    auto cursor = c.query("SELECT name FROM system.tables WHERE database = " + quoted(url_.database),
                          "cannot list the tables of " + c.where());
    std::set<std::string> out;
    while (cursor->next()) out.insert(std::get<std::string>(cursor->get(0)));
    return out;
  }
  // Whether table `name` has other columns than `home`: one missing, or one
  // defined otherwise (a stored epoch's expression of an older layout).
  bool columns_differ(Client& c, const std::string& name, const std::string& home) {
    const std::string columns =
        "SELECT name, type, default_kind, default_expression FROM system.columns WHERE database = " +
        quoted(url_.database) + " AND table = ";
    auto missing = [&](const std::string& from, const std::string& in) {
      return "(SELECT count() FROM (" + columns + quoted(from) + ") WHERE (name, type, default_kind, " +
             "default_expression) NOT IN (" + columns + quoted(in) + "))";
    };
    return c.scalar("SELECT " + missing(home, name) + " + " + missing(name, home),
                    "cannot list the columns of " + c.where()) != "0";
  }
  void drop_all(const std::string& suffix) {
    for (auto& s : shards_) {
      for (const auto& t : tables()) s->post("DROP TABLE IF EXISTS " + qualified(home_of(t) + suffix));
      s->post("DROP TABLE IF EXISTS " + qualified("schema_version" + suffix));
    }
  }
  void flush_all() {
    if (!pending_error_.empty()) throw StoreError(pending_error_);
    for (auto* sink : sinks_) sink->flush();
  }

  Url url_;
  std::unique_ptr<query::Dialect> dialect_;
  std::unique_ptr<Client> entry_;
  std::vector<std::unique_ptr<Client>> shards_;
  std::map<std::string, int64_t> last_id_;
  std::set<ChSink*> sinks_;
  std::string pending_error_;
  bool published_ = false;
};

ChSink::ChSink(ChStore& store, const Table& table, std::vector<std::string> columns)
    : store_(store), table_(table), columns_(std::move(columns)) {
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (!std::any_of(table_.columns.begin(), table_.columns.end(),
                     [&](const Column& c) { return c.name == columns_[i]; }))
      throw StoreError("table '" + table_.name + "' has no column '" + columns_[i] + "'");
    if (columns_[i] == "id") id_column_ = static_cast<int>(i);
    if (columns_[i] == table_.shard_key) key_column_ = static_cast<int>(i);
  }
  prepend_id_ = id_column_ < 0 && table_.columns.front().name == "id";
  if (prepend_id_) columns_.insert(columns_.begin(), "id");
  buffers_.resize(table_.shard_key.empty() ? 1 : store_.shard_count());
  store_.add(this);
}

ChSink::~ChSink() {
  try {
    flush();
  } catch (const std::exception& e) {
    store_.fail_later(e.what());
  }
  store_.remove(this);
}

void ChSink::end_row() {
  if (prepend_id_) {
    id_ = store_.next_id(table_.name);
    row_.insert(0, std::to_string(*id_));
  }
  size_t shard = 0;
  if (buffers_.size() > 1) {
    const int64_t key = key_ ? *key_ : id_ ? *id_ : 0;
    shard = static_cast<size_t>(static_cast<uint64_t>(key) % buffers_.size());
  }
  buffers_[shard] += row_;
  buffers_[shard] += '\n';
  row_.clear();
  index_ = 0;
  id_.reset();
  key_.reset();
  ++rows_;
  if (buffers_[shard].size() >= kBatchBytes) {
    store_.send(table_, column_names(), buffers_[shard], buffers_.size() > 1 ? static_cast<int>(shard) : -1);
    buffers_[shard].clear();
  }
}

void ChSink::flush() {
  for (size_t i = 0; i < buffers_.size(); ++i) {
    if (buffers_[i].empty()) continue;
    store_.send(table_, column_names(), buffers_[i], buffers_.size() > 1 ? static_cast<int>(i) : -1);
    buffers_[i].clear();
  }
}

}  // namespace

std::unique_ptr<Store> open_store(const std::string& source, int* migrated) {
  auto store = std::make_unique<ChStore>(source);
  store->open_existing();
  const int applied = store->migrate();
  if (migrated) *migrated = applied;
  return store;
}

std::unique_ptr<Store> create_replacement(const std::string& source) {
  auto store = std::make_unique<ChStore>(source);
  store->start_replacement();
  return store;
}

}  // namespace tally::store::clickhouse
