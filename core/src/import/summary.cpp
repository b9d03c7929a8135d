// The table `tally import` prints: per file rows read, inserted, updated and
// rejected, then what the reader should know about them.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "import/importer.hpp"
#include "import/progress.hpp"

namespace tally::import {

namespace fs = std::filesystem;

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
    if (f.repeated > 0) {
      out << "  " << name << ": " << format_count(f.repeated) << " repeated id"
          << (f.repeated == 1 ? "" : "s") << " in " << f.repeated_column << ": it is not unique";
      if (f.on_duplicate == "reject")
        out << "; each repeat was rejected (set `on_duplicate: first` or `last` to keep one row per id)\n";
      else
        out << "; kept the " << f.on_duplicate << " row of each id (on_duplicate: " << f.on_duplicate
            << ")\n";
    }
    if (f.filtered > 0)
      out << "  " << name << ": " << format_count(f.filtered) << " row" << (f.filtered == 1 ? "" : "s")
          << " left out by `where:` (not imported, not rejected)\n";
    if (f.completed > 0)
      out << "  " << name << ": " << format_count(f.completed) << " row" << (f.completed == 1 ? "" : "s")
          << " filled further rows an earlier file of this import inserted\n";
    for (const auto& [what, b] : f.backwards) {
      out << "  warning: " << name << ": " << format_count(b.first) << " " << f.table << " row"
          << (b.first == 1 ? " runs" : "s run") << " backwards (" << what << "), line"
          << (b.first == 1 ? " " : "s ");
      for (size_t i = 0; i < b.second.size(); ++i) out << (i ? ", " : "") << b.second[i];
      if (b.first > static_cast<int64_t>(b.second.size())) out << ", ...";
      out << "; kept, and left out of durations\n";
    }
    if (f.footer_first_line > 0) {
      out << "  " << name << ": lines " << f.footer_first_line << "-" << f.footer_last_line
          << " after the data are a report footer, not rows; left out";
      for (size_t i = 0; i < f.footer_texts.size(); ++i)
        out << (i ? ", " : " (") << '"' << f.footer_texts[i] << '"';
      out << (f.footer_texts.empty() ? "" : ", ...)") << "\n";
    }
    for (const auto& [field, format] : f.date_formats)
      out << "  " << name << ": " << f.table << "." << field << " read as " << format << "\n";
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
