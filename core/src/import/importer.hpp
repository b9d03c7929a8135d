// `tally import`: reads files through source plugins, maps each record with
// a mapping (mapping.hpp) and upserts it into the canonical store, all in
// one transaction. See docs/import.md.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "import/source.hpp"

namespace tally::plugins {
class Registry;
}

namespace tally::import {

struct ImportOptions {
  std::string mapping_path;
  std::string db_path;
  std::vector<std::string> files;
  bool dry_run = false;        // everything but the commit; prints every reject
  bool strict = false;         // the first reject stops the import (nothing is written)
  bool show_progress = false;  // a progress bar on stderr (set when stderr is a TTY)
  int busy_timeout_ms = 5000;  // --busy-timeout: how long to wait for another writer
  // Test-only: a registered SQLite VFS to open the store with (fault
  // injection), and a page cache size in KiB instead of the import's (0).
  std::string test_vfs = {};
  int test_cache_kib = 0;
};

// A row that could not be mapped.
struct Reject {
  std::string file;
  uint64_t line = 0;
  std::string column;  // the input column at fault ("" when the whole row is)
  std::string reason;
  std::string raw;  // the record as CSV
};

struct FileSummary {
  std::string file;
  std::string table;  // "" when the mapping skips the file
  int64_t read = 0, inserted = 0, updated = 0, rejected = 0;
  bool skipped = false;
  std::map<std::string, int64_t> created;  // rows created by lookups, by table
                                           // Empty values replaced by the mapping's `default:`, by field:
                                           // "created_at" -> {count, "2017-12-31"}.
  std::map<std::string, std::pair<int64_t, std::string>> defaulted;
  int64_t filtered = 0;  // rows left out by the entry's `where:` (counted in read)
  int64_t repeated = 0;  // rows whose id an earlier row of the file had
  std::string repeated_column;
  std::string on_duplicate = "reject";  // reject | first | last
  int64_t completed = 0;  // rows an earlier file of this import inserted, filled further by this one
  // Date fields and the format their values were read with.
  std::vector<std::pair<std::string, std::string>> date_formats;
  // Times that run backwards (kept, with a warning): "closed_at before
  // created_at" -> {rows, the first few lines}.
  std::map<std::string, std::pair<int64_t, std::vector<uint64_t>>> backwards;
  // A report footer after the data (Salesforce's title, copyright, "Generated
  // By" lines), left out: its lines and first texts. 0: none.
  uint64_t footer_first_line = 0, footer_last_line = 0;
  std::vector<std::string> footer_texts;
  int64_t warnings() const {
    int64_t n = 0;
    for (const auto& [what, b] : backwards) n += b.first;
    return n;
  }
};

struct ImportSummary {
  std::vector<FileSummary> files;
  std::string rejects_path;  // empty when no rejects (or a dry run)
  double seconds = 0;
  bool dry_run = false;
  std::vector<Reject> rejects;  // every reject on a dry run; the first few otherwise
  int64_t stages_written = 0;
};

// Opens one input file with the named source plugin.
using SourceOpener =
    std::function<std::unique_ptr<RecordSource>(const std::string& plugin, const std::string& path)>;

// Throws DiagnosticError (mapping problems, unknown columns, files no
// mapping entry matches) and std::runtime_error (I/O, malformed input, a
// reject under --strict) with clear messages, and store::EngineError when
// the store fails (disk full, I/O, memory, lock); the database is then
// unchanged: only a row that breaks a table's rule becomes a reject.
ImportSummary run_import(const ImportOptions& opts, plugins::Registry& registry);
// The same with another way to open sources (tests, embedding).
ImportSummary run_import(const ImportOptions& opts, const SourceOpener& open,
                         const std::vector<std::pair<std::string, std::string>>& extension_plugins = {
                             {"csv", "csv_file"}});

// The table the CLI prints: per file rows read, inserted, updated, rejected;
// then lookups' created rows, defaults used and where the rejects are.
std::string format_summary(const ImportSummary& summary);

}  // namespace tally::import
