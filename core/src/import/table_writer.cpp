// The import's writes into the store: stages, upserts one by one or many
// rows per INSERT, deferred index builds. All of its SQL is here and in
// lookup.cpp.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <limits>

#include "import/engine.hpp"
#include "import/pipeline.hpp"
#include "store/sqlite.hpp"
#include "util/date.hpp"

namespace tally::import {

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

void Importer::write_stages() {
  if (mapping_.stages.empty()) return;
  Statement upsert(
      db_,
      "INSERT INTO stages (name, position, probability, is_closed, is_won) VALUES (?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT(name) DO UPDATE SET position = excluded.position, probability = excluded.probability, "
      "is_closed = excluded.is_closed, is_won = excluded.is_won");
  int position = 1;
  for (const auto& s : mapping_.stages) {
    auto* st = upsert.get();
    sqlite3_bind_text(st, 1, s.name.data(), static_cast<int>(s.name.size()), SQLITE_STATIC);
    sqlite3_bind_int(st, 2, position++);
    sqlite3_bind_double(st, 3, s.probability);
    sqlite3_bind_int(st, 4, s.closed ? 1 : 0);
    sqlite3_bind_int(st, 5, s.won ? 1 : 0);
    const int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) engine_failure(rc, "cannot write the stages");
    ++summary_.stages_written;
  }
}

void Importer::load_stages() {
  Statement q(db_, "SELECT name, is_closed, is_won FROM stages ORDER BY position");
  while (q.row("cannot read the stages")) {
    std::string name(reinterpret_cast<const char*>(sqlite3_column_text(q.get(), 0)));
    stage_names_.push_back(name);
    stages_.emplace(name,
                    std::make_pair(sqlite3_column_int(q.get(), 1) != 0, sqlite3_column_int(q.get(), 2) != 0));
  }
}

bool Importer::table_is_empty(const std::string& table) {
  Statement q(db_, "SELECT 1 FROM " + table + " LIMIT 1");
  return !q.row("cannot read the table");
}

// Multi-row inserts leave no row ids to learn: only when no cache wants them.
bool Importer::can_insert_many(const FileJob& job) {
  return job.insert_many.get() && job.failed_inserts < kMaxFailedInserts &&
         std::none_of(job.learn.begin(), job.learn.end(), [](const auto& l) { return l.first->loaded; });
}

void Importer::bind_row(sqlite3_stmt* st, int first, const FileJob& job, const MappedRow& row) {
  const std::string& external_id = row.external_id;
  sqlite3_bind_text(st, first, external_id.data(), static_cast<int>(external_id.size()), SQLITE_STATIC);
  for (size_t i = 0; i < job.plans.size(); ++i) {
    const auto& s = *job.plans[i].spec;
    const int index = first + 1 + static_cast<int>(i);
    if (row.cells[i].kind == Cell::Null && s.has_schema_default)
      sqlite3_bind_text(st, index, s.schema_default.data(), static_cast<int>(s.schema_default.size()),
                        SQLITE_STATIC);
    else
      bind_cell(st, index, row.cells[i]);
  }
}

// kRowsPerInsert mapped rows from `first` in one statement; one by one
// through the upsert when that fails.
void Importer::insert_run(FileJob& job, RowBatch& batch, size_t first) {
  sqlite3_stmt* st = job.insert_many.get();
  const int width = static_cast<int>(job.plans.size()) + 1;
  for (size_t r = 0; r < kRowsPerInsert; ++r)
    bind_row(st, static_cast<int>(r) * width + 1, job, batch.rows[first + r]);
  const int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc == SQLITE_DONE) {
    job.out.read += static_cast<int64_t>(kRowsPerInsert);
    job.out.inserted += static_cast<int64_t>(kRowsPerInsert);
    // One statement's rows take consecutive row ids, the last one's last.
    const int64_t last = sqlite3_last_insert_rowid(db_);
    for (size_t r = 0; r < kRowsPerInsert; ++r) {
      const MappedRow& row = batch.rows[first + r];
      job.remember(last - static_cast<int64_t>(kRowsPerInsert - 1 - r), row.record.line);
      check_intervals(job, row);
    }
    return;
  }
  // Only a row's own fault (an id twice in the file) rolls back just this
  // statement; anything else (disk full, I/O, memory) may have rolled back
  // the whole transaction and ends the import.
  if (store::classify(rc) != store::Fault::Constraint) engine_failure(rc, "cannot store rows");
  ++job.failed_inserts;
  for (size_t r = 0; r < kRowsPerInsert; ++r) write_row(job, batch.rows[first + r]);
}

// The writing half: upserts a mapped row (or records its reject) and
// counts it. Runs with db_mutex_ held.
void Importer::write_row(FileJob& job, MappedRow& row) {
  FileSummary& out = job.out;
  ++out.read;
  if (row.rejected) {
    reject(row.record, row.error.column, row.error.reason);
    return;
  }
  if (row.filtered) {
    ++out.filtered;
    return;
  }
  const std::string& external_id = row.external_id;
  const auto& cells = row.cells;
  // Is the id one this file has written already (a repeat), or one from
  // before this file?
  int64_t existing = -1;
  {
    sqlite3_stmt* find = job.find_id.get();
    sqlite3_bind_text(find, 1, external_id.data(), static_cast<int>(external_id.size()), SQLITE_STATIC);
    if (job.find_id.row("cannot read a row's id")) {
      existing = sqlite3_column_int64(find, 0);
      sqlite3_reset(find);
    }
  }
  bool repeat = false;
  if (const uint32_t first = job.line_of(existing); first != 0) {
    ++out.repeated;
    if (job.spec.on_duplicate == OnDuplicate::Reject) {
      const std::string column = job.spec.id.columns.empty() ? "id" : job.spec.id.columns[0];
      reject(row.record, column,
             "id '" + external_id.substr(prefix_.size()) + "' repeats line " + std::to_string(first) +
                 " (the first row with it): '" + column +
                 "' is not unique; set `on_duplicate: first` or `last` " + "on the file's entry to keep one");
      return;
    }
    if (job.spec.on_duplicate == OnDuplicate::First) return;
    repeat = true;  // `last`: this row's values replace the first's
  }
  sqlite3_stmt* st = job.upsert.get();
  bind_row(st, 1, job, row);
  // last_insert_rowid() is per connection (lookups insert too) and an
  // upsert that updates leaves it alone: a sentinel tells the two apart.
  constexpr sqlite3_int64 kNoInsert = std::numeric_limits<sqlite3_int64>::min();
  sqlite3_set_last_insert_rowid(db_, kNoInsert);
  const int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE) {
    std::string message = error();
    sqlite3_reset(st);
    // A rule of the table broken by this row is the row's fault: a reject.
    // Any other engine error is the store's and ends the import whole.
    if (store::classify(rc) != store::Fault::Constraint) engine_failure(rc, "cannot store a row");
    reject(row.record, "", "cannot store the row: " + message);
    return;
  }
  sqlite3_reset(st);
  const bool inserted = sqlite3_last_insert_rowid(db_) != kNoInsert;
  const int64_t row_id = inserted ? sqlite3_last_insert_rowid(db_) : existing;
  check_intervals(job, row);
  if (repeat) {
    // counted in `repeated`, not again as inserted or updated
  } else if (inserted) {
    ++out.inserted;
    job.remember(row_id, row.record.line);
  } else if (auto c = created_rows_.find({job.spec.table, row_id}); c != created_rows_.end()) {
    // Created by a lookup earlier in this import, now filled from its own
    // file: new to the database, so it counts as inserted, not created.
    ++out.inserted;
    if (--c->second->created[job.spec.table] == 0) c->second->created.erase(job.spec.table);
    created_rows_.erase(c);
    job.remember(row_id, row.record.line);
  } else {
    // Only a row that was there before the import is "updated"; one an
    // earlier file of this import wrote is completed by this one.
    auto base = bases_.find(job.spec.table);
    if (base == bases_.end() || row_id <= base->second)
      ++out.updated;
    else
      ++out.completed;
    job.remember(row_id, row.record.line);
  }
  for (auto& [cache, cell] : job.learn) {
    if (!cache->loaded) continue;
    if (cell < 0)
      cache->ids[external_id] = row_id;
    else if (cells[cell].kind == Cell::Text)
      cache->ids[cells[cell].text] = row_id;
  }
}

void Importer::exec(const std::string& sql) {
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) engine_failure(rc, "cannot run " + store::shorten_sql(sql, 120));
}

void Importer::engine_failure(int rc, const std::string& doing) {
  throw store::engine_error(db_, rc, options_.db_path, doing);
}

// Every write happens inside the import's transaction. The engine rolls
// it back by itself on some faults (disk full, I/O, memory): nothing may
// then be written, as it would be committed on its own.
void Importer::check_transaction() {
  if (sqlite3_get_autocommit(db_))
    throw store::EngineError(store::Fault::Other, 0,
                             "the store rolled back the import's transaction after an error; nothing was "
                             "imported");
}

// Worth it when the file brings enough rows (~200k+) for the rebuild to
// pay, and at least half as many as the table holds: maintaining the
// indexes costs ~10 us per upsert that updates (1M rows, four indexes),
// rebuilding them ~2 us per row of the table.
bool Importer::defer_indexes(uint64_t estimated_rows, const std::string& table) {
  if (estimated_rows < 200000) return false;
  Statement q(db_, "SELECT coalesce(max(rowid), 0) FROM " + table);
  const int64_t existing = q.row("cannot count the table's rows") ? sqlite3_column_int64(q.get(), 0) : 0;
  return static_cast<int64_t>(estimated_rows) >= existing / 2;
}

void Importer::check_intervals(FileJob& job, const MappedRow& row) {
  for (size_t i = 0; i < job.intervals.size(); ++i) {
    const IntervalCheck& check = job.intervals[i];
    const Cell& start = row.cells[static_cast<size_t>(check.start_cell)];
    const Cell& end = row.cells[static_cast<size_t>(check.end_cell)];
    if (start.kind != Cell::Text || end.kind != Cell::Text) continue;
    // ISO texts compare as times; a date against a datetime by the day.
    const size_t n = std::min(start.text.size(), end.text.size());
    if (end.text.compare(0, n, start.text, 0, n) >= 0) continue;
    auto& backwards = job.out.backwards[check.description];
    ++backwards.first;
    if (backwards.second.size() < 10) backwards.second.push_back(row.record.line);
  }
}

void Importer::load_bases() {
  for (const auto& table : importable_tables()) {
    Statement q(db_, "SELECT coalesce(max(rowid), 0) FROM " + table);
    bases_[table] = q.row("cannot read a table's last row id") ? sqlite3_column_int64(q.get(), 0) : 0;
    sqlite3_reset(q.get());
  }
}

std::string now_utc() {
  return format_timestamp(static_cast<int64_t>(std::time(nullptr)));
}

namespace {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char code[8];
      std::snprintf(code, sizeof code, "\\u%04x", c);
      out += code;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string json_array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + json_string(items[i]);
  return out + "]";
}

}  // namespace

void Importer::record_import(const std::string& started_at, const std::string& mapping_sha256) {
  std::vector<std::string> files, tables;
  int64_t read = 0, inserted = 0, updated = 0, rejected = 0, warnings = 0;
  for (const auto& f : summary_.files) {
    if (std::find(files.begin(), files.end(), f.file) == files.end()) files.push_back(f.file);
    if (f.skipped) continue;
    if (std::find(tables.begin(), tables.end(), f.table) == tables.end()) tables.push_back(f.table);
    read += f.read, inserted += f.inserted, updated += f.updated, rejected += f.rejected;
    warnings += f.warnings();
  }
  Statement insert(db_,
                   "INSERT INTO imports (started_at, finished_at, files, tables, mapping_sha256, rows_read, "
                   "inserted, updated, rejected, warnings) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  const std::string finished_at = now_utc();
  const std::string files_json = json_array(files), tables_json = json_array(tables);
  sqlite3_stmt* st = insert.get();
  sqlite3_bind_text(st, 1, started_at.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, finished_at.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, files_json.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 4, tables_json.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 5, mapping_sha256.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 6, read);
  sqlite3_bind_int64(st, 7, inserted);
  sqlite3_bind_int64(st, 8, updated);
  sqlite3_bind_int64(st, 9, rejected);
  sqlite3_bind_int64(st, 10, warnings);
  check_transaction();
  const int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) engine_failure(rc, "cannot record the import");
}

}  // namespace tally::import
