// The import engine's parts, shared by the files that implement it: cells
// and plans (evaluate.cpp), the writer of rows (table_writer.cpp), lookups
// (lookup.cpp) and the per-file loop (file_import.cpp). Internal to import/.
// Every write goes through the store's interface (store/store.hpp): the
// SQL the import runs stays in table_writer.cpp and lookup.cpp, and each
// engine's bulk tricks behind Store::keyed_writer().
#pragma once

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
#include "store/store.hpp"

namespace tally::import {

using Clock = std::chrono::steady_clock;

// Batches in flight between the mapping thread and the writer: enough to
// smooth out the two threads' pace, few enough that memory stays flat. The
// rows per batch are the store's (Store::import_batch_rows()).
constexpr size_t kBatchesInFlight = 4;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

using Cell = store::Cell;

// A set of 64-bit hashes, open addressing: 8 to 16 bytes an entry (a
// node-based set takes 40). 0 stands for the empty slot, so hash 0 is kept as 1.
class HashSet64 {
 public:
  // True when `h` was not there yet.
  bool insert(uint64_t h) {
    if (h == 0) h = 1;
    if ((size_ + 1) * 2 > slots_.size()) grow();
    for (size_t i = h & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i] == h) return false;
      if (slots_[i] == 0) {
        slots_[i] = h;
        ++size_;
        return true;
      }
    }
  }

 private:
  void grow() {
    std::vector<uint64_t> old(std::max<size_t>(1024, slots_.size() * 2), 0);
    old.swap(slots_);
    size_ = 0;
    for (uint64_t h : old)
      if (h) insert(h);
  }
  std::vector<uint64_t> slots_;
  size_t size_ = 0;
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using IdMap = std::unordered_map<std::string, int64_t, StringHash, std::equal_to<>>;

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
  std::unique_ptr<store::Statement> insert;
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
  Cell default_cell;         // written for an empty value: the column's schema default, typed
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
  Importer(const Mapping& mapping, store::ImportStore& db, const ImportOptions& options,
           ImportSummary& summary, RejectWriter& rejects, SourceOpener open)
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
    std::unique_ptr<store::KeyedWriter> writer;
    std::vector<std::pair<LookupCache*, int>> learn;  // cache, cell index (-1 = external id)
    size_t width = 0;                                 // fields in the header
    int filter_column = -1;                           // `where:`
    // Hashes of the ids this file has staged: a row whose hash is there may
    // repeat an earlier row (the store then says). 8 to 16 bytes a row.
    HashSet64 seen = {};
    // Rows of the batch being written, in order, until the writer's flush
    // says what became of the staged ones.
    struct Queued {
      MappedRow* row;
      bool staged;
      bool repeat;  // `on_duplicate: last`: replaces the first row's values
    };
    std::vector<Queued> queue = {};
    std::vector<store::WriteOutcome> outcomes = {};
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
  void write_batch(FileJob& job, RowBatch& batch);
  void flush(FileJob& job);
  void written(FileJob& job, MappedRow& row, const store::WriteOutcome& outcome, bool repeat);
  void check_transaction();
  bool defer_indexes(uint64_t estimated_rows, const std::string& table);

  const Mapping& mapping_;
  store::ImportStore& db_;
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
