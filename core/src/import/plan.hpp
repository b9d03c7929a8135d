// Before anything is written: which mapping entry reads which file, in the
// order the lookups need, each input opened and every column the mapping
// names checked against its header.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "import/encoding.hpp"
#include "import/footer.hpp"
#include "import/importer.hpp"
#include "import/mapping.hpp"

namespace tally::import {

// Where each file goes, decided before anything is written.
struct PlannedFile {
  std::string path;
  const FileSpec* spec = nullptr;
  std::string plugin;
  std::unique_ptr<RecordSource> source;
  // The UTF-8 copy the source reads when the entry sets `encoding:`.
  std::shared_ptr<TranscodedFile> converted;
  std::string source_path;            // what the source plugin opens: path, or the converted copy
  std::map<std::string, int> header;  // column -> index
  std::vector<std::string> header_names;
  // A report footer the source left out at the end of the file (footer.hpp).
  std::shared_ptr<ReportFooter> footer = std::make_shared<ReportFooter>();
};

// Throws DiagnosticError with every problem at once. Skipped files are added
// to `summary` as they are met.
std::vector<PlannedFile> plan_files(const ImportOptions& opts, Mapping& mapping, const SourceOpener& open,
                                    const std::vector<std::pair<std::string, std::string>>& extension_plugins,
                                    ImportSummary& summary);

}  // namespace tally::import
