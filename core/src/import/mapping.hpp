// A column mapping for `tally import` (docs/import.md): which canonical
// table each input file feeds, which column fills which field and how its
// values are transformed. Parsed and checked in one pass; every problem is
// a Diagnostic with file:line:column, all thrown together as a
// DiagnosticError.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "import/transforms.hpp"
#include "util/diagnostic.hpp"

namespace tally::import {

enum class ValueType { Text, Int, Number, Money, Percent, Date, DateTime, Bool };
const char* value_type_name(ValueType type);

enum class CaseFold { None, Lower, Upper };

// A numeric band: values below `below` (exclusive) get `value`; the last
// band may leave `below` out to catch the rest.
struct Band {
  std::optional<double> below;
  std::string value;
};

struct FieldSpec;

// `plus:` / `minus:` on a date field: a number of days, weeks, months or
// years from a column, a constant or an earlier field, added to the date.
struct DateShift {
  enum Unit { Days, Weeks, Months, Years } unit = Days;
  int sign = 1;                       // -1 for `minus:`
  std::shared_ptr<FieldSpec> amount;  // a number field (type int)
};

// Resolves a value to the id of a row in another table by a natural key
// (reps by name, accounts by name, ...), creating it on first sight when
// `create` says so.
struct LookupSpec {
  std::string table;
  std::string by = "name";
  bool create = false;
  std::vector<FieldSpec> create_fields;  // extra fields of a created row
  // `field:` the value of this column of the found row instead of its id
  // (a deal's lead's created_at); empty = the id.
  std::string field;
  SourceLocation where;
};

// One canonical field of a row (or the row's external id).
struct FieldSpec {
  std::string target;  // canonical column
  SourceLocation where;

  // Where the value comes from: exactly one of these.
  std::vector<std::string> columns;  // input columns; the first non-empty one wins
  std::vector<SourceLocation> column_where;
  std::optional<std::string> constant;  // `value:`
  std::string from;                     // `from:` an earlier field of the same row
  bool derive_stage_status = false;     // `derive: stage_status`
  // `when: {field: status, is: [won, lost]}`: the value is kept only when an
  // earlier field of the row has one of these values (else empty).
  std::string when_field;
  std::vector<std::string> when_values;

  ValueType type = ValueType::Text;
  DateFormat date_format;
  NumberFormat number_format;
  double scale = 1.0;
  bool trim = true;
  CaseFold fold = CaseFold::None;
  std::vector<std::string> empty_values;                       // besides "" and the file's/mapping's
  std::vector<std::pair<std::string, std::string>> value_map;  // matched ignoring case
  std::optional<std::string> otherwise;                        // `else:` for values the map lacks
  std::optional<std::string> default_value;                    // when empty
  bool default_import_date = false;                            // `default: import_date`
  bool required = false;
  std::vector<Band> bands;
  std::shared_ptr<LookupSpec> lookup;
  std::vector<DateShift> shifts;     // `plus:` / `minus:`, applied to the date in order
  std::vector<std::string> allowed;  // the column's vocabulary (status: open|won|lost ...)
  std::optional<double> min, max;    // range the value must be in (probability: 0..1)
  std::string schema_default;        // used when empty and the column is NOT NULL
  bool has_schema_default = false;
};

// What to do with a row whose id an earlier row of the same file had.
enum class OnDuplicate { Reject, First, Last };

// `where: {column: Type, is: [Deal, Upsell]}` (or `not:`): only matching
// rows are imported; the others are counted as skipped.
struct RowFilter {
  std::string column;
  SourceLocation column_where;
  std::vector<std::string> values;  // matched after trimming, ignoring case; "" = empty
  bool negate = false;              // `not:`
};

struct FileSpec {
  std::string pattern;  // file name or glob, matched against the file's name
  SourceLocation where;
  bool skip = false;
  OnDuplicate on_duplicate = OnDuplicate::Reject;
  std::optional<RowFilter> filter;  // `where:`
  std::string encoding;             // `encoding:` (iconv name); empty = UTF-8
  std::string table;
  std::string source;  // source plugin; empty = by file extension
  FieldSpec id;        // -> external_id
  std::vector<FieldSpec> fields;
  std::vector<std::string> empty_values;
};

struct StageSpec {
  std::string name;
  double probability = 0;
  bool closed = false;
  bool won = false;
  SourceLocation where;
};

struct Mapping {
  std::string path;
  std::string name_space;  // `namespace:`; external ids are "<namespace>:<id>"
  std::string source;      // default source plugin
  std::vector<std::string> empty_values;
  std::vector<StageSpec> stages;
  std::vector<FileSpec> files;
};

// Reads and checks a mapping file against the canonical schema.
Mapping parse_mapping_file(const std::string& path);
Mapping parse_mapping_text(const std::string& yaml_text, const std::string& display_path);

// The canonical schema as the importer sees it.
struct ColumnInfo {
  std::string name;
  std::string type;  // INTEGER, REAL, TEXT
  bool not_null = false;
  std::optional<std::string> default_value;  // unquoted
};
struct TableInfo {
  std::string name;
  std::vector<ColumnInfo> columns;
  const ColumnInfo* find(const std::string& column) const;
  bool has_external_id() const { return find("external_id") != nullptr; }
};
// Every table of the latest schema, read from the migrations themselves.
const std::map<std::string, TableInfo>& schema_tables();
// The values a canonical column accepts (opportunities.status: open, won,
// lost), or nullptr when any text goes.
const std::vector<std::string>* field_vocabulary(const std::string& table, const std::string& column);
// Tables a file can feed: those with an external_id, so re-imports update.
std::vector<std::string> importable_tables();

// Calls `fn` for every input-column reference in `file` (fields, id,
// lookups' create fields, date shifts), so the importer can check them
// against a header. (`where:` columns are checked on their own.)
template <typename Fn>
void for_each_column_ref(FileSpec& file, Fn&& fn);

// Implementation of the template.
namespace mapping_detail {
template <typename Fn>
void visit_field(FieldSpec& f, Fn& fn) {
  for (size_t i = 0; i < f.columns.size(); ++i) fn(f, i);
  if (f.lookup)
    for (auto& c : f.lookup->create_fields) visit_field(c, fn);
  for (auto& shift : f.shifts)
    if (shift.amount) visit_field(*shift.amount, fn);
}
}  // namespace mapping_detail

template <typename Fn>
void for_each_column_ref(FileSpec& file, Fn&& fn) {
  mapping_detail::visit_field(file.id, fn);
  for (auto& f : file.fields) mapping_detail::visit_field(f, fn);
}

}  // namespace tally::import
