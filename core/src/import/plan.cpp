#include "import/plan.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <stdexcept>

#include "config/detail.hpp"

namespace tally::import {

namespace fs = std::filesystem;

namespace {

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

std::vector<PlannedFile> plan_files(const ImportOptions& opts, Mapping& mapping, const SourceOpener& open,
                                    const std::vector<std::pair<std::string, std::string>>& extension_plugins,
                                    ImportSummary& summary) {
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
      // A file may feed several tables: every item of the entry's list.
      for (const auto& f : mapping.files)
        if (f.pattern == entry->pattern && f.where.line == entry->where.line &&
            f.where.column == entry->where.column)
          matched.emplace_back(&f, path);
    }
  }
  if (!problems.empty()) throw DiagnosticError(std::move(problems));

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
          const bool spreadsheet = ext == "xlsx" || ext == "xls" || ext == "ods" || ext == "numbers";
          problems.push_back(
              {{path, 0, 0},
               "no source plugin reads '." + ext + "' files; " +
                   (spreadsheet ? "save the sheet as \"CSV UTF-8\" (File -> Save As) and import that, or "
                                : "") +
                   "set `source:` in the mapping's entry for it"});
          continue;
        }
      }
      planned.push_back(std::move(p));
    }
  }
  if (!problems.empty()) throw DiagnosticError(std::move(problems));

  // Open every input and check every referenced column before writing.
  for (auto& p : planned) {
    p.source_path = p.path;
    if (!is_utf8_name(p.spec->encoding)) {
      p.converted = transcode_to_utf8(p.path, p.spec->encoding);
      p.source_path = p.converted->path();
    }
    p.source = std::make_unique<FooterTrimmingSource>(open(p.plugin, p.source_path), p.footer);
    p.header_names = p.source->columns();
    for (size_t i = 0; i < p.header_names.size(); ++i)
      p.header.emplace(p.header_names[i], static_cast<int>(i));
    std::set<std::string> duplicated;
    std::set<std::string> seen;
    for (const auto& n : p.header_names)
      if (!seen.insert(n).second) duplicated.insert(n);
    FileSpec& spec = const_cast<FileSpec&>(*p.spec);
    if (spec.filter && !p.header.count(spec.filter->column))
      problems.push_back(
          {spec.filter->column_where, "column '" + spec.filter->column + "' (in `where:`) is not in " +
                                          fs::path(p.path).filename().string() + "; " +
                                          tally::detail::did_you_mean(spec.filter->column, p.header_names) +
                                          "its columns: " + tally::detail::join(p.header_names)});
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
  return planned;
}

}  // namespace tally::import
