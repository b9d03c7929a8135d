// `tally import` into ClickHouse (docs/backends.md, docs/decisions.md).
// (Over 400 lines: one protocol of delta tables, read, commit and cleanup, kept together.)
// 18.16 has no transactions, no UPDATE worth the name and no unique keys,
// so an import never changes a live table. Every table it writes gets, on
// each shard, a delta table `home`__imp holding the rows the import wrote,
// whole, each with a sequence number (the latest version of a row wins).
// While the import runs it reads the table as the live rows whose id is
// not in the delta plus the delta's latest rows; commit() builds `home`__new
// on each shard from exactly that and swaps it in with one RENAME per shard.
// A failure before then drops the delta tables: the live tables never
// change, so a failed import leaves no half-visible batch.
//
// Ids as on SQLite: an existing external_id keeps its row's id, a new one
// takes max(id) + 1 in file order. A fact row goes to the shard of its deal
// (the Distributed table's key). The importer's few statements (stages
// upserted by name, rows created by lookups, the record of the import,
// SELECTs of one table) are run by ChStatement, which knows exactly those
// shapes and refuses any other.
//
// Over 400 lines on purpose: the store, its keyed writer and its statement
// share the delta-table bookkeeping (Touched) and read each other's state.
#include <tally/format.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <unordered_map>

#include "query/internal.hpp"
#include "store/clickhouse/clickhouse.hpp"
#include "store/clickhouse/http.hpp"
#include "store/clickhouse/schema.hpp"
#include "store/engine_error.hpp"
#include "store/schema.hpp"
#include "store/text_rows.hpp"

namespace tally::store::clickhouse {

int check_store(Client& client, const Url& url, bool need_current);

namespace {

constexpr int kImportTimeoutMs = 600000;
constexpr size_t kPendingRows = 20000;
constexpr size_t kCachedRows = 200000;
constexpr const char* kDelta = "__imp";
constexpr const char* kNew = "__imp_new";
constexpr const char* kOld = "__imp_old";

using Row = std::vector<Value>;  // every column of a table, in its order

// A table the import writes: its layout, SQLite's rules for it, and the
// next id a new row takes.
struct Touched {
  const Table* table = nullptr;
  const TableDescription* rules = nullptr;
  int64_t next_id = 1;
  // Rows written but not yet sent to the delta tables: sent in big INSERTs,
  // and before anything reads the table.
  std::vector<Row> pending;
  // The latest rows the keyed writer wrote, by external_id: a row written
  // again (a repeated id, a second file) needs no query. Emptied (after
  // sending) when it holds kCachedRows.
  std::unordered_map<std::string, Row> written;
};

const TableDescription& rules_of(const std::string& table) {
  for (const auto& t : canonical_tables())
    if (t.name == table) return t;
  throw StoreError("no table '" + table + "' in the store schema");
}

size_t column_index(const Table& t, const std::string& name) {
  for (size_t i = 0; i < t.columns.size(); ++i)
    if (t.columns[i].name == name) return i;
  throw StoreError("table '" + t.name + "' has no column '" + name + "'");
}

Value value_of(const Cell& c) {
  switch (c.kind) {
    case Cell::Int: return c.i;
    case Cell::Real: return c.d;
    case Cell::Text: return c.text;
    case Cell::Null: break;
  }
  return {};
}

class ChImportStore final : public ImportStore {
 public:
  explicit ChImportStore(const std::string& source)
      : url_(parse_url(source)), dialect_(query::make_clickhouse_dialect(url_.database, shard_layout())) {
    entry_ = std::make_unique<Client>(url_, url_.host + ":" + std::to_string(url_.port), kImportTimeoutMs);
    // A database without a store (or none at all) gets a new, empty store, as SQLite makes a file.
    const bool exists = entry_->scalar("SELECT count() FROM system.databases WHERE name = " +
                                       literal(Value{url_.database})) != "0";
    if (!exists || check_store(*entry_, url_, false) == 0) create_replacement(source)->publish();
    check_store(*entry_, url_, true);
    shards_ = shard_clients(*entry_, url_, kImportTimeoutMs);
  }
  ~ChImportStore() override {
    if (!in_transaction_) return;
    try {
      drop_import_tables();
    } catch (...) {  // the next import drops them
    }
  }

  const query::Dialect& dialect() const override { return *dialect_; }
  std::string describe() const override { return format_source(); }
  void begin() override {
    drop_import_tables();  // what an import killed before its end left
    touched_.clear();
    in_transaction_ = true;
  }
  void commit() override;
  void rollback() override {
    in_transaction_ = false;
    drop_import_tables();
    touched_.clear();
  }
  void exec(const std::string&) override { refuse("statements other than the importer's"); }
  std::unique_ptr<Statement> prepare(const std::string& sql) override;
  std::unique_ptr<RowSink> bulk_insert(const std::string&, const std::vector<std::string>&) override {
    refuse("bulk inserts");
  }
  std::unique_ptr<Upsert> bulk_upsert(const std::string&, const std::vector<std::string>&,
                                      const std::string&) override {
    refuse("bulk upserts");
  }
  int schema_version() override { return check_store(*entry_, url_, false); }
  int migrate() override { return 0; }  // the constructor checked the version
  void refresh_statistics(const std::vector<std::string>&) override {}
  std::vector<std::string> drop_secondary_indexes() override { return {}; }
  void sync_id_sequences() override {}
  void publish() override { refuse("publish()"); }

  bool in_transaction() override { return in_transaction_; }
  std::unique_ptr<KeyedWriter> keyed_writer(const std::string& table, const std::vector<std::string>& columns,
                                            const std::vector<Cell>& defaults) override;
  // Each flush reads the batch's existing rows (one query) and writes one
  // INSERT per shard: bigger batches pay.
  size_t import_batch_rows() const override { return 20000; }
  int64_t max_id(const std::string& table) override {
    if (auto t = touched_.find(table); t != touched_.end()) return t->second.next_id - 1;
    return std::stoll("0" + entry_->scalar("SELECT max(id) FROM " + qualified(table)));
  }
  std::vector<std::string> drop_table_indexes(const std::string&) override { return {}; }
  void build_indexes(const std::vector<std::string>&) override {}
  void imported() noexcept override {}

  // For the writers and statements.
  Touched& touch(const std::string& table);
  // The rows of `table` as this import sees it that match `where` (SQL).
  std::vector<Row> read(Touched& t, const std::string& where);
  // The table as this import sees it, for a FROM clause.
  std::string view_of(const std::string& table) const;
  // Writes whole rows (each checked against SQLite's rules first): queued,
  // sent by send() with the ones before them.
  void write(Touched& t, std::vector<Row> rows);
  void send(Touched& t);
  // Sends every table's pending rows (before a query reads it).
  void send_all() {
    for (auto& [name, t] : touched_) send(t);
  }
  // SQLite's words for a rule `row` breaks, or "".
  static std::string broken_rule(const Touched& t, const Row& row);
  // A new row: SQLite's defaults, the next id.
  Row fresh(Touched& t) {
    Row row(t.table->columns.size());
    for (size_t i = 0; i < row.size(); ++i)
      for (const auto& c : t.rules->columns)
        if (c.name == t.table->columns[i].name && c.default_value) {
          if (c.type == "TEXT")
            row[i] = *c.default_value;
          else if (c.type == "REAL")
            row[i] = std::stod(*c.default_value);
          else
            row[i] = static_cast<int64_t>(std::stoll(*c.default_value));
        }
    row[0] = t.next_id;
    return row;
  }
  Client& entry() { return *entry_; }

 private:
  [[noreturn]] void refuse(const std::string& what) const {
    throw StoreError(format_source() + ": the ClickHouse import store does not run " + what);
  }
  std::string format_source() const { return format::redact_source(url_.source); }
  std::string qualified(const std::string& table) const { return "`" + url_.database + "`." + table; }
  std::string columns_of(const Table& t) const {
    std::string out;
    for (const auto& c : t.columns) out += (out.empty() ? "" : ", ") + c.name;
    return out;
  }
  // The tables an import makes (named by the suffixes), on every shard.
  void drop_import_tables() {
    for (auto& s : shards_) {
      auto names =
          s->query("SELECT name FROM system.tables WHERE database = " + literal(Value{url_.database}) +
                       " AND (endsWith(name, '" + kDelta + "') OR endsWith(name, '" + kNew +
                       "') OR endsWith(name, '" + kOld + "'))",
                   "cannot list the tables of " + s->where());
      while (names->next())
        s->post("DROP TABLE IF EXISTS " + qualified(std::get<std::string>(names->get(0))), "",
                "cannot drop the import's tables on " + s->where());
    }
  }

  Url url_;
  std::unique_ptr<query::Dialect> dialect_;
  std::unique_ptr<Client> entry_;
  std::vector<std::unique_ptr<Client>> shards_;
  std::map<std::string, Touched> touched_;
  int64_t sequence_ = 0;
  bool in_transaction_ = false;
};

Touched& ChImportStore::touch(const std::string& name) {
  if (auto t = touched_.find(name); t != touched_.end()) return t->second;
  const Table* table = find_table(name);
  if (!table || table->columns.front().name != "id")
    throw StoreError("cannot import into table '" + name + "'");
  Touched t;
  t.table = table;
  t.rules = &rules_of(name);
  t.next_id = max_id(name) + 1;
  std::string create = create_statement(*table, url_.database, home_of(*table) + kDelta);
  create.insert(create.find(") ENGINE"), ", tally_seq Int64");
  for (auto& s : shards_) {
    s->post(create, "", "cannot create the import's table for '" + name + "' on " + s->where());
    if (!table->shard_key.empty())
      s->post("CREATE TABLE " + qualified(name + kDelta) + " AS " + qualified(home_of(*table) + kDelta) +
                  " ENGINE = Distributed(" + url_.cluster + ", " + url_.database + ", " + home_of(*table) +
                  kDelta + ")",
              "", "cannot create the import's table for '" + name + "' on " + s->where());
  }
  return touched_.emplace(name, t).first->second;
}

// Live rows not written by this import, then the latest version of each
// row it wrote. A sharded table's deltas are read through their
// Distributed table, the id lists shipped to the shards (GLOBAL).
std::string ChImportStore::view_of(const std::string& name) const {
  auto t = touched_.find(name);
  if (t == touched_.end()) return qualified(name);
  const Table& table = *t->second.table;
  const std::string cols = columns_of(table), delta = qualified(name + kDelta);
  const std::string global = table.shard_key.empty() ? "" : "GLOBAL ";
  return "(SELECT " + cols + " FROM " + qualified(name) + " WHERE id " + global + "NOT IN (SELECT id FROM " +
         delta + ") UNION ALL SELECT " + cols + " FROM " + delta + " WHERE (id, tally_seq) " + global +
         "IN (SELECT id, max(tally_seq) FROM " + delta + " GROUP BY id))";
}

std::vector<Row> ChImportStore::read(Touched& t, const std::string& where) {
  send(t);
  auto cursor = entry_->query(
      "SELECT " + columns_of(*t.table) + " FROM " + view_of(t.table->name) + " AS v WHERE " + where,
      "cannot read table '" + t.table->name + "' of " + entry_->where());
  std::vector<Row> rows;
  while (cursor->next()) {
    Row row(cursor->column_count());
    for (size_t i = 0; i < row.size(); ++i) row[i] = cursor->get(i);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string ChImportStore::broken_rule(const Touched& t, const Row& row) {
  for (size_t i = 0; i < row.size(); ++i)
    if (is_null(row[i]))
      for (const auto& c : t.rules->columns)
        if (c.name == t.table->columns[i].name && c.not_null)
          return "NOT NULL constraint failed: " + t.table->name + "." + c.name;
  return "";
}

void ChImportStore::write(Touched& t, std::vector<Row> rows) {
  for (auto& row : rows) t.pending.push_back(std::move(row));
  if (t.pending.size() >= kPendingRows) send(t);
}

void ChImportStore::send(Touched& t) {
  if (t.pending.empty()) return;
  const std::vector<Row> rows = std::move(t.pending);
  t.pending.clear();
  const Table& table = *t.table;
  const size_t key = table.shard_key.empty() ? 0 : column_index(table, table.shard_key);
  std::vector<std::string> bodies(table.shard_key.empty() ? 1 : shards_.size());
  for (const auto& row : rows) {
    size_t shard = 0;
    if (bodies.size() > 1) {
      const Value& k = is_null(row[key]) ? row[0] : row[key];
      shard = static_cast<size_t>(static_cast<uint64_t>(std::get<int64_t>(k)) % bodies.size());
    }
    std::string& out = bodies[shard];
    for (size_t i = 0; i < row.size(); ++i) {
      const Value& v = row[i];
      const auto* d = std::get_if<double>(&v);
      if (is_null(v))
        out += "\\N";
      else if (const auto* n = std::get_if<int64_t>(&v))
        text_rows::append_integer(out, *n);
      else if (d && table.columns[i].type == 'I' && std::nearbyint(*d) == *d && std::abs(*d) < 9e18)
        text_rows::append_integer(out, static_cast<int64_t>(*d));  // SQLite stores a whole REAL as INTEGER
      else if (d)
        text_rows::append_real(out, *d, text_rows::kClickhouse);
      else
        text_rows::append_text(out, std::get<std::string>(v));
      out += '\t';
    }
    text_rows::append_integer(out, ++sequence_);
    out += '\n';
  }
  const std::string sql = "INSERT INTO " + qualified(home_of(table) + kDelta) + " (" + columns_of(table) +
                          ", tally_seq) FORMAT TabSeparated";
  for (size_t i = 0; i < shards_.size(); ++i) {
    const std::string& body = bodies.size() > 1 ? bodies[i] : bodies[0];
    if (!body.empty())
      shards_[i]->post(sql, body, "cannot write rows into '" + table.name + "' on " + shards_[i]->where());
  }
}

// Builds each written table anew on every shard, then swaps them in (one
// RENAME per shard) and drops what the import used.
void ChImportStore::commit() {
  if (!in_transaction_) return;
  send_all();
  for (auto& s : shards_)
    for (const auto& [name, t] : touched_) {
      const Table& table = *t.table;
      const std::string home = home_of(table), cols = columns_of(table);
      const std::string delta = qualified(name + kDelta), global = table.shard_key.empty() ? "" : "GLOBAL ";
      const std::string doing = "cannot build the imported table '" + name + "' on " + s->where();
      s->post(create_statement(table, url_.database, home + kNew), "", doing);
      s->post("INSERT INTO " + qualified(home + kNew) + " SELECT " + cols + " FROM " + qualified(home) +
                  " WHERE id " + global + "NOT IN (SELECT id FROM " + delta + ")",
              "", doing);
      s->post("INSERT INTO " + qualified(home + kNew) + " SELECT " + cols + " FROM " +
                  qualified(home + kDelta) + " WHERE (id, tally_seq) " + global +
                  "IN (SELECT id, max(tally_seq) FROM " + delta + " GROUP BY id)",
              "", doing);
    }
  // Every shard's new tables are built: the swaps, close together.
  for (auto& s : shards_) {
    std::string renames;
    for (const auto& [name, t] : touched_) {
      const std::string home = home_of(*t.table);
      renames += std::string(renames.empty() ? "" : ", ") + qualified(home) + " TO " +
                 qualified(home + kOld) + ", " + qualified(home + kNew) + " TO " + qualified(home);
    }
    if (!renames.empty())
      s->post("RENAME TABLE " + renames, "", "cannot put the imported tables in place on " + s->where());
  }
  in_transaction_ = false;
  try {
    drop_import_tables();
  } catch (...) {  // the next import drops them
  }
  touched_.clear();
}

class ChKeyedWriter final : public KeyedWriter {
 public:
  ChKeyedWriter(ChImportStore& store, const std::string& table, const std::vector<std::string>& columns,
                const std::vector<Cell>& defaults)
      : store_(store), table_(table), defaults_(defaults) {
    Touched& t = store_.touch(table);
    external_id_ = column_index(*t.table, "external_id");
    for (const auto& c : columns) columns_.push_back(column_index(*t.table, c));
    defaults_.resize(columns_.size());
  }

  void stage(const std::string& key, const std::vector<Cell>& cells) override {
    staged_.push_back({&key, &cells});
  }

  void flush(std::vector<WriteOutcome>& out) override {
    out.assign(staged_.size(), {});
    if (staged_.empty()) return;
    Touched& t = store_.touch(table_);
    // The rows there are: from what this import wrote, else one query for the rest.
    std::string keys;
    for (const auto& s : staged_)
      if (!t.written.count(*s.key)) keys += (keys.empty() ? "" : ", ") + literal(Value{*s.key});
    std::unordered_map<std::string, Row> existing;
    if (!keys.empty())
      for (auto& row : store_.read(t, "external_id IN (" + keys + ")"))
        existing.emplace(std::get<std::string>(row[external_id_]), std::move(row));
    std::vector<Row> rows;
    for (size_t i = 0; i < staged_.size(); ++i) {
      const std::string& key = *staged_[i].key;
      const Row* old = nullptr;
      if (auto w = t.written.find(key); w != t.written.end()) old = &w->second;
      if (auto e = existing.find(key); e != existing.end()) old = &e->second;
      Row row = old ? *old : store_.fresh(t);
      row[external_id_] = key;
      const std::vector<Cell>& cells = *staged_[i].cells;
      for (size_t c = 0; c < columns_.size() && c < cells.size(); ++c)
        row[columns_[c]] = value_of(cells[c].kind == Cell::Null ? defaults_[c] : cells[c]);
      if (std::string rule = ChImportStore::broken_rule(t, row); !rule.empty()) {
        out[i] = {-1, false, std::move(rule)};
        continue;
      }
      if (!old) ++t.next_id;
      out[i] = {std::get<int64_t>(row[0]), old == nullptr, ""};
      rows.push_back(row);
      t.written[key] = std::move(row);
    }
    store_.write(t, std::move(rows));
    staged_.clear();
    if (t.written.size() >= kCachedRows) {
      store_.send(t);
      t.written.clear();
    }
  }

  int64_t find(const std::string& key) override {
    Touched& t = store_.touch(table_);
    if (auto w = t.written.find(key); w != t.written.end()) return std::get<int64_t>(w->second[0]);
    const auto rows = store_.read(t, "external_id = " + literal(Value{key}));
    return rows.empty() ? -1 : std::get<int64_t>(rows[0][0]);
  }

 private:
  struct Staged {
    const std::string* key;
    const std::vector<Cell>* cells;
  };
  ChImportStore& store_;
  std::string table_;
  std::vector<Cell> defaults_;
  std::vector<size_t> columns_;
  size_t external_id_ = 0;
  std::vector<Staged> staged_;
};

std::unique_ptr<KeyedWriter> ChImportStore::keyed_writer(const std::string& table,
                                                         const std::vector<std::string>& columns,
                                                         const std::vector<Cell>& defaults) {
  return std::make_unique<ChKeyedWriter>(*this, table, columns, defaults);
}

// The importer's statements (import/table_writer.cpp, file_import.cpp,
// lookup.cpp), `?N` bound by index:
//   SELECT ... FROM table ...                       (one table)
//   INSERT INTO t (id, c1, ...) VALUES ((SELECT coalesce(max(id), 0) + 1 FROM t), ?1, ...)
//     [ON CONFLICT(c) DO UPDATE SET a = excluded.a, ...] [RETURNING id]
class ChStatement final : public Statement {
 public:
  ChStatement(ChImportStore& store, const std::string& sql) : store_(store), sql_(sql) {
    static const std::regex select(R"(^\s*SELECT\s[\s\S]*?\sFROM\s+(\w+)\b[\s\S]*$)", std::regex::icase);
    static const std::regex insert(
        R"(^\s*INSERT INTO (\w+) \(id((?:, \w+)*)\) VALUES \(\(SELECT coalesce\(max\(id\), 0\) \+ 1 FROM (\w+)\)((?:, \?\d+)*)\)(?: ON CONFLICT\((\w+)\) DO UPDATE SET ([\w\s=.,]+?))?( RETURNING id)?\s*$)",
        std::regex::icase);
    std::smatch m;
    if (std::regex_match(sql_, m, insert) && m[1] == m[3]) {
      table_ = m[1];
      const std::string cols = m[2];
      static const std::regex word(R"(\w+)");
      for (auto it = std::sregex_iterator(cols.begin(), cols.end(), word); it != std::sregex_iterator(); ++it)
        columns_.push_back(it->str());
      conflict_ = m[5];
      const std::string sets = m[6];
      static const std::regex set(R"((\w+)\s*=\s*excluded\.(\w+))", std::regex::icase);
      for (auto it = std::sregex_iterator(sets.begin(), sets.end(), set); it != std::sregex_iterator(); ++it)
        updates_.push_back((*it)[1]);
      returning_ = m[7].matched;
      return;
    }
    if (std::regex_match(sql_, m, select)) {
      from_ = m[1];
      from_at_ = static_cast<size_t>(m.position(1));
      return;
    }
    throw StoreError("the ClickHouse import store cannot run: " + shorten_sql(sql_, 200));
  }

  void bind_null(int index) override { at(index) = Value{}; }
  void bind(int index, int64_t value) override { at(index) = value; }
  void bind(int index, double value) override { at(index) = value; }
  void bind(int index, std::string_view value) override { at(index) = std::string(value); }
  void bind_bool(int index, bool value) override { at(index) = static_cast<int64_t>(value); }

  int64_t execute() override {
    if (!table_.empty()) return insert(), 1;
    query();
    return 0;
  }
  std::unique_ptr<Cursor> query() override {
    if (!table_.empty()) {
      const int64_t id = insert();
      return std::make_unique<TsvCursor>("id\nInt64\n" + (returning_ ? std::to_string(id) + "\n" : ""));
    }
    store_.send_all();  // the rows this import wrote, for the view
    std::string sql = sql_.substr(0, from_at_) + store_.view_of(from_) + " AS " + from_ +
                      sql_.substr(from_at_ + from_.size());
    return store_.entry().query(bound(sql), "the import's query " + shorten_sql(sql_, 120) + " failed");
  }

 private:
  Value& at(int index) {
    if (index < 1) throw StoreError("bind index " + std::to_string(index) + " out of range");
    if (static_cast<size_t>(index) > binds_.size()) binds_.resize(static_cast<size_t>(index));
    return binds_[static_cast<size_t>(index) - 1];
  }
  std::string bound(const std::string& sql) const {
    static const std::regex param(R"(\?(\d+))");
    std::string out;
    size_t last = 0;
    for (auto it = std::sregex_iterator(sql.begin(), sql.end(), param); it != std::sregex_iterator(); ++it) {
      const size_t n = std::stoul((*it)[1]);
      if (n < 1 || n > binds_.size()) throw StoreError("no value bound for ?" + std::to_string(n));
      out += sql.substr(last, static_cast<size_t>(it->position()) - last) + literal(binds_[n - 1]);
      last = static_cast<size_t>(it->position() + it->length());
    }
    return out + sql.substr(last);
  }
  // One row written as the INSERT says; its id.
  int64_t insert() {
    Touched& t = store_.touch(table_);
    if (binds_.size() < columns_.size())
      throw StoreError("too few values bound for " + shorten_sql(sql_, 120));
    Row row;
    bool found = false;
    if (!conflict_.empty()) {
      const size_t c =
          static_cast<size_t>(std::find(columns_.begin(), columns_.end(), conflict_) - columns_.begin());
      if (c >= columns_.size())
        throw StoreError("ON CONFLICT on an unbound column: " + shorten_sql(sql_, 120));
      auto rows = store_.read(t, conflict_ + " = " + literal(binds_[c]));
      if (!rows.empty()) row = std::move(rows[0]), found = true;
    }
    if (!found) row = store_.fresh(t);
    for (size_t i = 0; i < columns_.size(); ++i)
      if (!found || std::find(updates_.begin(), updates_.end(), columns_[i]) != updates_.end())
        row[column_index(*t.table, columns_[i])] = binds_[i];
    if (std::string rule = ChImportStore::broken_rule(t, row); !rule.empty())
      throw EngineError(Fault::Constraint, 0, rule, rule);
    if (!found) ++t.next_id;
    store_.write(t, {row});
    return std::get<int64_t>(row[0]);
  }

  ChImportStore& store_;
  std::string sql_;
  std::string table_, conflict_, from_;
  size_t from_at_ = 0;
  std::vector<std::string> columns_, updates_;
  bool returning_ = false;
  std::vector<Value> binds_;
};

std::unique_ptr<Statement> ChImportStore::prepare(const std::string& sql) {
  return std::make_unique<ChStatement>(*this, sql);
}

}  // namespace

std::string database_name(const std::string& url) {
  return parse_url(url).database;
}

std::unique_ptr<ImportStore> open_import_store(const std::string& url) {
  return std::make_unique<ChImportStore>(url);
}

}  // namespace tally::store::clickhouse
