// `tally import`, orchestrated: the mapping read, the files planned and
// checked (plan.cpp), the store opened and one transaction around every
// file's rows (file_import.cpp), then the commit and the rejects file. See
// docs/import.md.
#include "import/importer.hpp"

#include <SQLiteCpp/Database.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>
#include <stdexcept>

#include "import/engine.hpp"
#include "import/plan.hpp"
#include "import/rejects.hpp"
#include "plugins/registry.hpp"
#include "store/engine_error.hpp"
#include "store/sqlite.hpp"
#include "util/sha256.hpp"

namespace tally::import {

namespace fs = std::filesystem;

ImportSummary run_import(const ImportOptions& opts, const SourceOpener& open,
                         const std::vector<std::pair<std::string, std::string>>& extension_plugins) {
  const auto started = Clock::now();
  const std::string started_at = now_utc();
  Mapping mapping = parse_mapping_file(opts.mapping_path);
  ImportSummary summary;
  summary.dry_run = opts.dry_run;
  std::vector<PlannedFile> planned = plan_files(opts, mapping, open, extension_plugins, summary);

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
    Importer importer(mapping, db.getHandle(), opts, summary, rejects, open);
    importer.load_bases();
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
    // The record of this import, in its transaction: a run can tell when its
    // numbers rest on an import that rejected rows.
    const auto mapping_sha256 = sha256_file(opts.mapping_path);
    importer.record_import(started_at, mapping_sha256.value_or(""));
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

}  // namespace tally::import
