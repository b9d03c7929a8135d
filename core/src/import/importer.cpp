// `tally import`, orchestrated: the mapping read, the files planned and
// checked (plan.cpp), the store opened and one transaction around every
// file's rows (file_import.cpp), then the commit and the rejects file. See
// docs/import.md.
#include "import/importer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <stdexcept>

#include "import/engine.hpp"
#include "import/plan.hpp"
#include "import/rejects.hpp"
#include "plugins/registry.hpp"
#include "store/engine_error.hpp"
#include "store/store.hpp"
#include "util/sha256.hpp"

namespace tally::import {

ImportSummary run_import(const ImportOptions& opts, const SourceOpener& open,
                         const std::vector<std::pair<std::string, std::string>>& extension_plugins) {
  const auto started = Clock::now();
  const std::string started_at = now_utc();
  Mapping mapping = parse_mapping_file(opts.mapping_path);
  ImportSummary summary;
  summary.dry_run = opts.dry_run;
  std::vector<PlannedFile> planned = plan_files(opts, mapping, open, extension_plugins, summary);

  // The store with the engine's settings for bulk writes (an SQLite file is
  // created when missing, and removed again if this import fails).
  store::ImportStoreOptions store_options;
  store_options.busy_timeout_ms = opts.busy_timeout_ms;
  store_options.dry_run = opts.dry_run;
  store_options.test_vfs = opts.test_vfs;
  store_options.test_cache_kib = opts.test_cache_kib;
  auto db = store::open_import_store(opts.db_path, store_options);

  RejectWriter rejects(store::rejects_path(opts.db_path), opts.dry_run, !opts.dry_run);
  bool in_transaction = false;
  bool committed = false;  // from here on, the database holds this import's rows
  try {
    db->begin();
    in_transaction = true;
    Importer importer(mapping, *db, opts, summary, rejects, open);
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
      db->rollback();
    } else {
      // The planner's statistics for the tables this import changed, in the
      // same transaction (docs/decisions.md: stale row counts make the
      // planner join from the wrong side). Only those tables: a small import
      // into a big store stays quick.
      std::set<std::string> changed;
      for (const auto& f : summary.files) {
        if (!f.table.empty() && f.inserted + f.updated > 0) changed.insert(f.table);
        for (const auto& [table, n] : f.created)
          if (n > 0) changed.insert(table);
      }
      if (summary.stages_written > 0) changed.insert("stages");
      const auto analyze_started = Clock::now();
      db->refresh_statistics({changed.begin(), changed.end()});
      spdlog::debug("import: statistics for {} table(s) in {:.2f} s", changed.size(),
                    seconds_since(analyze_started));
      const auto commit_started = Clock::now();
      db->commit();
      in_transaction = false;
      committed = true;
      spdlog::debug("import: commit in {:.2f} s", seconds_since(commit_started));
      db->imported();
      rejects.commit(summary);
    }
    in_transaction = false;
  } catch (...) {
    if (in_transaction && db->in_transaction()) {
      try {
        db->rollback();
      } catch (...) {
      }
    }
    // A store this import created and did not commit goes with it.
    if (!committed) db.reset();
    // Engine faults, in words, and what became of the store.
    const std::string outcome = committed ? "" : "; nothing was imported, the store is as it was";
    try {
      throw;
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
