// The import engine: matches files to mapping entries, checks every column
// reference against the headers before anything is written, then maps and
// upserts every record in one transaction (see docs/import.md).
#include "import/importer.hpp"

#include <SQLiteCpp/Database.h>
#include <fnmatch.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "config/detail.hpp"
#include "import/mapping.hpp"
#include "plugins/registry.hpp"
#include "store/engine_error.hpp"
#include "store/sqlite.hpp"
#include "util/date.hpp"

namespace tally::import {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

// The import connection's page cache: big enough for the hot pages of every
// index, fixed so memory does not grow with the file.
constexpr int kImportCacheKiB = 32768;
// SQLite's sorter sorts runs of cache_size in memory and merges them through
// temp files. Runs that fit the CPU's caches sort about twice as fast as one
// big run of linked records (three 1M-row indexes: 2.9 s -> 1.5 s); a
// helper thread sorts runs while the main one reads the table (-10%).
constexpr int kIndexBuildCacheKiB = 512;
constexpr int kIndexBuildThreads = 2;
// Rows per INSERT statement into a table that was empty: one statement's
// fixed cost (step, reset, halt) is then paid once for many rows.
constexpr size_t kRowsPerInsert = 64;
// Failed multi-row INSERTs (duplicate ids within the file) after which the
// file goes on row by row.
constexpr int kMaxFailedInserts = 16;

// Rows handed from the mapping thread to the writer at a time, and batches
// in flight: enough to smooth out the two threads' pace, few enough that
// memory stays flat (about a megabyte of records).
constexpr size_t kRowsPerBatch = 512;
constexpr size_t kBatchesInFlight = 4;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Cell {
  enum Kind : uint8_t { Null, Int, Real, Text };
  Kind kind = Null;
  int64_t i = 0;
  double d = 0;
  std::string text;
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using IdMap = std::unordered_map<std::string, int64_t, StringHash, std::equal_to<>>;

// A prepared statement, reused for every row.
class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, const std::string& sql) : db_(db) {
    const int rc = sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    if (rc != SQLITE_OK)
      throw store::engine_error(db, rc, "",
                                "cannot prepare an import statement (" + store::shorten_sql(sql) + ")");
  }
  Statement(Statement&& o) noexcept : db_(o.db_), stmt_(std::exchange(o.stmt_, nullptr)) {}
  Statement& operator=(Statement&& o) noexcept {
    std::swap(db_, o.db_);
    std::swap(stmt_, o.stmt_);
    return *this;
  }
  ~Statement() {
    if (stmt_) sqlite3_finalize(stmt_);
  }
  sqlite3_stmt* get() const { return stmt_; }
  // sqlite3_step for reads: true on a row, false at the end; any engine
  // error throws (a failed read must never look like the end of a table).
  bool row(const char* doing) {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) {
      sqlite3_reset(stmt_);
      return false;
    }
    sqlite3_reset(stmt_);
    throw store::engine_error(db_, rc, "", doing);
  }

 private:
  sqlite3* db_ = nullptr;
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

std::string csv_quote(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

std::string record_as_csv(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    out += csv_quote(fields[i]);
  }
  return out;
}

std::string format_count(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

struct LookupCache {
  std::string table;
  std::string by;
  bool loaded = false;
  IdMap ids;
};

struct FieldPlan;

struct LookupPlan {
  const LookupSpec* spec = nullptr;
  LookupCache* cache = nullptr;
  std::vector<FieldPlan> create;
  std::vector<Cell> create_cells;
  Statement insert;
  bool by_external_id = false;
  std::string key;
};

struct FieldPlan {
  const FieldSpec* spec = nullptr;
  std::string table;
  std::vector<int> columns;  // indices into the record
  int from = -1;             // index of an earlier cell
  int stage_cell = -1;       // for derive: stage_status
  int when_cell = -1;        // for when: {field: ...}
  bool must_have = false;    // NOT NULL without a schema default
  bool check_stage = false;  // opportunities.stage: one of the known stages
  std::unique_ptr<LookupPlan> lookup;
  std::string scratch;
  int64_t defaulted = 0;
};

// Where each file goes, decided before anything is written.
struct PlannedFile {
  std::string path;
  const FileSpec* spec = nullptr;
  std::string plugin;
  std::unique_ptr<RecordSource> source;
  std::map<std::string, int> header;  // column -> index
  std::vector<std::string> header_names;
};

struct RowError {
  std::string column;
  std::string reason;
};

// An input record and what the mapping made of it.
struct MappedRow {
  Record record;
  bool rejected = false;
  RowError error;  // when rejected
  Cell id_cell;
  std::vector<Cell> cells;  // one per field of the mapping
  std::string external_id;
};

struct RowBatch {
  RowBatch(size_t rows, size_t fields) : rows(rows) {
    for (auto& r : this->rows) r.cells.resize(fields);
  }
  std::vector<MappedRow> rows;
  size_t size = 0;                           // rows in use
  uint64_t bytes_read = 0, bytes_total = 0;  // the input's, after these rows
};

// Batches between the thread that reads and maps records and the one that
// writes them: the mapper takes a free batch, fills it and pushes it; the
// writer takes full batches in order and gives them back. A fixed number of
// batches circulate, so memory stays flat.
class BatchPipe {
 public:
  BatchPipe(size_t batches, size_t rows, size_t fields) {
    for (size_t i = 0; i < batches; ++i) {
      storage_.push_back(std::make_unique<RowBatch>(rows, fields));
      free_.push_back(storage_.back().get());
    }
  }

  // Mapper side. nullptr once the writer has given up.
  RowBatch* take_free() {
    auto t0 = Clock::now();
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return cancelled_ || !free_.empty(); });
    mapper_waited += seconds_since(t0);
    if (cancelled_) return nullptr;
    RowBatch* batch = free_.front();
    free_.pop_front();
    return batch;
  }
  void push_full(RowBatch* batch) { push(full_, batch); }
  // No more batches; `error` (may be null) is rethrown on the writer's side
  // after the batches before it.
  void finish(std::exception_ptr error) {
    {
      std::lock_guard lock(mutex_);
      finished_ = true;
      error_ = std::move(error);
    }
    changed_.notify_all();
  }

  // Writer side. nullptr after the last batch.
  RowBatch* take_full() {
    auto t0 = Clock::now();
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return finished_ || !full_.empty(); });
    writer_waited += seconds_since(t0);
    if (full_.empty()) return nullptr;
    RowBatch* batch = full_.front();
    full_.pop_front();
    return batch;
  }
  void give_back(RowBatch* batch) { push(free_, batch); }
  void cancel() {
    {
      std::lock_guard lock(mutex_);
      cancelled_ = true;
    }
    changed_.notify_all();
  }
  void rethrow_error() {
    if (error_) std::rethrow_exception(error_);
  }

  // Which side sets the pace (-vv).
  double mapper_waited = 0;  // for a free batch: the writer is slower
  double writer_waited = 0;  // for a full batch: mapping is slower

 private:
  void push(std::deque<RowBatch*>& queue, RowBatch* batch) {
    {
      std::lock_guard lock(mutex_);
      queue.push_back(batch);
    }
    changed_.notify_all();
  }

  std::vector<std::unique_ptr<RowBatch>> storage_;
  std::deque<RowBatch*> free_, full_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool finished_ = false;
  bool cancelled_ = false;
  std::exception_ptr error_;
};

class RejectWriter {
 public:
  RejectWriter(std::string path, bool keep_all, bool to_file) : path_(std::move(path)), keep_all_(keep_all) {
    if (to_file) tmp_path_ = path_ + ".partial";
  }
  ~RejectWriter() {
    if (out_.is_open()) out_.close();
    if (!tmp_path_.empty() && !committed_) {
      std::error_code ec;
      fs::remove(tmp_path_, ec);
    }
  }

  void add(Reject reject, ImportSummary& summary) {
    ++count_;
    if (!tmp_path_.empty()) {
      if (!out_.is_open()) {
        out_.open(tmp_path_, std::ios::binary | std::ios::trunc);
        if (!out_) throw std::runtime_error("cannot write rejects to '" + tmp_path_ + "'");
        out_ << "file,line,column,reason,raw\n";
      }
      out_ << csv_quote(reject.file) << ',' << reject.line << ',' << csv_quote(reject.column) << ','
           << csv_quote(reject.reason) << ',' << csv_quote(reject.raw) << '\n';
    }
    if (keep_all_ || summary.rejects.size() < 10) summary.rejects.push_back(std::move(reject));
  }

  // After the commit: the rejects file replaces the last one (or the last
  // one goes, when this import had none).
  void commit(ImportSummary& summary) {
    if (tmp_path_.empty()) return;
    std::error_code ec;
    if (out_.is_open()) {
      out_.close();
      fs::rename(tmp_path_, path_, ec);
      if (ec) {
        // The rows are committed by now: keep the rejects where they are.
        committed_ = true;
        throw std::runtime_error("the import is committed, but its rejects could not be moved to '" + path_ +
                                 "' (" + ec.message() + "); they are in '" + tmp_path_ + "'");
      }
      summary.rejects_path = path_;
    } else {
      fs::remove(path_, ec);
    }
    committed_ = true;
  }

  int64_t count() const { return count_; }

 private:
  std::string path_;
  std::string tmp_path_;
  bool keep_all_;
  bool committed_ = false;
  std::ofstream out_;
  int64_t count_ = 0;
};

class Progress {
 public:
  Progress(bool enabled, std::string name)
      : enabled_(enabled), name_(std::move(name)), start_(Clock::now()) {}
  ~Progress() {
    if (drawn_) std::fprintf(stderr, "\r\033[K");
  }
  void tick(int64_t rows, RecordSource& source) {
    if (!enabled_ || (rows & 4095) != 0) return;
    auto now = Clock::now();
    double elapsed = std::chrono::duration<double>(now - start_).count();
    // Small files finish before a bar would help.
    if (elapsed < 0.5 || now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    uint64_t done = 0, total = 0;
    source.progress(done, total);
    const double rate = rows / elapsed;
    char line[256];
    if (total > 0 && done > 0) {
      const double share = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
      const int filled = static_cast<int>(share * 24);
      const double eta = elapsed * (1 - share) / share;
      std::snprintf(line, sizeof line, "\r%.30s [%-24s] %3d%%  %s rows  %s rows/s  ETA %ds\033[K",
                    name_.c_str(), std::string(filled, '#').c_str(), static_cast<int>(share * 100),
                    format_count(rows).c_str(), format_count(static_cast<int64_t>(rate)).c_str(),
                    static_cast<int>(eta + 0.5));
    } else {
      std::snprintf(line, sizeof line, "\r%.30s  %s rows  %s rows/s\033[K", name_.c_str(),
                    format_count(rows).c_str(), format_count(static_cast<int64_t>(rate)).c_str());
    }
    std::fputs(line, stderr);
    std::fflush(stderr);
    drawn_ = true;
  }

 private:
  bool enabled_;
  std::string name_;
  Clock::time_point start_;
  Clock::time_point last_{};
  bool drawn_ = false;
};

class Importer {
 public:
  Importer(const Mapping& mapping, SQLite::Database& db, const ImportOptions& options, ImportSummary& summary,
           RejectWriter& rejects)
      : mapping_(mapping), db_(db.getHandle()), options_(options), summary_(summary), rejects_(rejects) {
    prefix_ = mapping.name_space.empty() ? "" : mapping.name_space + ":";
    import_date_ = today_utc().iso();
  }

  void write_stages() {
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

  void load_stages() {
    Statement q(db_, "SELECT name, is_closed, is_won FROM stages ORDER BY position");
    while (q.row("cannot read the stages")) {
      std::string name(reinterpret_cast<const char*>(sqlite3_column_text(q.get(), 0)));
      stage_names_.push_back(name);
      stages_.emplace(
          name, std::make_pair(sqlite3_column_int(q.get(), 1) != 0, sqlite3_column_int(q.get(), 2) != 0));
    }
  }

  void import(PlannedFile& file, FileSummary& out) {
    const FileSpec& spec = *file.spec;
    const TableInfo& table = schema_tables().at(spec.table);
    file_ = &file;
    summary_file_ = &out;

    // Plans: the id, then every field in the mapping's order.
    FieldPlan id_plan = plan(spec.id, spec, table, {});
    std::vector<FieldPlan> plans;
    for (const auto& f : spec.fields) plans.push_back(plan(f, spec, table, spec.fields));

    std::string columns = "external_id", values = "?1", updates;
    for (size_t i = 0; i < spec.fields.size(); ++i) {
      const auto& target = spec.fields[i].target;
      columns += ", " + target;
      values += ", ?" + std::to_string(i + 2);
      updates += (i ? ", " : "") + target + " = excluded." + target;
    }
    // No RETURNING: in SQLite it makes every upsert several times slower.
    // An insert's id is last_insert_rowid(); an update's is looked up only
    // when something needs it.
    Statement upsert(db_, "INSERT INTO " + spec.table + " (" + columns + ") VALUES (" + values +
                              ") ON CONFLICT(external_id) DO UPDATE SET " + updates);
    Statement find_id(db_, "SELECT id FROM " + spec.table + " WHERE external_id = ?1");
    // Into an empty table, plain multi-row INSERTs: every row that goes in
    // is new. One that does not (an id twice in the file) fails its
    // statement, which SQLite rolls back whole; its rows then go one by one
    // through the upsert.
    Statement insert_many;
    if (table_is_empty(spec.table)) {
      std::string rows;
      const size_t width = spec.fields.size() + 1;
      for (size_t r = 0; r < kRowsPerInsert; ++r) {
        rows += r ? ",(" : "(";
        for (size_t c = 0; c < width; ++c) rows += (c ? ",?" : "?") + std::to_string(r * width + c + 1);
        rows += ')';
      }
      insert_many = Statement(db_, "INSERT INTO " + spec.table + " (" + columns + ") VALUES " + rows);
    }
    // Lookup caches on this table learn the rows it writes.
    std::vector<std::pair<LookupCache*, int>> learn;  // cache, cell index (-1 = external id)
    for (auto& [key, cache] : caches_) {
      if (cache.table != spec.table) continue;
      if (cache.by == "external_id") {
        learn.emplace_back(&cache, -1);
        continue;
      }
      for (size_t i = 0; i < spec.fields.size(); ++i)
        if (spec.fields[i].target == cache.by) learn.emplace_back(&cache, static_cast<int>(i));
    }

    // A big file into a small table: drop the table's secondary indexes and
    // build them again at the end (one sort instead of a B-tree insert per
    // row and index). Inside the transaction, so a failed or killed import
    // leaves them as they were. The unique external_id index stays: upserts
    // need it.
    std::vector<std::string> deferred_indexes;
    auto drop_indexes = [&] {
      Statement q(
          db_,
          "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL");
      sqlite3_bind_text(q.get(), 1, spec.table.c_str(), -1, SQLITE_TRANSIENT);
      std::vector<std::string> names;
      while (q.row("cannot read the table's indexes")) {
        names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(q.get(), 0)));
        deferred_indexes.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(q.get(), 1)));
      }
      for (const auto& name : names) exec("DROP INDEX \"" + name + "\"");
    };

    FileJob job{spec,
                out,
                std::move(id_plan),
                std::move(plans),
                std::move(upsert),
                std::move(find_id),
                std::move(insert_many),
                std::move(learn),
                file.header_names.size()};
    const auto file_started = Clock::now();
    Progress progress(options_.show_progress, fs::path(file.path).filename().string());
    int64_t mapped = 0;
    // Reads and maps up to a batch of records; false at the end of the input.
    auto map_batch = [&](RowBatch& batch) {
      batch.size = 0;
      bool more = true;
      while (batch.size < batch.rows.size()) {
        MappedRow& row = batch.rows[batch.size];
        if (!file.source->next(row.record)) {
          more = false;
          break;
        }
        ++batch.size;
        progress.tick(++mapped, *file.source);
        map_row(job, row);
      }
      file.source->progress(batch.bytes_read, batch.bytes_total);
      return more;
    };
    auto write_batch = [&](RowBatch& batch) {
      std::lock_guard lock(db_mutex_);
      check_transaction();
      if (!can_insert_many(job)) {
        for (size_t i = 0; i < batch.size; ++i) write_row(job, batch.rows[i]);
        return;
      }
      // Runs of mapped rows go in kRowsPerInsert at a time; rejects and
      // the rest of a run in order, one by one.
      size_t run = 0;  // first row of the current run of mapped rows
      for (size_t i = 0; i <= batch.size; ++i) {
        if (i < batch.size && !batch.rows[i].rejected) {
          if (i + 1 - run == kRowsPerInsert && can_insert_many(job)) {
            insert_run(job, batch, run);
            run = i + 1;
          }
          continue;
        }
        for (; run < i; ++run) write_row(job, batch.rows[run]);
        if (i < batch.size) write_row(job, batch.rows[i]);
        run = i + 1;
      }
    };
    if (can_pipeline(job)) {
      // Two cores: this thread writes while another reads and maps the next
      // rows. A fixed number of batches circulate, so memory stays flat.
      BatchPipe pipe(kBatchesInFlight, kRowsPerBatch, job.plans.size());
      std::thread mapper([&] {
        try {
          for (;;) {
            RowBatch* batch = pipe.take_free();
            if (!batch) return;  // the writer failed
            const bool more = map_batch(*batch);
            pipe.push_full(batch);
            if (!more) break;
          }
          pipe.finish(nullptr);
        } catch (...) {
          pipe.finish(std::current_exception());
        }
      });
      try {
        // The first batch's bytes per row tell how many rows the file has,
        // before anything is written.
        bool first = true;
        while (RowBatch* batch = pipe.take_full()) {
          if (std::exchange(first, false) && batch->size == batch->rows.size() && batch->bytes_read > 0) {
            const auto estimated_rows = static_cast<uint64_t>(static_cast<double>(batch->bytes_total) *
                                                              static_cast<double>(batch->size) /
                                                              static_cast<double>(batch->bytes_read));
            std::lock_guard lock(db_mutex_);
            if (defer_indexes(estimated_rows, spec.table)) drop_indexes();
          }
          write_batch(*batch);
          pipe.give_back(batch);
        }
      } catch (...) {
        pipe.cancel();
        mapper.join();
        throw;
      }
      mapper.join();
      spdlog::debug("import {}: mapping waited {:.2f} s for the writer, the writer {:.2f} s for mapping",
                    spec.table, pipe.mapper_waited, pipe.writer_waited);
      pipe.rethrow_error();
    } else {
      // Lookups into the table being written need each row written before
      // the next is mapped.
      uint64_t done = 0, total = 0;
      file.source->progress(done, total);
      if (defer_indexes(total / 80, spec.table)) drop_indexes();  // ~80 bytes a row
      RowBatch batch(1, job.plans.size());
      for (bool more = true; more;) {
        more = map_batch(batch);
        write_batch(batch);
      }
    }
    if (!deferred_indexes.empty()) {
      spdlog::debug("import {}: {} rows in {:.2f} s", spec.table, out.read, seconds_since(file_started));
      const auto indexes_started = Clock::now();
      exec("PRAGMA cache_size = -" + std::to_string(kIndexBuildCacheKiB));
      exec("PRAGMA threads = " + std::to_string(kIndexBuildThreads));
      for (const auto& sql : deferred_indexes) {
        const auto started = Clock::now();
        exec(sql);
        spdlog::debug("{:.2f} s: {}", seconds_since(started), sql);
      }
      exec("PRAGMA threads = 0");
      exec("PRAGMA cache_size = -" + std::to_string(kImportCacheKiB));
      spdlog::debug("import {}: rebuilt {} indexes in {:.2f} s", spec.table, deferred_indexes.size(),
                    seconds_since(indexes_started));
    }
    collect_defaults(job.id_plan, out);
    for (auto& p : job.plans) collect_defaults(p, out);
  }

 private:
  // A file being imported: its plans and statements.
  struct FileJob {
    const FileSpec& spec;
    FileSummary& out;
    FieldPlan id_plan;
    std::vector<FieldPlan> plans;
    Statement upsert;
    Statement find_id;
    Statement insert_many;  // kRowsPerInsert rows; only into a table empty at the start
    std::vector<std::pair<LookupCache*, int>> learn;  // cache, cell index (-1 = external id)
    size_t width = 0;                                 // fields in the header
    int failed_inserts = 0;
  };

  bool table_is_empty(const std::string& table) {
    Statement q(db_, "SELECT 1 FROM " + table + " LIMIT 1");
    return !q.row("cannot read the table");
  }

  // Multi-row inserts leave no row ids to learn: only when no cache wants them.
  static bool can_insert_many(const FileJob& job) {
    return job.insert_many.get() && job.failed_inserts < kMaxFailedInserts &&
           std::none_of(job.learn.begin(), job.learn.end(), [](const auto& l) { return l.first->loaded; });
  }

  void bind_row(sqlite3_stmt* st, int first, const FileJob& job, const MappedRow& row) {
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
  void insert_run(FileJob& job, RowBatch& batch, size_t first) {
    sqlite3_stmt* st = job.insert_many.get();
    const int width = static_cast<int>(job.plans.size()) + 1;
    for (size_t r = 0; r < kRowsPerInsert; ++r)
      bind_row(st, static_cast<int>(r) * width + 1, job, batch.rows[first + r]);
    const int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE) {
      job.out.read += static_cast<int64_t>(kRowsPerInsert);
      job.out.inserted += static_cast<int64_t>(kRowsPerInsert);
      return;
    }
    // Only a row's own fault (an id twice in the file) rolls back just this
    // statement; anything else (disk full, I/O, memory) may have rolled back
    // the whole transaction and ends the import.
    if (store::classify(rc) != store::Fault::Constraint) engine_failure(rc, "cannot store rows");
    ++job.failed_inserts;
    for (size_t r = 0; r < kRowsPerInsert; ++r) write_row(job, batch.rows[first + r]);
  }

  static bool looks_up(const FieldPlan& p, const std::string& table) {
    if (!p.lookup) return false;
    if (p.lookup->cache->table == table) return true;
    return std::any_of(p.lookup->create.begin(), p.lookup->create.end(),
                       [&](const FieldPlan& c) { return looks_up(c, table); });
  }

  // Mapping may run ahead of writing unless a lookup reads the table the
  // file writes (a row may refer to one written just before it). Lookups
  // into other tables only read caches that the writer never touches;
  // the rows they create are inserted under db_mutex_.
  static bool can_pipeline(const FileJob& job) {
    if (looks_up(job.id_plan, job.spec.table)) return false;
    return std::none_of(job.plans.begin(), job.plans.end(),
                        [&](const FieldPlan& p) { return looks_up(p, job.spec.table); });
  }

  // The mapping half of a row: runs on the mapping thread when pipelined.
  void map_row(FileJob& job, MappedRow& row) {
    const FileSpec& spec = job.spec;
    const auto& fields = row.record.fields;
    row.rejected = false;
    if (fields.size() != job.width) {
      row.rejected = true;
      row.error = {"", "expected " + std::to_string(job.width) + " fields (as in the header), found " +
                           std::to_string(fields.size())};
      return;
    }
    if (control_character(fields, row)) return;
    if (row.cells.size() != job.plans.size()) row.cells.resize(job.plans.size());
    bool ok = eval(job.id_plan, fields, row.cells, row.id_cell, row.error);
    if (ok && row.id_cell.kind == Cell::Null) {
      ok = false;
      row.error = {spec.id.columns.empty() ? "" : spec.id.columns[0], "the id is empty; every row needs one"};
    }
    for (size_t i = 0; ok && i < job.plans.size(); ++i)
      ok = eval(job.plans[i], fields, row.cells, row.cells[i], row.error);
    if (!ok) {
      row.rejected = true;
      return;
    }
    // external_id = namespace prefix + the id as text.
    Cell& id = row.id_cell;
    if (id.kind != Cell::Text) id.text = id.kind == Cell::Int ? std::to_string(id.i) : "";
    row.external_id.assign(prefix_).append(id.text);
  }

  // NUL and the other C0 control characters are never data: a reject naming
  // the column, and the line and column of the character (columns counted in
  // characters from the start of the field; lines from the record's first,
  // for fields that span lines). Tab, LF and CR are allowed: a CSV reader
  // only hands them over inside quoted fields.
  bool control_character(const std::vector<std::string>& fields, MappedRow& row) const {
    for (size_t f = 0; f < fields.size(); ++f) {
      const std::string& v = fields[f];
      for (size_t i = 0; i < v.size(); ++i) {
        const auto c = static_cast<unsigned char>(v[i]);
        if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') continue;
        uint64_t line = row.record.line, column = 1;
        for (size_t k = 0; k < i; ++k) {
          if (v[k] == '\n') {
            ++line;
            column = 1;
          } else if ((static_cast<unsigned char>(v[k]) & 0xC0) != 0x80) {
            ++column;
          }
        }
        char code[8];
        std::snprintf(code, sizeof code, "U+%04X", c);
        const std::string& name =
            f < file_->header_names.size() ? file_->header_names[f] : std::to_string(f + 1);
        row.rejected = true;
        row.error = {name, std::string("control character ") + code + " in column '" + name + "' at line " +
                               std::to_string(line) + ", column " + std::to_string(column) +
                               "; remove it from the file"};
        return true;
      }
    }
    return false;
  }

  // The writing half: upserts a mapped row (or records its reject) and
  // counts it. Runs with db_mutex_ held.
  void write_row(FileJob& job, MappedRow& row) {
    FileSummary& out = job.out;
    ++out.read;
    if (row.rejected) {
      reject(row.record, row.error.column, row.error.reason);
      return;
    }
    const std::string& external_id = row.external_id;
    const auto& cells = row.cells;
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
    int64_t row_id = inserted ? sqlite3_last_insert_rowid(db_) : 0;
    if (!inserted && (!job.learn.empty() || !created_rows_.empty())) {
      sqlite3_stmt* find = job.find_id.get();
      sqlite3_bind_text(find, 1, external_id.data(), static_cast<int>(external_id.size()), SQLITE_STATIC);
      if (job.find_id.row("cannot read a row's id")) row_id = sqlite3_column_int64(find, 0);
      sqlite3_reset(find);
    }
    if (inserted) {
      ++out.inserted;
    } else if (auto c = created_rows_.find({job.spec.table, row_id}); c != created_rows_.end()) {
      // Created by a lookup earlier in this import, now filled from its own
      // file: new to the database, so it counts as inserted, not created.
      ++out.inserted;
      if (--c->second->created[job.spec.table] == 0) c->second->created.erase(job.spec.table);
      created_rows_.erase(c);
    } else {
      ++out.updated;
    }
    for (auto& [cache, cell] : job.learn) {
      if (!cache->loaded) continue;
      if (cell < 0)
        cache->ids[external_id] = row_id;
      else if (cells[cell].kind == Cell::Text)
        cache->ids[cells[cell].text] = row_id;
    }
  }

  void exec(const std::string& sql) {
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) engine_failure(rc, "cannot run " + store::shorten_sql(sql, 120));
  }

  [[noreturn]] void engine_failure(int rc, const std::string& doing) {
    throw store::engine_error(db_, rc, options_.db_path, doing);
  }

  // Every write happens inside the import's transaction. The engine rolls
  // it back by itself on some faults (disk full, I/O, memory): nothing may
  // then be written, as it would be committed on its own.
  void check_transaction() {
    if (sqlite3_get_autocommit(db_))
      throw store::EngineError(store::Fault::Other, 0,
                               "the store rolled back the import's transaction after an error; nothing was "
                               "imported");
  }

  // Worth it when the file brings enough rows (~200k+) for the rebuild to
  // pay, and at least half as many as the table holds: maintaining the
  // indexes costs ~10 us per upsert that updates (1M rows, four indexes),
  // rebuilding them ~2 us per row of the table.
  bool defer_indexes(uint64_t estimated_rows, const std::string& table) {
    if (estimated_rows < 200000) return false;
    Statement q(db_, "SELECT coalesce(max(rowid), 0) FROM " + table);
    const int64_t existing = q.row("cannot count the table's rows") ? sqlite3_column_int64(q.get(), 0) : 0;
    return static_cast<int64_t>(estimated_rows) >= existing / 2;
  }

  std::string error() const { return sqlite3_errmsg(db_); }

  void collect_defaults(const FieldPlan& p, FileSummary& out) {
    if (p.defaulted > 0) {
      const auto& s = *p.spec;
      out.defaulted[p.spec->target] = {
          p.defaulted, s.default_import_date ? "import date " + import_date_ : *s.default_value};
    }
    if (p.lookup)
      for (const auto& c : p.lookup->create) collect_defaults(c, out);
  }

  void reject(const Record& record, const std::string& column, const std::string& reason) {
    ++summary_file_->rejected;
    Reject r{fs::path(file_->path).filename().string(), record.line, column, reason,
             record_as_csv(record.fields)};
    if (options_.strict)
      throw std::runtime_error("--strict: " + file_->path + ":" + std::to_string(record.line) + ": " +
                               (column.empty() ? "" : "column '" + column + "': ") + reason +
                               "; nothing was imported");
    rejects_.add(std::move(r), summary_);
  }

  FieldPlan plan(const FieldSpec& spec, const FileSpec& file, const TableInfo& table,
                 const std::vector<FieldSpec>& siblings) {
    FieldPlan p;
    p.spec = &spec;
    p.table = table.name;
    for (const auto& c : spec.columns) p.columns.push_back(file_->header.at(c));
    if (!spec.from.empty())
      for (size_t i = 0; i < siblings.size(); ++i)
        if (siblings[i].target == spec.from && &siblings[i] != &spec) p.from = static_cast<int>(i);
    if (spec.derive_stage_status)
      for (size_t i = 0; i < siblings.size(); ++i)
        if (siblings[i].target == "stage") p.stage_cell = static_cast<int>(i);
    if (!spec.when_field.empty())
      for (size_t i = 0; i < siblings.size(); ++i)
        if (siblings[i].target == spec.when_field && &siblings[i] != &spec) p.when_cell = static_cast<int>(i);
    if (const ColumnInfo* c = table.find(spec.target))
      p.must_have = c->not_null && !c->default_value && spec.target != "id";
    if (spec.target == "external_id") p.must_have = true;
    p.check_stage = table.name == "opportunities" && spec.target == "stage";
    if (spec.lookup) {
      const LookupSpec& l = *spec.lookup;
      auto lp = std::make_unique<LookupPlan>();
      lp->spec = &l;
      auto& cache = caches_[l.table + "." + l.by];
      cache.table = l.table;
      cache.by = l.by;
      lp->cache = &cache;
      lp->by_external_id = l.by == "external_id";
      if (l.create) {
        const TableInfo& target = schema_tables().at(l.table);
        std::vector<std::string> cols = {l.by};
        if (l.by != "name" && target.find("name") &&
            std::none_of(l.create_fields.begin(), l.create_fields.end(),
                         [](auto& f) { return f.target == "name"; }))
          cols.push_back("name");
        if (l.by != "external_id" && target.has_external_id()) cols.push_back("external_id");
        for (const auto& f : l.create_fields) {
          lp->create.push_back(plan(f, file, target, {}));
          cols.push_back(f.target);
        }
        std::string sql = "INSERT INTO " + l.table + " (";
        for (size_t i = 0; i < cols.size(); ++i) sql += (i ? ", " : "") + cols[i];
        sql += ") VALUES (";
        for (size_t i = 0; i < cols.size(); ++i) sql += (i ? ", ?" : "?") + std::to_string(i + 1);
        lp->insert = Statement(db_, sql + ")");
        lp->create_cells.resize(l.create_fields.size());
      }
      p.lookup = std::move(lp);
    }
    return p;
  }

  static bool is_empty_value(std::string_view v, const FieldSpec& s,
                             const std::vector<std::string>& file_empty,
                             const std::vector<std::string>& mapping_empty) {
    if (v.empty()) return true;
    for (const auto* list : {&s.empty_values, &file_empty, &mapping_empty})
      for (const auto& e : *list)
        if (iequals(v, e)) return true;
    return false;
  }

  bool fail(RowError& err, const FieldPlan& p, std::string reason) {
    err.column = p.spec->columns.empty() ? p.spec->target : p.spec->columns[0];
    err.reason = std::move(reason);
    return false;
  }

  std::string field_name(const FieldPlan& p) const { return p.table + "." + p.spec->target; }

  bool eval(FieldPlan& p, const std::vector<std::string>& rec, std::vector<Cell>& cells, Cell& out,
            RowError& err) {
    const FieldSpec& s = *p.spec;
    if (s.derive_stage_status) {
      const Cell& stage = cells[p.stage_cell];
      out.kind = Cell::Text;
      auto it = stage.kind == Cell::Text ? stages_.find(stage.text) : stages_.end();
      out.text = it == stages_.end() ? "open"
                 : it->second.second ? "won"
                 : it->second.first  ? "lost"
                                     : "open";
      return true;
    }
    if (p.when_cell >= 0) {
      const Cell& c = cells[p.when_cell];
      if (c.kind != Cell::Text ||
          std::find(s.when_values.begin(), s.when_values.end(), c.text) == s.when_values.end()) {
        out.kind = Cell::Null;
        return true;
      }
    }
    std::string_view v;
    bool empty = true;
    std::string_view source_column;
    if (s.constant) {
      v = *s.constant;
      empty = v.empty();
    } else if (p.from >= 0) {
      const Cell& c = cells[p.from];
      empty = c.kind == Cell::Null;
      if (c.kind == Cell::Text) v = c.text;
      if (c.kind == Cell::Int) p.scratch = std::to_string(c.i), v = p.scratch;
      if (c.kind == Cell::Real) p.scratch = tally::detail::format_number(c.d), v = p.scratch;
    } else {
      for (size_t k = 0; k < p.columns.size(); ++k) {
        std::string_view x = rec[p.columns[k]];
        if (s.trim) x = trim(x);
        if (!is_empty_value(x, s, file_->spec->empty_values, mapping_.empty_values)) {
          v = x;
          empty = false;
          source_column = s.columns[k];
          break;
        }
      }
    }
    if (!empty && s.fold != CaseFold::None) {
      p.scratch.assign(v);
      if (s.fold == CaseFold::Lower)
        to_lower(p.scratch);
      else
        to_upper(p.scratch);
      v = p.scratch;
    }
    if (!empty && !s.value_map.empty()) {
      bool hit = false;
      for (const auto& [from, to] : s.value_map) {
        if (iequals(from, v)) {
          v = to;
          hit = true;
          break;
        }
      }
      if (!hit && s.otherwise) v = *s.otherwise;
      empty = v.empty();
    }
    if (empty) {
      if (s.default_import_date) {
        v = import_date_;
      } else if (s.default_value) {
        v = *s.default_value;
      } else if (s.required || p.must_have) {
        return fail(
            err, p,
            field_name(p) + " is required but " +
                (s.columns.empty() ? std::string("the value is empty") : "'" + s.columns[0] + "' is empty") +
                "; give the field a `default:` in the mapping to fill it");
      } else {
        out.kind = Cell::Null;
        return true;
      }
      ++p.defaulted;
    }
    if (!convert(p, v, out, err)) return false;
    if (!s.allowed.empty() && out.kind == Cell::Text &&
        std::find(s.allowed.begin(), s.allowed.end(), out.text) == s.allowed.end())
      return fail(err, p,
                  "'" + out.text + "' is not a valid " + field_name(p) +
                      " (valid: " + tally::detail::join(s.allowed) + "); add it to the field's `map:`");
    if (p.check_stage && out.kind == Cell::Text && !stages_.count(out.text))
      return fail(err, p,
                  "stage '" + out.text + "' is not one of the pipeline's stages (" +
                      tally::detail::join(stage_names_) + "); declare it under `stages:` or map it");
    if (p.lookup) return resolve(p, rec, out, err);
    return true;
  }

  bool convert(FieldPlan& p, std::string_view v, Cell& out, RowError& err) {
    const FieldSpec& s = *p.spec;
    std::string problem;
    double number = 0;
    switch (s.type) {
      case ValueType::Text:
        out.kind = Cell::Text;
        out.text.assign(v);
        return true;
      case ValueType::Bool: {
        bool b = false;
        if (!parse_bool(v, b, problem)) return fail(err, p, problem);
        out.kind = Cell::Int;
        out.i = b ? 1 : 0;
        return true;
      }
      case ValueType::Date:
      case ValueType::DateTime: {
        DateTime dt;
        if (!s.date_format.parse(v, dt, problem)) return fail(err, p, problem);
        out.kind = Cell::Text;
        if (s.type == ValueType::Date)
          format_date(dt, out.text);
        else
          format_datetime(dt, out.text);
        return true;
      }
      case ValueType::Int: {
        int64_t i = 0;
        if (!parse_integer(v, s.number_format, i, problem)) return fail(err, p, problem);
        number = static_cast<double>(i);
        break;
      }
      case ValueType::Number:
        if (!parse_number(v, s.number_format, number, problem)) return fail(err, p, problem);
        break;
      case ValueType::Money:
        if (!parse_money(v, s.number_format, number, problem)) return fail(err, p, problem);
        break;
      case ValueType::Percent:
        if (!parse_percent(v, s.number_format, number, problem)) return fail(err, p, problem);
        break;
    }
    number *= s.scale;
    if ((s.min && number < *s.min) || (s.max && number > *s.max))
      return fail(err, p,
                  field_name(p) + " " + tally::detail::format_number(number) + " is outside " +
                      (s.min ? tally::detail::format_number(*s.min) : "") + ".." +
                      (s.max ? tally::detail::format_number(*s.max) : "") +
                      (p.spec->target == "probability" ? " (for 0-100 values use type: percent)" : ""));
    if (!s.bands.empty()) {
      for (const auto& band : s.bands) {
        if (!band.below || number < *band.below) {
          out.kind = Cell::Text;
          out.text = band.value;
          return true;
        }
      }
      return fail(err, p,
                  tally::detail::format_number(number) + " is above every band of " + field_name(p) +
                      "; add a last band without `below`");
    }
    if (s.type == ValueType::Int) {
      out.kind = Cell::Int;
      out.i = static_cast<int64_t>(std::llround(number));
    } else {
      out.kind = Cell::Real;
      out.d = number;
    }
    return true;
  }

  void load_cache(LookupCache& cache) {
    Statement q(db_, "SELECT " + cache.by + ", id FROM " + cache.table + " WHERE " + cache.by +
                         " IS NOT NULL ORDER BY id");
    while (q.row("cannot read a lookup table")) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(q.get(), 0));
      cache.ids.emplace(std::string(text, static_cast<size_t>(sqlite3_column_bytes(q.get(), 0))),
                        sqlite3_column_int64(q.get(), 1));
    }
    cache.loaded = true;
  }

  bool resolve(FieldPlan& p, const std::vector<std::string>& rec, Cell& out, RowError& err) {
    LookupPlan& l = *p.lookup;
    std::string_view key;
    if (out.kind == Cell::Text) {
      key = out.text;
    } else {
      l.key = out.kind == Cell::Int ? std::to_string(out.i) : tally::detail::format_number(out.d);
      key = l.key;
    }
    if (l.by_external_id) {
      l.key = prefix_ + std::string(key);
      key = l.key;
    }
    if (!l.cache->loaded) {
      std::lock_guard lock(db_mutex_);
      load_cache(*l.cache);
    }
    if (auto it = l.cache->ids.find(key); it != l.cache->ids.end()) {
      out.kind = Cell::Int;
      out.i = it->second;
      return true;
    }
    const LookupSpec& spec = *l.spec;
    if (!spec.create)
      return fail(err, p,
                  "no " + spec.table + " row has " + spec.by + " '" + std::string(key) +
                      "'; import it first, fix the value with a `map:`, or set `create: true` on the lookup");
    // Create the referenced row on first sight. Its fields first: their own
    // lookups take the lock.
    const std::string key_copy(key);
    for (size_t i = 0; i < l.create.size(); ++i)
      if (!eval(l.create[i], rec, l.create_cells, l.create_cells[i], err)) return false;
    std::lock_guard lock(db_mutex_);
    sqlite3_stmt* st = l.insert.get();
    int n = 1;
    sqlite3_bind_text(st, n++, key_copy.data(), static_cast<int>(key_copy.size()), SQLITE_STATIC);
    const TableInfo& target = schema_tables().at(spec.table);
    const bool name_too = spec.by != "name" && target.find("name") &&
                          std::none_of(spec.create_fields.begin(), spec.create_fields.end(),
                                       [](auto& f) { return f.target == "name"; });
    if (name_too)
      sqlite3_bind_text(st, n++, key_copy.data(), static_cast<int>(key_copy.size()), SQLITE_STATIC);
    std::string external_id = prefix_ + key_copy;
    if (spec.by != "external_id" && target.has_external_id())
      sqlite3_bind_text(st, n++, external_id.data(), static_cast<int>(external_id.size()), SQLITE_STATIC);
    for (size_t i = 0; i < l.create.size(); ++i) {
      const auto& s = *l.create[i].spec;
      if (l.create_cells[i].kind == Cell::Null && s.has_schema_default)
        sqlite3_bind_text(st, n++, s.schema_default.data(), static_cast<int>(s.schema_default.size()),
                          SQLITE_STATIC);
      else
        bind_cell(st, n++, l.create_cells[i]);
    }
    check_transaction();
    const int rc = sqlite3_step(st);
    const std::string message = rc == SQLITE_DONE ? std::string() : error();
    sqlite3_reset(st);
    if (rc != SQLITE_DONE && store::classify(rc) != store::Fault::Constraint)
      engine_failure(rc, "cannot create the " + spec.table + " row '" + key_copy + "'");
    if (rc != SQLITE_DONE)
      return fail(err, p, "cannot create the " + spec.table + " row '" + key_copy + "': " + message);
    const int64_t id = sqlite3_last_insert_rowid(db_);
    l.cache->ids.emplace(key_copy, id);
    ++summary_file_->created[spec.table];
    created_rows_.emplace(std::make_pair(spec.table, id), summary_file_);
    out.kind = Cell::Int;
    out.i = id;
    return true;
  }

  const Mapping& mapping_;
  sqlite3* db_;
  const ImportOptions& options_;
  ImportSummary& summary_;
  RejectWriter& rejects_;
  std::string prefix_;
  std::string import_date_;
  // The connection, created_rows_ and the summaries' `created` counts:
  // held by the writer for each batch and by lookups that create a row.
  std::mutex db_mutex_;
  std::map<std::string, LookupCache> caches_;  // "table.by"; node-based, so pointers stay valid
  std::unordered_map<std::string, std::pair<bool, bool>> stages_;  // name -> closed, won
  std::vector<std::string> stage_names_;
  std::map<std::pair<std::string, int64_t>, FileSummary*> created_rows_;  // by lookups, this import
  PlannedFile* file_ = nullptr;
  FileSummary* summary_file_ = nullptr;
};

void collect_lookup_tables(const FieldSpec& f, std::set<std::string>& out) {
  if (!f.lookup) return;
  out.insert(f.lookup->table);
  for (const auto& c : f.lookup->create_fields) collect_lookup_tables(c, out);
}

// Entries ordered so the tables a file looks up are loaded before it.
std::vector<const FileSpec*> order_entries(const Mapping& mapping) {
  std::vector<const FileSpec*> remaining;
  for (const auto& f : mapping.files) remaining.push_back(&f);
  std::vector<const FileSpec*> ordered;
  while (!remaining.empty()) {
    size_t pick = 0;  // on a cycle, the mapping's order decides
    for (size_t i = 0; i < remaining.size(); ++i) {
      std::set<std::string> needs;
      collect_lookup_tables(remaining[i]->id, needs);
      for (const auto& f : remaining[i]->fields) collect_lookup_tables(f, needs);
      bool blocked = std::any_of(remaining.begin(), remaining.end(), [&](const FileSpec* other) {
        return other != remaining[i] && !other->skip && other->table != remaining[i]->table &&
               needs.count(other->table);
      });
      if (!blocked) {
        pick = i;
        break;
      }
    }
    ordered.push_back(remaining[pick]);
    remaining.erase(remaining.begin() + static_cast<long>(pick));
  }
  return ordered;
}

}  // namespace

ImportSummary run_import(const ImportOptions& opts, const SourceOpener& open,
                         const std::vector<std::pair<std::string, std::string>>& extension_plugins) {
  const auto started = Clock::now();
  Mapping mapping = parse_mapping_file(opts.mapping_path);
  std::vector<Diagnostic> problems;
  if (opts.files.empty()) throw std::runtime_error("no input files given");

  // Which entry reads which file: the first whose pattern matches its name.
  std::vector<std::pair<const FileSpec*, std::string>> matched;
  for (const auto& path : opts.files) {
    const std::string name = fs::path(path).filename().string();
    const FileSpec* entry = nullptr;
    for (const auto& f : mapping.files)
      if (f.pattern == name || fnmatch(f.pattern.c_str(), name.c_str(), 0) == 0) {
        entry = &f;
        break;
      }
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      problems.push_back({{path, 0, 0}, fs::exists(path, ec) ? "not a regular file" : "no such file"});
    } else if (!entry) {
      std::vector<std::string> patterns;
      for (const auto& f : mapping.files) patterns.push_back(f.pattern);
      problems.push_back({{path, 0, 0},
                          "no entry of " + opts.mapping_path + " matches '" + name + "' (entries: " +
                              tally::detail::join(patterns) + "); add one, or `" + name + ": {skip: true}`"});
    } else {
      matched.emplace_back(entry, path);
    }
  }
  if (!problems.empty()) throw DiagnosticError(std::move(problems));

  ImportSummary summary;
  summary.dry_run = opts.dry_run;
  std::vector<PlannedFile> planned;
  for (const FileSpec* entry : order_entries(mapping)) {
    for (const auto& [spec, path] : matched) {
      if (spec != entry) continue;
      if (spec->skip) {
        FileSummary s;
        s.file = path;
        s.skipped = true;
        summary.files.push_back(s);
        continue;
      }
      PlannedFile p;
      p.path = path;
      p.spec = spec;
      p.plugin = !spec->source.empty() ? spec->source : mapping.source;
      if (p.plugin.empty()) {
        std::string ext = fs::path(path).extension().string();
        if (!ext.empty()) ext = ext.substr(1);
        for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        for (const auto& [e, plugin] : extension_plugins)
          if (e == ext) p.plugin = plugin;
        if (p.plugin.empty()) {
          problems.push_back(
              {{path, 0, 0},
               "no source plugin reads '." + ext + "' files; set `source:` in the mapping's entry for it"});
          continue;
        }
      }
      planned.push_back(std::move(p));
    }
  }
  if (!problems.empty()) throw DiagnosticError(std::move(problems));

  // Open every input and check every referenced column before writing.
  for (auto& p : planned) {
    p.source = open(p.plugin, p.path);
    p.header_names = p.source->columns();
    for (size_t i = 0; i < p.header_names.size(); ++i)
      p.header.emplace(p.header_names[i], static_cast<int>(i));
    std::set<std::string> duplicated;
    std::set<std::string> seen;
    for (const auto& n : p.header_names)
      if (!seen.insert(n).second) duplicated.insert(n);
    FileSpec& spec = const_cast<FileSpec&>(*p.spec);
    for_each_column_ref(spec, [&](FieldSpec& f, size_t i) {
      const std::string& column = f.columns[i];
      if (!p.header.count(column)) {
        problems.push_back({f.column_where[i], "column '" + column + "' is not in " +
                                                   fs::path(p.path).filename().string() + "; " +
                                                   tally::detail::did_you_mean(column, p.header_names) +
                                                   "its columns: " + tally::detail::join(p.header_names)});
      } else if (duplicated.count(column)) {
        problems.push_back({f.column_where[i], "column '" + column + "' appears more than once in " +
                                                   fs::path(p.path).filename().string() + "; rename one"});
      }
    });
  }
  if (!problems.empty()) throw DiagnosticError(std::move(problems));

  // A dry run never creates the database: without one it runs in memory.
  std::error_code ec;
  const bool existed = fs::exists(opts.db_path, ec);
  const bool in_memory = opts.dry_run && !existed;
  store::WriteOptions write_options;
  write_options.busy_timeout_ms = opts.busy_timeout_ms;
  write_options.vfs = opts.test_vfs;
  // A database this import creates goes again when the import fails.
  auto remove_created = [&] {
    if (existed || in_memory) return;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(opts.db_path + suffix, ec);
  };
  auto db = [&] {
    try {
      return store::open_for_writing(in_memory ? ":memory:" : opts.db_path, true, write_options);
    } catch (...) {
      remove_created();
      throw;
    }
  }();
  // The engine's errors before the transaction, in words.
  auto engine = [&](auto&& step) {
    try {
      step();
    } catch (const SQLite::Exception& e) {
      db = SQLite::Database(":memory:", SQLite::OPEN_READWRITE);
      remove_created();
      throw store::engine_error(e.getExtendedErrorCode(), e.what(), opts.db_path, "cannot import");
    }
  };
  engine([&] {
    if (!in_memory) {
      // Its own connection, once the store has created and migrated the file:
      // without SQLite's per-call mutex (7% of the instructions of an import),
      // as one thread at a time uses it (Importer::db_mutex_).
      SQLite::Database unlocked(opts.db_path, SQLite::OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                                opts.busy_timeout_ms, opts.test_vfs);
      store::register_functions(unlocked);
      db = std::move(unlocked);
    }
    // Safe against a killed process (the journal stays on); sync only at commit.
    db.exec("PRAGMA synchronous = NORMAL");
    // A fixed page cache; index rebuilds spill to temp files beyond it, so
    // memory stays flat however big the file.
    db.exec("PRAGMA cache_size = -" +
            std::to_string(opts.test_cache_kib > 0 ? opts.test_cache_kib : kImportCacheKiB));
  });
  // Into a database this import creates, a rollback journal: pages appended
  // to the file need no journal, so the rows are written once, where WAL
  // writes them twice (the log, then the checkpoint; 0.9 s of 6 for 1M rows).
  // A killed import leaves a hot journal that the next open rolls back.
  // Back to WAL after the commit. Stays WAL if another connection has the
  // file open (the switch needs it alone).
  bool rollback_journal = false;
  if (!existed && !in_memory)
    engine([&] {
      SQLite::Statement mode(db, "PRAGMA journal_mode = DELETE");
      rollback_journal = mode.executeStep() && mode.getColumn(0).getString() == "delete";
    });

  RejectWriter rejects(opts.db_path + ".rejects.csv", opts.dry_run, !opts.dry_run);
  bool in_transaction = false;
  bool committed = false;  // from here on, the database holds this import's rows: never remove it
  try {
    db.exec("BEGIN IMMEDIATE");
    in_transaction = true;
    Importer importer(mapping, db, opts, summary, rejects);
    importer.write_stages();
    importer.load_stages();
    for (auto& p : planned) {
      FileSummary s;
      s.file = p.path;
      s.table = p.spec->table;
      importer.import(p, s);
      p.source.reset();  // close the file
      summary.files.push_back(std::move(s));
    }
    if (opts.dry_run) {
      db.exec("ROLLBACK");
    } else {
      // The planner's statistics for the tables this import changed, in the
      // same transaction (docs/decisions.md: stale row counts make SQLite
      // join from the wrong side). Only those tables: a small import into a
      // big store stays quick.
      std::set<std::string> changed;
      for (const auto& f : summary.files) {
        if (!f.table.empty() && f.inserted + f.updated > 0) changed.insert(f.table);
        for (const auto& [table, n] : f.created)
          if (n > 0) changed.insert(table);
      }
      if (summary.stages_written > 0) changed.insert("stages");
      const auto analyze_started = Clock::now();
      store::refresh_statistics(db, {changed.begin(), changed.end()});
      spdlog::debug("import: statistics for {} table(s) in {:.2f} s", changed.size(),
                    seconds_since(analyze_started));
      const auto commit_started = Clock::now();
      db.exec("COMMIT");
      in_transaction = false;
      committed = true;
      spdlog::debug("import: commit in {:.2f} s", seconds_since(commit_started));
      // Best effort, never an error: the rows are committed, and the next
      // open for writing sets WAL anyway.
      if (rollback_journal)
        sqlite3_exec(db.getHandle(), "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
      rejects.commit(summary);
    }
    in_transaction = false;
  } catch (...) {
    if (in_transaction && !sqlite3_get_autocommit(db.getHandle())) {
      try {
        db.exec("ROLLBACK");
      } catch (...) {
      }
    }
    if (!existed && !in_memory && !committed) {
      // This import created the file and did not commit: leave nothing behind.
      db = SQLite::Database(":memory:", SQLite::OPEN_READWRITE);
      remove_created();
    }
    // Engine faults, in words, and what became of the store.
    const std::string outcome = committed ? ""
                                : existed ? "; nothing was imported, the store is as it was"
                                          : "; nothing was imported";
    try {
      throw;
    } catch (const SQLite::Exception& e) {
      const auto error =
          store::engine_error(e.getExtendedErrorCode(), e.what(), opts.db_path, "cannot import");
      throw store::EngineError(error.fault(), error.code(), error.what() + outcome);
    } catch (const store::EngineError& e) {
      const std::string text = e.what();
      throw store::EngineError(
          e.fault(), e.code(),
          text.find("nothing was imported") == std::string::npos ? text + outcome : text);
    }
  }
  // Skipped files were listed first; keep the order the files were imported in.
  std::stable_partition(summary.files.begin(), summary.files.end(), [](const auto& f) { return !f.skipped; });
  summary.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return summary;
}

ImportSummary run_import(const ImportOptions& opts, plugins::Registry& registry) {
  std::vector<std::pair<std::string, std::string>> extensions;
  for (const auto* m : registry.all())
    if (m->kind == plugins::Kind::Source)
      for (const auto& e : m->extensions) extensions.emplace_back(e, m->name);
  return run_import(
      opts,
      [&](const std::string& plugin, const std::string& path) { return open_source(registry, plugin, path); },
      extensions);
}

std::string format_summary(const ImportSummary& summary) {
  std::ostringstream out;
  size_t width = 4;
  for (const auto& f : summary.files) width = std::max(width, fs::path(f.file).filename().string().size());
  char line[512];
  std::snprintf(line, sizeof line, "%-*s  %-14s %10s %10s %10s %10s\n", static_cast<int>(width), "file",
                "table", "read", "inserted", "updated", "rejected");
  out << line;
  int64_t read = 0, inserted = 0, updated = 0, rejected = 0;
  for (const auto& f : summary.files) {
    const std::string name = fs::path(f.file).filename().string();
    if (f.skipped) {
      std::snprintf(line, sizeof line, "%-*s  %-14s %10s\n", static_cast<int>(width), name.c_str(),
                    "(skipped)", "-");
      out << line;
      continue;
    }
    std::snprintf(line, sizeof line, "%-*s  %-14s %10s %10s %10s %10s\n", static_cast<int>(width),
                  name.c_str(), f.table.c_str(), format_count(f.read).c_str(),
                  format_count(f.inserted).c_str(), format_count(f.updated).c_str(),
                  format_count(f.rejected).c_str());
    out << line;
    read += f.read, inserted += f.inserted, updated += f.updated, rejected += f.rejected;
  }
  std::snprintf(line, sizeof line, "%-*s  %-14s %10s %10s %10s %10s\n", static_cast<int>(width), "total", "",
                format_count(read).c_str(), format_count(inserted).c_str(), format_count(updated).c_str(),
                format_count(rejected).c_str());
  out << line;
  for (const auto& f : summary.files) {
    const std::string name = fs::path(f.file).filename().string();
    for (const auto& [table, n] : f.created)
      out << "  " << name << ": created " << format_count(n) << " " << table << " row" << (n == 1 ? "" : "s")
          << " on first sight (lookup with create)\n";
    for (const auto& [field, d] : f.defaulted)
      out << "  " << name << ": " << f.table << "." << field << " was empty on " << format_count(d.first)
          << " row" << (d.first == 1 ? "" : "s") << "; set to " << d.second << " (the mapping's default)\n";
  }
  if (summary.dry_run) {
    for (const auto& r : summary.rejects)
      out << "reject " << r.file << ":" << r.line << (r.column.empty() ? "" : " column '" + r.column + "'")
          << ": " << r.reason << "\n";
    out << "dry run: nothing was written";
    if (rejected > 0) out << " (" << format_count(rejected) << " rows would be rejected)";
    out << "\n";
  } else {
    if (rejected > 0) {
      for (const auto& r : summary.rejects)
        out << "reject " << r.file << ":" << r.line << (r.column.empty() ? "" : " column '" + r.column + "'")
            << ": " << r.reason << "\n";
      if (static_cast<int64_t>(summary.rejects.size()) < rejected)
        out << "... and " << format_count(rejected - static_cast<int64_t>(summary.rejects.size()))
            << " more\n";
      out << format_count(rejected) << " rejected row" << (rejected == 1 ? "" : "s") << " written to "
          << summary.rejects_path << "\n";
    }
    std::snprintf(
        line, sizeof line, "imported %s rows in %.2f s (%s rows/s)\n", format_count(read).c_str(),
        summary.seconds,
        format_count(summary.seconds > 0 ? static_cast<int64_t>(read / summary.seconds) : 0).c_str());
    out << line;
  }
  return out.str();
}

}  // namespace tally::import
