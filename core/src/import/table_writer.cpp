// The import's writes into the store: stages, the rows of each file through
// the store's keyed writer, the record of the import. All of its SQL is here
// and in lookup.cpp; each engine's bulk tricks are behind
// store::ImportStore::keyed_writer().
#include <algorithm>
#include <cstdio>
#include <ctime>

#include "import/engine.hpp"
#include "import/pipeline.hpp"
#include "util/date.hpp"

namespace tally::import {

// Every row gets its id as SQLite gives it (the highest + 1), written out,
// so every engine numbers rows alike (docs/decisions.md).
void Importer::write_stages() {
  if (mapping_.stages.empty()) return;
  auto upsert = db_.prepare(
      "INSERT INTO stages (id, name, position, probability, is_closed, is_won) VALUES ((SELECT "
      "coalesce(max(id), 0) + 1 FROM stages), ?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT(name) DO UPDATE SET position = excluded.position, probability = excluded.probability, "
      "is_closed = excluded.is_closed, is_won = excluded.is_won");
  int64_t position = 1;
  for (const auto& s : mapping_.stages) {
    upsert->bind(1, std::string_view(s.name));
    upsert->bind(2, position++);
    upsert->bind(3, s.probability);
    upsert->bind(4, static_cast<int64_t>(s.closed ? 1 : 0));
    upsert->bind(5, static_cast<int64_t>(s.won ? 1 : 0));
    upsert->execute();
    ++summary_.stages_written;
  }
}

void Importer::load_stages() {
  auto q = db_.prepare("SELECT name, is_closed, is_won FROM stages ORDER BY position");
  auto rows = q->query();
  while (rows->next()) {
    std::string name = std::get<std::string>(rows->get(0));
    stage_names_.push_back(name);
    stages_.emplace(
        name, std::make_pair(std::get<int64_t>(rows->get(1)) != 0, std::get<int64_t>(rows->get(2)) != 0));
  }
}

// The writing half: stages a batch's mapped rows (or records its rejects)
// and counts them once the writer has written them. Runs with db_mutex_ held.
void Importer::write_batch(FileJob& job, RowBatch& batch) {
  std::lock_guard lock(db_mutex_);
  check_transaction();
  for (size_t i = 0; i < batch.size; ++i) {
    MappedRow& row = batch.rows[i];
    if (row.rejected || row.filtered) {
      job.queue.push_back({&row, false, false});
      continue;
    }
    bool repeat = false;
    if (!job.seen.insert(std::hash<std::string_view>{}(row.external_id))) {
      // Perhaps an id this file has written already: the rows before it go
      // in first, then the store tells.
      flush(job);
      if (const uint32_t first = job.line_of(job.writer->find(row.external_id)); first != 0) {
        ++job.out.read;
        ++job.out.repeated;
        if (job.spec.on_duplicate == OnDuplicate::Reject) {
          const std::string column = job.spec.id.columns.empty() ? "id" : job.spec.id.columns[0];
          reject(row.record, column,
                 "id '" + row.external_id.substr(prefix_.size()) + "' repeats line " + std::to_string(first) +
                     " (the first row with it): '" + column +
                     "' is not unique; set `on_duplicate: first` or `last` on the file's entry to keep one");
          continue;
        }
        if (job.spec.on_duplicate == OnDuplicate::First) continue;
        repeat = true;  // `last`: this row's values replace the first's
      }
    }
    job.writer->stage(row.external_id, row.cells);
    job.queue.push_back({&row, true, repeat});
  }
  flush(job);
}

// Writes the staged rows and counts every queued row, in order.
void Importer::flush(FileJob& job) {
  job.writer->flush(job.outcomes);
  size_t next = 0;
  for (auto& q : job.queue) {
    MappedRow& row = *q.row;
    if (!q.staged) {
      ++job.out.read;
      if (row.rejected)
        reject(row.record, row.error.column, row.error.reason);
      else
        ++job.out.filtered;
      continue;
    }
    const store::WriteOutcome& outcome = job.outcomes.at(next++);
    if (q.repeat) --job.out.read;  // counted when it was found to repeat
    written(job, row, outcome, q.repeat);
  }
  job.queue.clear();
}

// Counts one staged row by what the writer did with it.
void Importer::written(FileJob& job, MappedRow& row, const store::WriteOutcome& outcome, bool repeat) {
  FileSummary& out = job.out;
  ++out.read;
  if (!outcome.error.empty()) {
    // A rule of the table broken by this row is the row's fault: a reject.
    reject(row.record, "", "cannot store the row: " + outcome.error);
    return;
  }
  const int64_t row_id = outcome.id;
  check_intervals(job, row);
  if (repeat) {
    // counted in `repeated`, not again as inserted or updated
  } else if (outcome.inserted) {
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
      cache->ids[row.external_id] = row_id;
    else if (row.cells[cell].kind == Cell::Text)
      cache->ids[row.cells[cell].text] = row_id;
  }
}

// Every write happens inside the import's transaction. The engine rolls
// it back by itself on some faults (disk full, I/O, memory): nothing may
// then be written, as it would be committed on its own.
void Importer::check_transaction() {
  if (!db_.in_transaction())
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
  return static_cast<int64_t>(estimated_rows) >= db_.max_id(table) / 2;
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
  for (const auto& table : importable_tables()) bases_[table] = db_.max_id(table);
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
  auto insert = db_.prepare(
      "INSERT INTO imports (id, started_at, finished_at, files, tables, mapping_sha256, rows_read, "
      "inserted, updated, rejected, warnings) VALUES ((SELECT coalesce(max(id), 0) + 1 FROM imports), "
      "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  const std::string finished_at = now_utc();
  insert->bind(1, std::string_view(started_at));
  insert->bind(2, std::string_view(finished_at));
  insert->bind(3, std::string_view(json_array(files)));
  insert->bind(4, std::string_view(json_array(tables)));
  insert->bind(5, std::string_view(mapping_sha256));
  insert->bind(6, read);
  insert->bind(7, inserted);
  insert->bind(8, updated);
  insert->bind(9, rejected);
  insert->bind(10, warnings);
  check_transaction();
  insert->execute();
}

}  // namespace tally::import
