// `tally import`'s writes on SQLite (Store::keyed_writer): the importer's
// speed tricks live here. Into a table that was empty, many rows per INSERT
// (one statement's fixed cost paid once for 64 rows); otherwise one upsert
// a row, without RETURNING (it makes every upsert several times slower in
// SQLite): an insert's id is last_insert_rowid(), an update's is looked up.
#include <sqlite3.h>

#include <limits>

#include "store/engine_error.hpp"
#include "store/sqlite_store.hpp"

namespace tally::store {

namespace {

// Rows per INSERT statement into a table that was empty.
constexpr size_t kRowsPerInsert = 64;
// Failed multi-row INSERTs (a key that is already there) after which the
// writer goes on row by row.
constexpr int kMaxFailedInserts = 16;

class Prepared {
 public:
  Prepared(sqlite3* db, const std::string& sql, const std::string& path) {
    const int rc = sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    if (rc != SQLITE_OK)
      throw engine_error(db, rc, path, "cannot prepare an import statement (" + shorten_sql(sql) + ")");
  }
  Prepared(const Prepared&) = delete;
  Prepared& operator=(const Prepared&) = delete;
  ~Prepared() { sqlite3_finalize(stmt_); }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

void bind_cell(sqlite3_stmt* stmt, int index, const Cell& cell) {
  switch (cell.kind) {
    case Cell::Null: sqlite3_bind_null(stmt, index); break;
    case Cell::Int: sqlite3_bind_int64(stmt, index, cell.i); break;
    case Cell::Real: sqlite3_bind_double(stmt, index, cell.d); break;
    case Cell::Text:
      sqlite3_bind_text(stmt, index, cell.text.data(), static_cast<int>(cell.text.size()), SQLITE_STATIC);
      break;
  }
}

class SqliteKeyedWriter final : public KeyedWriter {
 public:
  SqliteKeyedWriter(sqlite3* db, const std::string& table, const std::vector<std::string>& columns,
                    const std::vector<Cell>& defaults, const std::string& path)
      : db_(db), path_(path), defaults_(defaults), width_(columns.size() + 1) {
    defaults_.resize(columns.size());
    std::string names = "external_id", values = "?1", updates;
    for (size_t i = 0; i < columns.size(); ++i) {
      names += ", " + columns[i];
      values += ", ?" + std::to_string(i + 2);
      updates += (i ? ", " : "") + columns[i] + " = excluded." + columns[i];
    }
    if (updates.empty()) updates = "external_id = excluded.external_id";
    upsert_ = std::make_unique<Prepared>(db,
                                         "INSERT INTO " + table + " (" + names + ") VALUES (" + values +
                                             ") ON CONFLICT(external_id) DO UPDATE SET " + updates,
                                         path);
    find_ = std::make_unique<Prepared>(db, "SELECT id FROM " + table + " WHERE external_id = ?1", path);
    // Into an empty table every row is new: plain multi-row INSERTs. One
    // that is not (a lookup created its row) fails its statement, which
    // SQLite rolls back whole; its rows then go one by one.
    Prepared probe(db, "SELECT 1 FROM " + table + " LIMIT 1", path);
    const int rc = sqlite3_step(probe.get());
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) throw engine_error(db, rc, path, "cannot read " + table);
    if (rc == SQLITE_DONE) {
      std::string rows;
      for (size_t r = 0; r < kRowsPerInsert; ++r) {
        rows += r ? ",(" : "(";
        for (size_t c = 0; c < width_; ++c) rows += (c ? ",?" : "?") + std::to_string(r * width_ + c + 1);
        rows += ')';
      }
      insert_many_ =
          std::make_unique<Prepared>(db, "INSERT INTO " + table + " (" + names + ") VALUES " + rows, path);
    }
  }

  void stage(const std::string& key, const std::vector<Cell>& cells) override {
    staged_.push_back({&key, &cells});
  }

  void flush(std::vector<WriteOutcome>& out) override {
    out.clear();
    out.resize(staged_.size());
    size_t i = 0;
    while (i < staged_.size()) {
      if (insert_many_ && failed_inserts_ < kMaxFailedInserts && staged_.size() - i >= kRowsPerInsert &&
          insert_run(i, out))
        i += kRowsPerInsert;
      else
        i = write_row(i, out);
    }
    staged_.clear();
  }

  int64_t find(const std::string& key) override {
    sqlite3_stmt* st = find_->get();
    sqlite3_bind_text(st, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
    const int rc = sqlite3_step(st);
    const int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) throw engine_error(db_, rc, path_, "cannot read a row's id");
    return id;
  }

 private:
  struct Staged {
    const std::string* key;
    const std::vector<Cell>* cells;
  };

  void bind_row(sqlite3_stmt* st, int first, const Staged& row) const {
    sqlite3_bind_text(st, first, row.key->data(), static_cast<int>(row.key->size()), SQLITE_STATIC);
    for (size_t c = 0; c + 1 < width_; ++c) {
      const Cell& cell = (*row.cells)[c];
      bind_cell(st, first + 1 + static_cast<int>(c), cell.kind == Cell::Null ? defaults_[c] : cell);
    }
  }

  // kRowsPerInsert rows from `first` in one statement; false when a key is
  // already there (nothing was written).
  bool insert_run(size_t first, std::vector<WriteOutcome>& out) {
    sqlite3_stmt* st = insert_many_->get();
    for (size_t r = 0; r < kRowsPerInsert; ++r)
      bind_row(st, static_cast<int>(r * width_) + 1, staged_[first + r]);
    const int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE) {
      // One statement's rows take consecutive row ids, the last one's last.
      const int64_t last = sqlite3_last_insert_rowid(db_);
      for (size_t r = 0; r < kRowsPerInsert; ++r)
        out[first + r] = {last - static_cast<int64_t>(kRowsPerInsert - 1 - r), true, {}};
      return true;
    }
    // Only a row's own fault rolls back just this statement; anything else
    // (disk full, I/O, memory) may have rolled back the whole transaction.
    if (classify(rc) != Fault::Constraint) throw engine_error(db_, rc, path_, "cannot store rows");
    ++failed_inserts_;
    return false;
  }

  // One row through the upsert; returns the next row's index.
  size_t write_row(size_t i, std::vector<WriteOutcome>& out) {
    sqlite3_stmt* st = upsert_->get();
    bind_row(st, 1, staged_[i]);
    // last_insert_rowid() is per connection and an upsert that updates
    // leaves it alone: a sentinel tells the two apart.
    constexpr sqlite3_int64 kNoInsert = std::numeric_limits<sqlite3_int64>::min();
    sqlite3_set_last_insert_rowid(db_, kNoInsert);
    const int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) {
      const std::string message = sqlite3_errmsg(db_);
      sqlite3_reset(st);
      // A rule of the table broken by this row is the row's fault: a reject.
      if (classify(rc) != Fault::Constraint) throw engine_error(db_, rc, path_, "cannot store a row");
      out[i].error = message;
      return i + 1;
    }
    sqlite3_reset(st);
    const int64_t rowid = sqlite3_last_insert_rowid(db_);
    out[i].inserted = rowid != kNoInsert;
    out[i].id = out[i].inserted ? rowid : find(*staged_[i].key);
    return i + 1;
  }

  sqlite3* db_;
  std::string path_;
  std::vector<Cell> defaults_;
  size_t width_;
  std::unique_ptr<Prepared> upsert_, find_, insert_many_;
  int failed_inserts_ = 0;
  std::vector<Staged> staged_;
};

void exec(sqlite3* db, const std::string& sql, const std::string& path) {
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) throw engine_error(db, rc, path, "cannot run " + shorten_sql(sql, 120));
}

}  // namespace

std::vector<std::string> drop_sqlite_table_indexes(sqlite3* db, const std::string& table,
                                                   const std::string& path) {
  std::vector<std::string> names, created;
  {
    Prepared list(
        db, "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL",
        path);
    sqlite3_bind_text(list.get(), 1, table.data(), static_cast<int>(table.size()), SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(list.get())) == SQLITE_ROW) {
      names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(list.get(), 0)));
      created.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(list.get(), 1)));
    }
    if (rc != SQLITE_DONE) throw engine_error(db, rc, path, "cannot read the table's indexes");
  }
  for (const auto& name : names) exec(db, "DROP INDEX \"" + name + "\"", path);
  return created;
}

// SQLite's sorter sorts runs of cache_size in memory and merges them through
// temp files. Runs that fit the CPU's caches sort about twice as fast as one
// big run of linked records (three 1M-row indexes: 2.9 s -> 1.5 s); a helper
// thread sorts runs while the main one reads the table (-10%).
void build_sqlite_indexes(sqlite3* db, const std::vector<std::string>& statements, int cache_kib,
                          const std::string& path) {
  constexpr int kIndexBuildCacheKiB = 512, kIndexBuildThreads = 2;
  exec(db, "PRAGMA cache_size = -" + std::to_string(kIndexBuildCacheKiB), path);
  exec(db, "PRAGMA threads = " + std::to_string(kIndexBuildThreads), path);
  for (const auto& sql : statements) exec(db, sql, path);
  exec(db, "PRAGMA threads = 0", path);
  exec(db, "PRAGMA cache_size = -" + std::to_string(cache_kib), path);
}

std::unique_ptr<KeyedWriter> make_sqlite_keyed_writer(sqlite3* db, const std::string& table,
                                                      const std::vector<std::string>& columns,
                                                      const std::vector<Cell>& defaults,
                                                      const std::string& path) {
  return std::make_unique<SqliteKeyedWriter>(db, table, columns, defaults, path);
}

}  // namespace tally::store
