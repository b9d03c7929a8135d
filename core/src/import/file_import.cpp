// One file into its table: the field plans, then the records read, mapped
// and written, on two threads when the mapping allows it.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <thread>
#include <tuple>

#include "import/engine.hpp"
#include "import/pipeline.hpp"
#include "import/progress.hpp"
#include "util/date.hpp"

namespace tally::import {

namespace fs = std::filesystem;

namespace {

// Times of a row that must come in this order (docs/import.md, "Warnings").
const std::vector<std::tuple<std::string, std::string, std::string>>& ordered_times() {
  static const std::vector<std::tuple<std::string, std::string, std::string>> pairs = {
      {"opportunities", "created_at", "closed_at"},
      {"leads", "created_at", "first_response_at"},
      {"leads", "created_at", "mql_at"},
      {"leads", "created_at", "sal_at"},
      {"leads", "created_at", "sql_at"},
      {"leads", "created_at", "converted_at"},
      {"leads", "created_at", "disqualified_at"},
      {"subscriptions", "started_at", "ended_at"},
      {"support_tickets", "opened_at", "closed_at"},
      {"reps", "hired_at", "left_at"},
  };
  return pairs;
}

}  // namespace

std::vector<IntervalCheck> interval_checks(const FileSpec& spec) {
  std::vector<IntervalCheck> out;
  auto cell_of = [&](const std::string& target) {
    for (size_t i = 0; i < spec.fields.size(); ++i)
      if (spec.fields[i].target == target) return static_cast<int>(i);
    return -1;
  };
  for (const auto& [table, start, end] : ordered_times()) {
    if (table != spec.table) continue;
    IntervalCheck check{cell_of(start), cell_of(end), end + " before " + start};
    if (check.start_cell >= 0 && check.end_cell >= 0) out.push_back(std::move(check));
  }
  return out;
}

std::string Importer::today_iso() {
  return today_utc().iso();
}

void Importer::import(PlannedFile& file, FileSummary& out) {
  const FileSpec& spec = *file.spec;
  const TableInfo& table = schema_tables().at(spec.table);
  file_ = &file;
  summary_file_ = &out;

  // Plans: the id, then every field in the mapping's order.
  FieldPlan id_plan = plan(spec.id, spec, table, {});
  std::vector<FieldPlan> plans;
  for (const auto& f : spec.fields) plans.push_back(plan(f, spec, table, spec.fields));

  // The store's writer for the table: rows keyed by external_id, each
  // mapped column written (an empty value as the column's default).
  std::vector<std::string> columns;
  std::vector<Cell> defaults;
  for (const auto& p : plans) {
    columns.push_back(p.spec->target);
    defaults.push_back(p.default_cell);
  }
  auto writer = db_.keyed_writer(spec.table, columns, defaults);
  // Lookup caches on this table learn the rows it writes.
  std::vector<std::pair<LookupCache*, int>> learn;  // cache, cell index (-1 = external id)
  for (auto& [key, cache] : caches_) {
    if (cache.table != spec.table || !cache.field.empty()) continue;
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
  auto drop_indexes = [&] { deferred_indexes = db_.drop_table_indexes(spec.table); };

  FileJob job{spec,
              out,
              std::move(id_plan),
              std::move(plans),
              std::move(writer),
              std::move(learn),
              file.header_names.size()};
  if (spec.filter) job.filter_column = file.header.at(spec.filter->column);
  job.intervals = interval_checks(spec);
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
  if (can_pipeline(job)) {
    // Two cores: this thread writes while another reads and maps the next
    // rows. A fixed number of batches circulate, so memory stays flat.
    BatchPipe pipe(kBatchesInFlight, db_.import_batch_rows(), job.plans.size());
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
        write_batch(job, *batch);
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
      write_batch(job, batch);
    }
  }
  if (!deferred_indexes.empty()) {
    spdlog::debug("import {}: {} rows in {:.2f} s", spec.table, out.read, seconds_since(file_started));
    const auto indexes_started = Clock::now();
    std::lock_guard lock(db_mutex_);
    db_.build_indexes(deferred_indexes);
    spdlog::debug("import {}: rebuilt {} indexes in {:.2f} s", spec.table, deferred_indexes.size(),
                  seconds_since(indexes_started));
  }
  collect_defaults(job.id_plan, out);
  for (auto& p : job.plans) {
    collect_defaults(p, out);
    if (p.spec->type == ValueType::Date || p.spec->type == ValueType::DateTime)
      out.date_formats.emplace_back(p.spec->target, p.spec->date_format.describe(p.dates));
  }
  out.footer_first_line = file.footer->first_line;
  out.footer_last_line = file.footer->last_line;
  out.footer_texts = file.footer->texts;
  if (out.repeated > 0) out.repeated_column = spec.id.columns.empty() ? "id" : spec.id.columns[0];
  out.on_duplicate = spec.on_duplicate == OnDuplicate::First  ? "first"
                     : spec.on_duplicate == OnDuplicate::Last ? "last"
                                                              : "reject";
}

FieldPlan Importer::plan(const FieldSpec& spec, const FileSpec& file, const TableInfo& table,
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
  if (spec.has_schema_default) {
    // Typed as the column, so every engine stores the same value.
    const ColumnInfo* c = table.find(spec.target);
    const std::string type = c ? c->type : "TEXT";
    p.default_cell.kind = type == "INTEGER" ? Cell::Int : type == "REAL" ? Cell::Real : Cell::Text;
    p.default_cell.text = spec.schema_default;
    if (p.default_cell.kind == Cell::Int) p.default_cell.i = std::stoll(spec.schema_default);
    if (p.default_cell.kind == Cell::Real) p.default_cell.d = std::stod(spec.schema_default);
  }
  for (const auto& shift : spec.shifts) p.shifts.push_back(plan(*shift.amount, file, table, siblings));
  p.shift_cells.resize(p.shifts.size());
  if (spec.lookup) {
    const LookupSpec& l = *spec.lookup;
    auto lp = std::make_unique<LookupPlan>();
    lp->spec = &l;
    auto& cache = caches_[l.table + "." + l.by + (l.field.empty() ? "" : ">" + l.field)];
    cache.table = l.table;
    cache.by = l.by;
    cache.field = l.field;
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
      // The next id as SQLite gives it (max + 1) on every engine, so both
      // number rows alike.
      std::string sql = "INSERT INTO " + l.table + " (id";
      for (const auto& c : cols) sql += ", " + c;
      sql += ") VALUES ((SELECT coalesce(max(id), 0) + 1 FROM " + l.table + ")";
      for (size_t i = 0; i < cols.size(); ++i) sql += ", ?" + std::to_string(i + 1);
      lp->insert = db_.prepare(sql + ") RETURNING id");
      lp->create_cells.resize(l.create_fields.size());
    }
    p.lookup = std::move(lp);
  }
  return p;
}

bool Importer::looks_up(const FieldPlan& p, const std::string& table) {
  if (!p.lookup) return false;
  if (p.lookup->cache->table == table) return true;
  return std::any_of(p.lookup->create.begin(), p.lookup->create.end(),
                     [&](const FieldPlan& c) { return looks_up(c, table); });
}

// Mapping may run ahead of writing unless a lookup reads the table the
// file writes (a row may refer to one written just before it). Lookups
// into other tables only read caches that the writer never touches;
// the rows they create are inserted under db_mutex_.
bool Importer::can_pipeline(const FileJob& job) {
  if (looks_up(job.id_plan, job.spec.table)) return false;
  return std::none_of(job.plans.begin(), job.plans.end(),
                      [&](const FieldPlan& p) { return looks_up(p, job.spec.table); });
}

void Importer::collect_defaults(const FieldPlan& p, FileSummary& out) {
  if (p.defaulted > 0) {
    const auto& s = *p.spec;
    out.defaulted[p.spec->target] = {
        p.defaulted, s.default_import_date ? "import date " + import_date_ : *s.default_value};
  }
  if (p.lookup)
    for (const auto& c : p.lookup->create) collect_defaults(c, out);
}

void Importer::reject(const Record& record, const std::string& column, const std::string& reason) {
  ++summary_file_->rejected;
  Reject r{fs::path(file_->path).filename().string(), record.line, column, reason,
           record_as_csv(record.fields)};
  if (options_.strict)
    throw std::runtime_error("--strict: " + file_->path + ":" + std::to_string(record.line) + ": " +
                             (column.empty() ? "" : "column '" + column + "': ") + reason +
                             "; nothing was imported");
  rejects_.add(std::move(r), summary_);
}

}  // namespace tally::import
