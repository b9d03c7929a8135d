// The ClickHouse backend for runs: one HTTP client per metric thread, every
// query with the run's statement timeout (max_execution_time, and a client
// timeout a little longer) and join_use_nulls, values inlined as escaped
// literals (http.hpp). Reads go to the URL's server; its Distributed tables
// read every shard.
#include <tally/format.hpp>

#include <cctype>
#include <mutex>

#include "query/internal.hpp"
#include "store/clickhouse/clickhouse.hpp"
#include "store/clickhouse/http.hpp"
#include "store/clickhouse/schema.hpp"
#include "store/engine_error.hpp"
#include "store/schema.hpp"

namespace tally::store::clickhouse {

namespace {

std::string address_of(const Url& url) {
  return url.host + ":" + std::to_string(url.port);
}

constexpr int kProbeTimeoutMs = 3000;

// What the metrics of one run know about the cluster's shards: once a
// failed query finds a shard that does not answer, the next queries fail
// at once with the same words instead of each waiting for its timeout.
class ShardWatch {
 public:
  explicit ShardWatch(Url url) : url_(std::move(url)) {}
  // Whether `sql` reads a sharded table (through its Distributed table):
  // the others read the copies on the URL's server and can still run.
  bool reads_shards(const std::string& sql) const {
    for (const auto& t : tables()) {
      if (t.shard_key.empty()) continue;
      const std::string name = "`" + url_.database + "`." + t.name;
      for (size_t at = sql.find(name); at != std::string::npos; at = sql.find(name, at + 1)) {
        const size_t end = at + name.size();
        if (end == sql.size() || !(std::isalnum(static_cast<unsigned char>(sql[end])) || sql[end] == '_'))
          return true;
      }
    }
    return false;
  }
  std::string down() {
    std::lock_guard lock(mutex_);
    return down_;
  }
  // After a failed query: asks each shard (through the URL's server, within
  // kProbeTimeoutMs) whether it answers; returns (and remembers) which do
  // not, or "".
  std::string probe() {
    std::lock_guard lock(mutex_);
    if (!down_.empty()) return down_;
    try {
      // Through the URL's server, as the queries go: remote() to each shard's native port.
      Client entry(url_, address_of(url_), kProbeTimeoutMs);
      auto shards = entry.query("SELECT shard_num, host_name, port FROM system.clusters WHERE cluster = " +
                                    literal(Value{url_.cluster}) + " AND replica_num = 1 ORDER BY shard_num",
                                "cannot read the shards of cluster '" + url_.cluster + "'");
      while (shards->next()) {
        const std::string address =
            std::get<std::string>(shards->get(1)) + ":" + std::to_string(std::get<int64_t>(shards->get(2)));
        try {
          entry.post("SELECT 1 FROM remote(" + literal(Value{address}) + ", system.one)");
        } catch (const StoreError&) {
          down_ += std::string(down_.empty() ? "" : "; ") + "shard " +
                   std::to_string(std::get<int64_t>(shards->get(0))) + " of cluster '" + url_.cluster +
                   "' (" + address + ") does not answer within " + std::to_string(kProbeTimeoutMs / 1000) +
                   " s";
        }
      }
    } catch (const StoreError& e) {  // the URL's server itself does not answer
      down_ = "the ClickHouse server on " + address_of(url_) + " does not answer: " + e.what();
    }
    return down_;
  }

 private:
  Url url_;
  std::mutex mutex_;
  std::string down_;
};

class ChConnection final : public store::Connection {
 public:
  ChConnection(const Url& url, int timeout_ms, ShardWatch& watch)
      : client_(url, address_of(url), timeout_ms), watch_(watch) {}
  std::unique_ptr<Cursor> execute(const query::CompiledQuery& q) override {
    const std::string sql = inline_params(q.sql, q.params);
    const std::string doing = "the query " + shorten_sql(sql, 200) + " failed";
    if (const std::string down = watch_.down(); !down.empty() && watch_.reads_shards(sql))
      throw StoreError(doing + ": " + down);
    try {
      auto cursor = client_.query(sql, doing);
      cursor->rename(q.columns);  // the dialect may have spelled them otherwise (assemble_flat)
      return cursor;
    } catch (const StoreError& e) {
      // A shard stopped or frozen mid-run: say which, and spare the other metrics the wait.
      const std::string down = watch_.probe();
      if (down.empty()) throw;
      throw StoreError(std::string(e.what()) + "; " + down);
    }
  }

 private:
  Client client_;
  ShardWatch& watch_;
};

class ChBackend final : public Backend {
 public:
  ChBackend(Url url, const OpenOptions& options, query::StoredEpochs epochs)
      : url_(std::move(url)),
        options_(options),
        dialect_(query::make_clickhouse_dialect(url_.database, shard_layout(), std::move(epochs))),
        watch_(url_) {}
  const query::Dialect& dialect() const override { return *dialect_; }
  std::unique_ptr<store::Connection> connect() override {
    return std::make_unique<ChConnection>(url_, options_.statement_timeout_ms, watch_);
  }
  std::string describe() const override { return format::redact_source(url_.source); }

 private:
  Url url_;
  OpenOptions options_;
  std::unique_ptr<query::Dialect> dialect_;
  ShardWatch watch_;
};

std::string quoted(const std::string& text) {
  return literal(Value{text});
}

}  // namespace

// Throws StoreError unless the server knows the cluster, reaches every
// shard of it, and the database holds a Tally store at this version.
int check_store(Client& client, const Url& url, bool need_current) {
  const std::string shown = format::redact_source(url.source);
  const std::string clusters =
      client.scalar("SELECT arrayStringConcat(groupUniqArray(cluster), ', ') FROM system.clusters",
                    "cannot read the clusters");
  if (client.scalar("SELECT count() FROM system.clusters WHERE cluster = " + quoted(url.cluster)) == "0")
    throw StoreError("the ClickHouse server on " + client.address() + " has no cluster '" + url.cluster +
                     "' in its remote_servers" + (clusters.empty() ? "" : " (it has: " + clusters + ")"));
  client.post("SELECT count() FROM cluster(" + quoted(url.cluster) + ", system, one)", "",
              "a shard of cluster '" + url.cluster + "' cannot be reached");
  if (client.scalar("SELECT count() FROM system.databases WHERE name = " + quoted(url.database)) == "0")
    throw StoreError("database '" + url.database + "' does not exist on the ClickHouse server on " +
                     client.address() + "; create the store with `tally demo --db " + shown + "`");
  const std::string names = client.scalar(
      "SELECT arrayStringConcat(groupArray(name), ',') FROM system.tables "
      "WHERE database = " +
      quoted(url.database));
  const std::string padded = "," + names + ",";
  if (padded.find(",schema_version,") == std::string::npos) {
    if (!need_current) return 0;
    throw StoreError(client.where() +
                     " is not a Tally store (it has no schema_version table); create one with " +
                     "`tally demo --db " + shown + "`");
  }
  const int version =
      std::stoi("0" + client.scalar("SELECT max(version) FROM `" + url.database + "`.schema_version"));
  if (!need_current) return version;
  const int latest = latest_schema_version();
  if (version < kLayoutSinceVersion)
    throw StoreError(client.where() + " has schema version " + std::to_string(version) +
                     ", this tally needs " + std::to_string(latest) + "; recreate it with `tally demo --db " +
                     shown + "`");
  if (version > latest)
    throw StoreError(client.where() + " has schema version " + std::to_string(version) +
                     ", newer than this tally understands (" + std::to_string(latest) + "); upgrade tally");
  for (const auto& t : tables())
    if (padded.find("," + t.name + ",") == std::string::npos)
      throw StoreError(client.where() + " has no table '" + t.name +
                       "': the store is incomplete; recreate it with `tally demo --db " + shown + "`");
  return version;
}

namespace {

// The stored epochs the store's tables have on the URL's server (a store
// written before they existed has none: its timestamps are parsed as read).
// A column counts where the canonical table has it and the table holding the
// rows (`_local` for a sharded one) computes it with the civil-date arithmetic
// (query::kExactEpochMark is in the expression):
// the first stored epochs parsed with DateTime, which wraps outside 1970..2105,
// and are read as absent.
query::StoredEpochs stored_epochs_of(Client& client, const Url& url) {
  const std::string found = client.scalar(
      "SELECT arrayStringConcat(groupArray(concat(table, '.', name, "
      "if(position(default_expression, '" +
      std::string(query::kExactEpochMark) +
      "') > 0, '+', ''))), ',') FROM system.columns "
      "WHERE default_kind = 'MATERIALIZED' AND database = " +
      quoted(url.database));
  const std::string padded = "," + found + ",";
  auto has = [&](const std::string& table, const std::string& column, bool exact) {
    const std::string name = "," + table + "." + column + "_epoch";
    return padded.find(name + "+,") != std::string::npos ||
           (!exact && padded.find(name + ",") != std::string::npos);
  };
  query::StoredEpochs epochs;
  for (const auto& [table, column] : query::duration_timestamps())
    if (const Table* t = find_table(table); t && has(table, column, false) && has(home_of(*t), column, true))
      epochs.insert({table, column});
  return epochs;
}

}  // namespace

std::unique_ptr<Backend> open_backend(const std::string& source, const OpenOptions& options) {
  Url url = parse_url(source);
  query::StoredEpochs epochs;
  {
    Client probe(url, address_of(url), 30000);
    check_store(probe, url, true);
    epochs = stored_epochs_of(probe, url);
  }
  return std::make_unique<ChBackend>(std::move(url), options, std::move(epochs));
}

int peek_schema_version(const std::string& source) {
  const Url url = parse_url(source);
  Client probe(url, address_of(url), 30000);
  return check_store(probe, url, false);
}

}  // namespace tally::store::clickhouse
