// Mapping a record to cells: the mapping's steps per field (docs/import.md,
// "Fields"), in the mapping thread when the import is pipelined.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "config/detail.hpp"
#include "import/engine.hpp"
#include "util/date.hpp"

namespace fs = std::filesystem;

namespace tally::import {

// The mapping half of a row: runs on the mapping thread when pipelined.
void Importer::map_row(FileJob& job, MappedRow& row) {
  const FileSpec& spec = job.spec;
  const auto& fields = row.record.fields;
  row.rejected = false;
  if (fields.size() != job.width) {
    row.rejected = true;
    row.error = {"", "expected " + std::to_string(job.width) + " fields (as in the header), found " +
                         std::to_string(fields.size())};
    return;
  }
  if (control_character(fields, row)) return;
  row.filtered = !passes_filter(job, fields);
  if (row.filtered) return;
  if (row.cells.size() != job.plans.size()) row.cells.resize(job.plans.size());
  bool ok = eval(job.id_plan, fields, row.cells, row.id_cell, row.error, row.record.line);
  if (ok && row.id_cell.kind == Cell::Null) {
    ok = false;
    row.error = {spec.id.columns.empty() ? "" : spec.id.columns[0], "the id is empty; every row needs one"};
  }
  for (size_t i = 0; ok && i < job.plans.size(); ++i)
    ok = eval(job.plans[i], fields, row.cells, row.cells[i], row.error, row.record.line);
  if (!ok) {
    row.rejected = true;
    return;
  }
  // external_id = namespace prefix + the id as text.
  Cell& id = row.id_cell;
  if (id.kind != Cell::Text) id.text = id.kind == Cell::Int ? std::to_string(id.i) : "";
  row.external_id.assign(prefix_).append(id.text);
}

// `where: {column: C, is: [...]}`: the trimmed value, ignoring case.
bool Importer::passes_filter(const FileJob& job, const std::vector<std::string>& fields) const {
  if (job.filter_column < 0) return true;
  const RowFilter& filter = *job.spec.filter;
  const std::string_view value = trim(fields[static_cast<size_t>(job.filter_column)]);
  const bool listed = std::any_of(filter.values.begin(), filter.values.end(),
                                  [&](const std::string& v) { return iequals(trim(v), value); });
  return listed != filter.negate;
}

// NUL and the other C0 control characters are never data: a reject naming
// the column, and the line and column of the character (columns counted in
// characters from the start of the field; lines from the record's first,
// for fields that span lines). Tab, LF and CR are allowed: a CSV reader
// only hands them over inside quoted fields.
bool Importer::control_character(const std::vector<std::string>& fields, MappedRow& row) const {
  for (size_t f = 0; f < fields.size(); ++f) {
    const std::string& v = fields[f];
    for (size_t i = 0; i < v.size(); ++i) {
      const auto c = static_cast<unsigned char>(v[i]);
      if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') continue;
      uint64_t line = row.record.line, column = 1;
      for (size_t k = 0; k < i; ++k) {
        if (v[k] == '\n') {
          ++line;
          column = 1;
        } else if ((static_cast<unsigned char>(v[k]) & 0xC0) != 0x80) {
          ++column;
        }
      }
      char code[8];
      std::snprintf(code, sizeof code, "U+%04X", c);
      const std::string& name =
          f < file_->header_names.size() ? file_->header_names[f] : std::to_string(f + 1);
      row.rejected = true;
      row.error = {name, std::string("control character ") + code + " in column '" + name + "' at line " +
                             std::to_string(line) + ", column " + std::to_string(column) +
                             "; remove it from the file"};
      return true;
    }
  }
  return false;
}

bool Importer::is_empty_value(std::string_view v, const FieldSpec& s,
                              const std::vector<std::string>& file_empty,
                              const std::vector<std::string>& mapping_empty) {
  if (v.empty()) return true;
  for (const auto* list : {&s.empty_values, &file_empty, &mapping_empty})
    for (const auto& e : *list)
      if (iequals(v, e)) return true;
  return false;
}

bool Importer::fail(RowError& err, const FieldPlan& p, std::string reason) {
  err.column = p.spec->columns.empty() ? p.spec->target : p.spec->columns[0];
  err.reason = std::move(reason);
  return false;
}

bool Importer::eval(FieldPlan& p, const std::vector<std::string>& rec, std::vector<Cell>& cells, Cell& out,
                    RowError& err, uint64_t line) {
  const FieldSpec& s = *p.spec;
  if (s.derive_stage_status) {
    const Cell& stage = cells[p.stage_cell];
    out.kind = Cell::Text;
    auto it = stage.kind == Cell::Text ? stages_.find(stage.text) : stages_.end();
    out.text = it == stages_.end() ? "open" : it->second.second ? "won" : it->second.first ? "lost" : "open";
    return true;
  }
  if (p.when_cell >= 0) {
    const Cell& c = cells[p.when_cell];
    if (c.kind != Cell::Text ||
        std::find(s.when_values.begin(), s.when_values.end(), c.text) == s.when_values.end()) {
      out.kind = Cell::Null;
      return true;
    }
  }
  std::string_view v;
  bool empty = true;
  std::string_view source_column;
  if (s.constant) {
    v = *s.constant;
    empty = v.empty();
  } else if (p.from >= 0) {
    const Cell& c = cells[p.from];
    empty = c.kind == Cell::Null;
    if (c.kind == Cell::Text) v = c.text;
    if (c.kind == Cell::Int) p.scratch = std::to_string(c.i), v = p.scratch;
    if (c.kind == Cell::Real) p.scratch = tally::detail::format_number(c.d), v = p.scratch;
  } else {
    for (size_t k = 0; k < p.columns.size(); ++k) {
      std::string_view x = rec[p.columns[k]];
      if (s.trim) x = trim(x);
      if (!is_empty_value(x, s, file_->spec->empty_values, mapping_.empty_values)) {
        v = x;
        empty = false;
        source_column = s.columns[k];
        break;
      }
    }
  }
  if (!empty && s.fold != CaseFold::None) {
    p.scratch.assign(v);
    if (s.fold == CaseFold::Lower)
      to_lower(p.scratch);
    else
      to_upper(p.scratch);
    v = p.scratch;
  }
  if (!empty && !s.value_map.empty()) {
    bool hit = false;
    for (const auto& [from, to] : s.value_map) {
      if (iequals(from, v)) {
        v = to;
        hit = true;
        break;
      }
    }
    if (!hit && s.otherwise) v = *s.otherwise;
    empty = v.empty();
  }
  if (empty) {
    if (s.default_import_date) {
      v = import_date_;
    } else if (s.default_value) {
      v = *s.default_value;
    } else if (s.required || p.must_have) {
      return fail(
          err, p,
          field_name(p) + " is required but " +
              (s.columns.empty() ? std::string("the value is empty") : "'" + s.columns[0] + "' is empty") +
              "; give the field a `default:` in the mapping to fill it");
    } else {
      out.kind = Cell::Null;
      return true;
    }
    ++p.defaulted;
  }
  if (!convert(p, v, rec, cells, line, out, err)) return false;
  if (out.kind == Cell::Null) {  // a date shifted by an empty amount
    if (s.required || p.must_have)
      return fail(err, p, field_name(p) + " is required but the amount of its `plus:`/`minus:` is empty");
    return true;
  }
  if (!s.allowed.empty() && out.kind == Cell::Text &&
      std::find(s.allowed.begin(), s.allowed.end(), out.text) == s.allowed.end())
    return fail(err, p,
                "'" + out.text + "' is not a valid " + field_name(p) +
                    " (valid: " + tally::detail::join(s.allowed) + "); add it to the field's `map:`");
  if (p.check_stage && out.kind == Cell::Text && !stages_.count(out.text))
    return fail(err, p,
                "stage '" + out.text + "' is not one of the pipeline's stages (" +
                    tally::detail::join(stage_names_) + "); declare it under `stages:` or map it");
  if (p.lookup) return resolve(p, rec, out, err);
  return true;
}

bool Importer::convert(FieldPlan& p, std::string_view v, const std::vector<std::string>& rec,
                       std::vector<Cell>& cells, uint64_t line, Cell& out, RowError& err) {
  const FieldSpec& s = *p.spec;
  std::string problem;
  double number = 0;
  switch (s.type) {
    case ValueType::Text:
      out.kind = Cell::Text;
      out.text.assign(v);
      return true;
    case ValueType::Bool: {
      bool b = false;
      if (!parse_bool(v, b, problem)) return fail(err, p, problem);
      out.kind = Cell::Int;
      out.i = b ? 1 : 0;
      return true;
    }
    case ValueType::Date:
    case ValueType::DateTime: {
      DateTime dt;
      const auto order_before = p.dates.order;
      bool parsed = s.date_format.parse(v, dt, problem, p.dates);
      if (!parsed && p.dates.ambiguous) {
        settle_date_order(p);  // throws when no value of the column settles it
        parsed = s.date_format.parse(v, dt, problem, p.dates);
      } else if (parsed && order_before == DateColumn::Order::Unknown && p.dates.order != order_before) {
        p.dates.settled_by = std::string(trim(v));
        p.dates.settled_line = line;
      }
      if (!parsed) return fail(err, p, problem);
      if (!p.shifts.empty()) {
        const Shifted shifted = apply_shifts(p, rec, cells, dt, err);
        if (shifted == Shifted::Failed) return false;
        if (shifted == Shifted::Empty) {
          out.kind = Cell::Null;
          return true;
        }
      }
      out.kind = Cell::Text;
      if (s.type == ValueType::Date)
        format_date(dt, out.text);
      else
        format_datetime(dt, out.text);
      return true;
    }
    case ValueType::Int: {
      int64_t i = 0;
      if (!parse_integer(v, s.number_format, i, problem)) return fail(err, p, problem);
      number = static_cast<double>(i);
      break;
    }
    case ValueType::Number:
      if (!parse_number(v, s.number_format, number, problem)) return fail(err, p, problem);
      break;
    case ValueType::Money:
      if (!parse_money(v, s.number_format, number, problem)) return fail(err, p, problem);
      break;
    case ValueType::Percent:
      if (!parse_percent(v, s.number_format, number, problem)) return fail(err, p, problem);
      break;
  }
  number *= s.scale;
  if ((s.min && number < *s.min) || (s.max && number > *s.max))
    return fail(err, p,
                field_name(p) + " " + tally::detail::format_number(number) + " is outside " +
                    (s.min ? tally::detail::format_number(*s.min) : "") + ".." +
                    (s.max ? tally::detail::format_number(*s.max) : "") +
                    (p.spec->target == "probability" ? " (for 0-100 values use type: percent)" : ""));
  if (!s.bands.empty()) {
    for (const auto& band : s.bands) {
      if (!band.below || number < *band.below) {
        out.kind = Cell::Text;
        out.text = band.value;
        return true;
      }
    }
    return fail(err, p,
                tally::detail::format_number(number) + " is above every band of " + field_name(p) +
                    "; add a last band without `below`");
  }
  if (s.type == ValueType::Int) {
    out.kind = Cell::Int;
    out.i = static_cast<int64_t>(std::llround(number));
  } else {
    out.kind = Cell::Real;
    out.d = number;
  }
  return true;
}

Importer::Shifted Importer::apply_shifts(FieldPlan& p, const std::vector<std::string>& rec,
                                         std::vector<Cell>& cells, DateTime& dt, RowError& err) {
  const FieldSpec& s = *p.spec;
  for (size_t i = 0; i < p.shifts.size(); ++i) {
    Cell& amount = p.shift_cells[i];
    if (!eval(p.shifts[i], rec, cells, amount, err)) return Shifted::Failed;
    if (amount.kind == Cell::Null) return Shifted::Empty;
    const double value = amount.kind == Cell::Int ? static_cast<double>(amount.i) : amount.d;
    const DateShift& shift = s.shifts[i];
    static const char* units[] = {"days", "weeks", "months", "years"};
    if (value != std::floor(value) || std::fabs(value) > 1e6) {
      fail(err, p.shifts[i],
           "'" + tally::detail::format_number(value) + "' " + units[shift.unit] +
               " is not a whole number for " + field_name(p));
      return Shifted::Failed;
    }
    const auto n = static_cast<int>(value) * shift.sign;
    Date d{dt.year, dt.month, dt.day};
    switch (shift.unit) {
      case DateShift::Days: d = d.add_days(n); break;
      case DateShift::Weeks: d = d.add_days(7 * static_cast<int64_t>(n)); break;
      case DateShift::Months: d = d.add_months(n); break;
      case DateShift::Years: d = d.add_months(12 * n); break;
    }
    if (d.year < 1 || d.year > 9999) {
      fail(err, p, field_name(p) + " moved outside the years 1-9999");
      return Shifted::Failed;
    }
    dt.year = d.year, dt.month = d.month, dt.day = d.day;
  }
  return Shifted::Ok;
}

// Reads the file again from the top, with its own source, until a value of
// this field's columns settles the day/month order.
void Importer::settle_date_order(FieldPlan& p) {
  const FieldSpec& s = *p.spec;
  auto source = open_(file_->plugin, file_->source_path.empty() ? file_->path : file_->source_path);
  Record record;
  DateColumn probe;
  DateTime dt;
  std::string ignored;
  while (source->next(record)) {
    for (int column : p.columns) {
      if (static_cast<size_t>(column) >= record.fields.size()) continue;
      const std::string_view v = trim(record.fields[static_cast<size_t>(column)]);
      if (v.empty()) continue;
      s.date_format.parse(v, dt, ignored, probe);
      if (probe.order != DateColumn::Order::Unknown) {
        p.dates.order = probe.order;
        p.dates.settled_by = std::string(v);
        p.dates.settled_line = record.line;
        return;
      }
    }
  }
  const std::string file = fs::path(file_->path).filename().string();
  throw DiagnosticError({Diagnostic{
      s.column_where.empty() ? s.where : s.column_where[0],
      "every date in column '" + (s.columns.empty() ? s.target : s.columns[0]) + "' of " + file +
          " could be day-first or month-first (none has a day above 12); set `format: \"M/D/YYYY\"` (month "
          "first) or `format: \"D/M/YYYY\"` (day first) for " +
          field_name(p)}});
}

}  // namespace tally::import
