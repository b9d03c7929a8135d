// The ClickHouse backend for runs: one HTTP client per metric thread, every
// query with the run's statement timeout (max_execution_time, and a client
// timeout a little longer) and join_use_nulls, values inlined as escaped
// literals (http.hpp). Reads go to the URL's server; its Distributed tables
// read every shard.
#include <tally/format.hpp>

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

class ChConnection final : public store::Connection {
 public:
  ChConnection(const Url& url, int timeout_ms) : client_(url, address_of(url), timeout_ms) {}
  std::unique_ptr<Cursor> execute(const query::CompiledQuery& q) override {
    const std::string sql = inline_params(q.sql, q.params);
    return client_.query(sql, "the query " + shorten_sql(sql, 200) + " failed");
  }

 private:
  Client client_;
};

class ChBackend final : public Backend {
 public:
  ChBackend(Url url, const OpenOptions& options)
      : url_(std::move(url)), options_(options), dialect_(query::make_clickhouse_dialect(url_.database)) {}
  const query::Dialect& dialect() const override { return *dialect_; }
  std::unique_ptr<store::Connection> connect() override {
    return std::make_unique<ChConnection>(url_, options_.statement_timeout_ms);
  }
  std::string describe() const override { return format::redact_source(url_.source); }

 private:
  Url url_;
  OpenOptions options_;
  std::unique_ptr<query::Dialect> dialect_;
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
  if (version < latest)
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

std::unique_ptr<Backend> open_backend(const std::string& source, const OpenOptions& options) {
  Url url = parse_url(source);
  {
    Client probe(url, address_of(url), 30000);
    check_store(probe, url, true);
  }
  return std::make_unique<ChBackend>(std::move(url), options);
}

int peek_schema_version(const std::string& source) {
  const Url url = parse_url(source);
  Client probe(url, address_of(url), 30000);
  return check_store(probe, url, false);
}

}  // namespace tally::store::clickhouse
