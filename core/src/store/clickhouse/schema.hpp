// The ClickHouse layout of the store schema (docs/backends.md): every table
// of the latest schema version, with its columns in ClickHouse types, and
// how its rows spread over the cluster's shards.
#pragma once

#include <string>
#include <vector>

#include "query/internal.hpp"

namespace tally::store::clickhouse {

struct Column {
  std::string name;
  char type;             // 'I' Int64, 'F' Float64, 'S' String (all Nullable but `id` and `key`)
  std::string fallback;  // a DEFAULT for rows written without it ("'USD'", "0"), or empty
};

struct Table {
  std::string name;
  std::vector<Column> columns;
  // Sharded tables (facts) keep their rows in `name`_local on each shard,
  // spread by this column (the deal id, so one deal's stage history,
  // activities and collateral uses sit with it; `id` when NULL), behind a
  // Distributed table `name`. Empty: every shard holds a full copy under
  // `name` itself (dimensions, small tables).
  std::string shard_key;
};

// The oldest schema version whose ClickHouse layout is today's: later migrations
// changed other engines only (5: PostgreSQL's stored epochs), so a store written
// at this version or later is read as it is, not recreated (100M rows take a
// while to load again). Raise it when a migration changes tables() below.
constexpr int kLayoutSinceVersion = 4;

// Every table, schema_version aside.
const std::vector<Table>& tables();
const Table* find_table(const std::string& name);

// Where a table's rows live on each shard: `name`_local for a sharded table,
// `name` itself for a copied one.
inline std::string home_of(const Table& t) {
  return t.shard_key.empty() ? t.name : t.name + "_local";
}

// The sharded tables as the query dialect needs them: shard key and home.
query::ShardLayout shard_layout();

// The definition of `column`_epoch, the epoch seconds a store keeps beside
// each of query::duration_timestamps(): a MATERIALIZED column computed once
// per row written (query::clickhouse_exact_epoch_seconds). Stores written
// before them, or with the first DateTime ones, lack them; the backend looks
// (stored_epochs_of in backend.cpp).
std::string stored_epoch_column(const std::string& column);

// CREATE TABLE for `table` named `as` (MergeTree, ordered by its id).
std::string create_statement(const Table& table, const std::string& database, const std::string& as);

}  // namespace tally::store::clickhouse
