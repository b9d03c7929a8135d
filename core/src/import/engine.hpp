// The import engine's parts, shared by the files that implement it: cells
// and plans (evaluate.cpp), the writer of rows (table_writer.cpp), lookups
// (lookup.cpp) and the per-file loop (file_import.cpp). Internal to import/.
// The SQL the import writes stays in table_writer.cpp and lookup.cpp, so a
// store backend can take it over.
#pragma once

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "import/importer.hpp"
#include "import/mapping.hpp"
#include "import/plan.hpp"
#include "import/rejects.hpp"
#include "store/engine_error.hpp"

namespace tally::import {

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

inline double seconds_since(Clock::time_point start) {
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

void bind_cell(sqlite3_stmt* stmt, int index, const Cell& cell);

struct LookupCache {
  std::string table;
  std::string by;
  std::string field;  // `lookup: {field: ...}`: values of this column instead of ids
  bool loaded = false;
  IdMap ids;
  std::unordered_map<std::string, Cell, StringHash, std::equal_to<>> values;  // when `field` is set
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
  std::vector<FieldPlan> shifts;  // the amounts of `plus:` / `minus:`, as spec->shifts
  std::vector<Cell> shift_cells;
  DateColumn dates;  // what this column's dates have shown (auto format)
  std::string scratch;
  int64_t defaulted = 0;
};

// A pair of times of a row that must not run backwards (created before
// closed): reported as a warning with its lines; the row is kept.
struct IntervalCheck {
  int start_cell = -1, end_cell = -1;
  std::string description;  // "closed_at before created_at"
};

struct RowError {
  std::string column;
  std::string reason;
};

// An input record and what the mapping made of it.
struct MappedRow {
  Record record;
  bool rejected = false;
  bool filtered = false;  // left out by the file's `where:`
  RowError error;         // when rejected
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

struct RowBatch;

// UTC 'YYYY-MM-DD HH:MM:SS' now.
std::string now_utc();

// The time pairs of a file's table that it maps both of.
std::vector<IntervalCheck> interval_checks(const FileSpec& spec);

class Importer {
 public:
  Importer(const Mapping& mapping, sqlite3* db, const ImportOptions& options, ImportSummary& summary,
           RejectWriter& rejects, SourceOpener open)
      : mapping_(mapping),
        db_(db),
        options_(options),
        summary_(summary),
        rejects_(rejects),
        open_(std::move(open)) {
    prefix_ = mapping.name_space.empty() ? "" : mapping.name_space + ":";
  }

  // The highest row id of every importable table before the import: rows
  // above it are new, so only rows at or below it count as updated.
  void load_bases();
  // The import's row in the `imports` table, in its transaction.
  void record_import(const std::string& started_at, const std::string& mapping_sha256);

  void write_stages();
  void load_stages();
  void import(PlannedFile& file, FileSummary& out);

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
    int filter_column = -1;  // `where:`
    std::vector<IntervalCheck> intervals = {};
    // The line each row id was first written from by this file (0 = not
    // yet): a later row with the same id is a repeat. 4 bytes per row id.
    std::vector<uint32_t> first_line = {};
    void remember(int64_t row_id, uint64_t line) {
      if (row_id < 0) return;
      if (static_cast<size_t>(row_id) >= first_line.size())
        first_line.resize(static_cast<size_t>(row_id) * 3 / 2 + 64);
      first_line[static_cast<size_t>(row_id)] = static_cast<uint32_t>(std::min<uint64_t>(line, UINT32_MAX));
    }
    uint32_t line_of(int64_t row_id) const {
      return row_id >= 0 && static_cast<size_t>(row_id) < first_line.size()
                 ? first_line[static_cast<size_t>(row_id)]
                 : 0;
    }
  };

  // file_import.cpp
  FieldPlan plan(const FieldSpec& spec, const FileSpec& file, const TableInfo& table,
                 const std::vector<FieldSpec>& siblings);
  static bool looks_up(const FieldPlan& p, const std::string& table);
  static bool can_pipeline(const FileJob& job);
  void collect_defaults(const FieldPlan& p, FileSummary& out);
  void reject(const Record& record, const std::string& column, const std::string& reason);

  // evaluate.cpp: from a record to cells, no store access but lookups
  void map_row(FileJob& job, MappedRow& row);
  bool control_character(const std::vector<std::string>& fields, MappedRow& row) const;
  static bool is_empty_value(std::string_view v, const FieldSpec& s,
                             const std::vector<std::string>& file_empty,
                             const std::vector<std::string>& mapping_empty);
  bool fail(RowError& err, const FieldPlan& p, std::string reason);
  std::string field_name(const FieldPlan& p) const { return p.table + "." + p.spec->target; }
  bool eval(FieldPlan& p, const std::vector<std::string>& rec, std::vector<Cell>& cells, Cell& out,
            RowError& err, uint64_t line = 0);
  bool convert(FieldPlan& p, std::string_view v, const std::vector<std::string>& rec,
               std::vector<Cell>& cells, uint64_t line, Cell& out, RowError& err);
  // The day/month order of a column whose dates so far could be either:
  // read ahead in the file for the first value that settles it; throws a
  // mapping error when none does.
  void settle_date_order(FieldPlan& p);
  enum class Shifted { Ok, Empty, Failed };
  Shifted apply_shifts(FieldPlan& p, const std::vector<std::string>& rec, std::vector<Cell>& cells,
                       DateTime& dt, RowError& err);
  bool passes_filter(const FileJob& job, const std::vector<std::string>& fields) const;
  void check_intervals(FileJob& job, const MappedRow& row);

  // lookup.cpp
  void load_cache(LookupCache& cache);
  bool resolve(FieldPlan& p, const std::vector<std::string>& rec, Cell& out, RowError& err);

  // table_writer.cpp: the SQL of the import's writes
  bool table_is_empty(const std::string& table);
  static bool can_insert_many(const FileJob& job);
  void bind_row(sqlite3_stmt* st, int first, const FileJob& job, const MappedRow& row);
  void insert_run(FileJob& job, RowBatch& batch, size_t first);
  void write_row(FileJob& job, MappedRow& row);
  void exec(const std::string& sql);
  [[noreturn]] void engine_failure(int rc, const std::string& doing);
  void check_transaction();
  bool defer_indexes(uint64_t estimated_rows, const std::string& table);
  std::string error() const { return sqlite3_errmsg(db_); }

  const Mapping& mapping_;
  sqlite3* db_;
  const ImportOptions& options_;
  ImportSummary& summary_;
  RejectWriter& rejects_;
  SourceOpener open_;                     // to read a file ahead (settle_date_order)
  std::map<std::string, int64_t> bases_;  // table -> highest row id before the import
  std::string prefix_;
  std::string import_date_ = today_iso();
  // The connection, created_rows_ and the summaries' `created` counts:
  // held by the writer for each batch and by lookups that create a row.
  std::mutex db_mutex_;
  std::map<std::string, LookupCache> caches_;  // "table.by"; node-based, so pointers stay valid
  std::unordered_map<std::string, std::pair<bool, bool>> stages_;  // name -> closed, won
  std::vector<std::string> stage_names_;
  std::map<std::pair<std::string, int64_t>, FileSummary*> created_rows_;  // by lookups, this import
  PlannedFile* file_ = nullptr;
  FileSummary* summary_file_ = nullptr;

  static std::string today_iso();
};

}  // namespace tally::import
