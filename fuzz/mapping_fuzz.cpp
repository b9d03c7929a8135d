// Fuzz target: import mapping text -> the mapping parser and its checks
// against the canonical schema.
#include <cstdint>

#include "common.hpp"
#include "import/mapping.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = tally_fuzz::temp_dir() + "/fuzz-mapping.yaml";  // only names the text
  try {
    tally::import::Mapping mapping =
        tally::import::parse_mapping_text(std::string(tally_fuzz::as_text(data, size)), path);
    // Walk what the importer walks before it reads a file.
    for (auto& file : mapping.files)
      tally::import::for_each_column_ref(file, [](tally::import::FieldSpec& f, size_t i) {
        if (i >= f.columns.size() || f.column_where.size() != f.columns.size()) __builtin_trap();
      });
  } catch (const tally::DiagnosticError& e) {
    // The documented way a mapping is refused; never without saying why.
    if (e.diagnostics().empty()) __builtin_trap();
    for (const auto& d : e.diagnostics()) (void)d.format();
  }
  return 0;
}
