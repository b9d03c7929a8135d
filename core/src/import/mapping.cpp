// Parsing and checking of import mappings (see mapping.hpp, docs/import.md).
// Over 400 lines: one parser class, whose methods share the YAML reader and
// the diagnostics of one pass, one method per key of the mapping language;
// the canonical schema it checks against is in canonical_schema.cpp.
#include "import/mapping.hpp"

#include <algorithm>
#include <set>

#include "config/detail.hpp"
#include "import/encoding.hpp"

namespace tally::import {

namespace {

using tally::detail::YamlReader;
using Entry = YamlReader::Entry;

// Value vocabularies of canonical columns (schema.cpp comments).
bool is_money_column(const std::string& column) {
  return column == "amount" || column == "list_price" || column == "annual_revenue" || column == "mrr" ||
         column == "mrr_delta";
}

bool is_time_column(const std::string& column) {
  return column.ends_with("_at") || column == "day" || column == "period_start" || column == "period_end";
}

// The value types that can fill a canonical column.
std::vector<ValueType> fitting_types(const std::string& target, const ColumnInfo& column) {
  using T = ValueType;
  if (is_time_column(target)) return {T::Date, T::DateTime};
  if (column.type == "REAL") return {T::Money, T::Number, T::Int, T::Percent};
  if (column.type == "INTEGER") return {T::Int, T::Number, T::Bool};
  return {T::Text, T::Int, T::Number, T::Date, T::DateTime};
}

// What a column holds, in words.
std::string column_kind(const std::string& target, const ColumnInfo& column) {
  if (is_time_column(target)) return "a date or time";
  if (column.type == "REAL") return is_money_column(target) ? "an amount of money" : "a number";
  if (column.type == "INTEGER") return target.ends_with("_id") ? "the id of a row" : "a whole number";
  return "text";
}

std::optional<ValueType> parse_type(const std::string& text) {
  static const std::map<std::string, ValueType> types = {
      {"text", ValueType::Text},         {"int", ValueType::Int},         {"number", ValueType::Number},
      {"money", ValueType::Money},       {"percent", ValueType::Percent}, {"date", ValueType::Date},
      {"datetime", ValueType::DateTime}, {"bool", ValueType::Bool}};
  auto it = types.find(text);
  if (it == types.end()) return std::nullopt;
  return it->second;
}

bool is_numeric(ValueType t) {
  return t == ValueType::Int || t == ValueType::Number || t == ValueType::Money || t == ValueType::Percent;
}

std::optional<bool> parse_flag(YamlReader& r, const Entry& e, const std::string& what) {
  auto text = r.text(e, what);
  if (!text) return std::nullopt;
  if (*text == "true" || *text == "yes" || *text == "on") return true;
  if (*text == "false" || *text == "no" || *text == "off") return false;
  r.error(e.value_where, what + " must be true or false, not '" + *text + "'");
  return std::nullopt;
}

std::vector<std::string> column_names(const TableInfo& t) {
  std::vector<std::string> names;
  for (const auto& c : t.columns) names.push_back(c.name);
  return names;
}

class Parser {
 public:
  Parser(const std::string& file, std::vector<Diagnostic>& diagnostics)
      : r_(file, nullptr, diagnostics), diagnostics_(diagnostics) {}

  Mapping parse(const YAML::Node& root) {
    Mapping m;
    m.path = r_.file();
    if (!root.IsMap()) {
      r_.error(r_.at(root), "a mapping must be a YAML map with `files:` (see docs/import.md)");
      return m;
    }
    static const std::vector<std::string> keys = {"title", "description", "namespace", "source",
                                                  "empty", "stages",      "files"};
    auto entries = r_.entries(root, &keys, "");
    for (const auto& e : entries) {
      if (e.key == "namespace") {
        if (auto t = r_.text(e, "namespace")) m.name_space = *t;
      } else if (e.key == "source") {
        if (auto t = r_.text(e, "source")) m.source = *t;
      } else if (e.key == "empty") {
        if (auto l = r_.text_list(e, "empty")) m.empty_values = *l;
      } else if (e.key == "stages") {
        parse_stages(e, m);
      }
    }
    const Entry* files = tally::detail::find_entry(entries, "files");
    if (!files) {
      r_.error(SourceLocation{r_.file(), 1, 1}, "missing `files:`: which file feeds which table");
    } else if (!files->value.IsMap()) {
      r_.error(files->value_where, "`files:` must be a map of file name (or glob) to its mapping");
    } else {
      for (const auto& e : r_.entries(files->value, nullptr, "files")) parse_file(e, m);
    }
    return m;
  }

 private:
  void parse_stages(const Entry& e, Mapping& m) {
    if (!e.value.IsSequence()) {
      r_.error(e.value_where, "`stages:` must be a list like [{name: Prospecting, probability: 0.1}, ...]");
      return;
    }
    std::set<std::string> seen;
    for (const auto& node : e.value) {
      StageSpec s;
      s.where = r_.at(node);
      if (!node.IsMap()) {
        r_.error(s.where, "each stage must be a map like {name: Proposal, probability: 0.5}");
        continue;
      }
      static const std::vector<std::string> keys = {"name", "probability", "won", "lost", "closed"};
      bool lost = false;
      for (const auto& se : r_.entries(node, &keys, "a stage")) {
        if (se.key == "name") {
          if (auto t = r_.text(se, "name")) s.name = *t;
        } else if (se.key == "probability") {
          auto t = r_.text(se, "probability");
          auto v = t ? tally::detail::parse_number(*t) : std::nullopt;
          if (!v || *v < 0 || *v > 1)
            r_.error(se.value_where,
                     "probability must be a number from 0 to 1, not '" + t.value_or("") + "'");
          else
            s.probability = *v;
        } else if (auto f = parse_flag(r_, se, se.key)) {
          if (se.key == "won") s.won = *f;
          if (se.key == "lost") lost = *f;
          if (se.key == "closed") s.closed = *f;
        }
      }
      s.closed = s.closed || s.won || lost;
      if (s.name.empty())
        r_.error(s.where, "a stage needs a `name`");
      else if (!seen.insert(s.name).second)
        r_.error(s.where, "stage '" + s.name + "' is listed twice");
      else
        m.stages.push_back(s);
    }
  }

  // A file's entry: a map, or a list of maps when one file feeds several
  // tables (each item reads the whole file).
  void parse_file(const Entry& e, Mapping& m) {
    if (e.value.IsSequence()) {
      if (e.value.size() == 0) r_.error(e.value_where, "the list for '" + e.key + "' is empty");
      for (const YAML::Node& item : e.value) {
        Entry one = e;
        one.value.reset(item);  // a Node copy shares its node: assigning would change e's
        one.value_where = r_.at(item);
        if (!item.IsMap()) {
          r_.error(one.value_where,
                   "each item for '" + e.key + "' must be a map with `table:`, `id:` and `fields:`");
          continue;
        }
        parse_one_file(one, m);
      }
      return;
    }
    parse_one_file(e, m);
  }

  void parse_one_file(const Entry& e, Mapping& m) {
    FileSpec f;
    f.pattern = e.key;
    f.where = e.key_where;
    if (!e.value.IsMap()) {
      r_.error(e.value_where, "the mapping of '" + e.key +
                                  "' must be a map with `table:`, `id:` and `fields:` "
                                  "(or a list of such maps, one per table the file feeds)");
      return;
    }
    static const std::vector<std::string> keys = {"table", "id",    "fields",       "skip",    "source",
                                                  "empty", "where", "on_duplicate", "encoding"};
    auto entries = r_.entries(e.value, &keys, "'" + e.key + "'");
    if (const Entry* skip = tally::detail::find_entry(entries, "skip")) {
      if (auto v = parse_flag(r_, *skip, "skip")) f.skip = *v;
    }
    if (f.skip) {
      m.files.push_back(std::move(f));
      return;
    }
    const Entry* table = tally::detail::find_entry(entries, "table");
    const TableInfo* info = nullptr;
    const auto tables = importable_tables();
    if (!table) {
      r_.error(e.key_where, "'" + e.key + "' needs `table:` (one of: " + tally::detail::join(tables) +
                                ") or `skip: true`");
    } else if (auto t = r_.text(*table, "table")) {
      if (std::find(tables.begin(), tables.end(), *t) == tables.end()) {
        r_.error(table->value_where, "unknown table '" + *t + "'; " +
                                         tally::detail::did_you_mean(*t, tables) +
                                         "valid: " + tally::detail::join(tables));
      } else {
        f.table = *t;
        info = &schema_tables().at(*t);
      }
    }
    for (const auto& fe : entries) {
      if (fe.key == "source") {
        if (auto t = r_.text(fe, "source")) f.source = *t;
      } else if (fe.key == "empty") {
        if (auto l = r_.text_list(fe, "empty")) f.empty_values = *l;
      } else if (fe.key == "encoding") {
        if (auto t = r_.text(fe, "encoding")) {
          if (!encoding_supported(*t))
            r_.error(fe.value_where,
                     "unknown encoding '" + *t +
                         "'; iconv names like windows-1252, latin1, utf-16 (with a byte order "
                         "mark), utf-16le, utf-8; see `iconv --list`");
          f.encoding = *t;
        }
      } else if (fe.key == "on_duplicate") {
        auto t = r_.text(fe, "on_duplicate");
        if (t && *t == "reject")
          f.on_duplicate = OnDuplicate::Reject;
        else if (t && *t == "first")
          f.on_duplicate = OnDuplicate::First;
        else if (t && *t == "last")
          f.on_duplicate = OnDuplicate::Last;
        else if (t)
          r_.error(fe.value_where,
                   "unknown on_duplicate '" + *t + "'; valid: reject (the default), first, last");
      } else if (fe.key == "where") {
        parse_where(fe, f);
      }
    }
    if (!info) return;
    const Entry* id = tally::detail::find_entry(entries, "id");
    if (!id) {
      r_.error(e.key_where, "'" + e.key +
                                "' needs `id:`: the column that identifies a row in the export "
                                "(re-imports update rows by it)");
    } else if (auto spec = parse_field(*id, "external_id", *info, {}, "the id")) {
      f.id = std::move(*spec);
    }
    const Entry* fields = tally::detail::find_entry(entries, "fields");
    if (!fields || !fields->value.IsMap()) {
      r_.error(
          fields ? fields->value_where : e.key_where,
          "'" + e.key + "' needs `fields:`, a map of canonical field to column, e.g. {name: Account Name}");
    } else {
      for (const auto& fe : r_.entries(fields->value, nullptr, "fields")) {
        if (fe.key == "id" || fe.key == "external_id") {
          r_.error(fe.key_where, "set the row's identity with `id:` beside `fields:`, not as a field");
          continue;
        }
        if (!info->find(fe.key)) {
          auto names = column_names(*info);
          r_.error(fe.key_where, "unknown field '" + fe.key + "' for table " + f.table + "; " +
                                     tally::detail::did_you_mean(fe.key, names) +
                                     "valid: " + tally::detail::join(names));
          continue;
        }
        if (auto spec = parse_field(fe, fe.key, *info, f.fields, "field '" + fe.key + "'"))
          f.fields.push_back(std::move(*spec));
      }
      // NOT NULL columns without a default must be filled.
      for (const auto& c : info->columns) {
        if (!c.not_null || c.default_value || c.name == "id") continue;
        bool mapped =
            std::any_of(f.fields.begin(), f.fields.end(), [&](const auto& x) { return x.target == c.name; });
        if (!mapped)
          r_.error(fields->key_where, "table " + f.table + " needs field '" + c.name +
                                          "' (it cannot be empty); map a column to it or give a `value:`");
      }
    }
    m.files.push_back(std::move(f));
  }

  void parse_where(const Entry& e, FileSpec& f) {
    if (!e.value.IsMap()) {
      r_.error(e.value_where,
               "`where:` must be a map like {column: Type, is: [Deal]} (or `not:` instead of `is:`)");
      return;
    }
    static const std::vector<std::string> keys = {"column", "is", "not"};
    auto entries = r_.entries(e.value, &keys, "where");
    RowFilter filter;
    const Entry* column = tally::detail::find_entry(entries, "column");
    const Entry* is = tally::detail::find_entry(entries, "is");
    const Entry* is_not = tally::detail::find_entry(entries, "not");
    if (!column || (!is == !is_not)) {
      r_.error(e.key_where, "`where:` needs `column:` and one of `is:` or `not:`");
      return;
    }
    if (auto t = r_.text(*column, "column")) filter.column = *t, filter.column_where = column->value_where;
    const Entry* values = is ? is : is_not;
    filter.negate = is_not != nullptr;
    if (values->value.IsNull()) {
      filter.values = {""};
    } else if (auto l = r_.text_list(*values, values->key)) {
      filter.values = *l;
    }
    f.filter = std::move(filter);
  }

  // One field: `column` shorthand or a map of options.
  std::optional<FieldSpec> parse_field(const Entry& e, const std::string& target, const TableInfo& table,
                                       const std::vector<FieldSpec>& earlier, const std::string& what) {
    const size_t errors_before = errors();
    // Values this field maps to are collected for its vocabulary check; a
    // nested lookup's created fields collect their own.
    struct Restore {
      std::vector<std::pair<std::string, SourceLocation>>& slot;
      std::vector<std::pair<std::string, SourceLocation>> saved;
      ~Restore() { slot = std::move(saved); }
    } restore{mapped_where_, std::move(mapped_where_)};
    mapped_where_.clear();
    FieldSpec f;
    f.target = target;
    f.where = e.key_where;
    const ColumnInfo* column = target == "external_id" ? nullptr : table.find(target);
    if (auto* vocabulary = field_vocabulary(table.name, target)) f.allowed = *vocabulary;
    if (column && column->not_null && column->default_value) {
      f.has_schema_default = true;
      f.schema_default = *column->default_value;
    }
    if (target == "probability") f.min = 0, f.max = 1;
    bool type_given = false;
    SourceLocation type_where = e.key_where;
    if (e.value.IsScalar() || e.value.IsNull()) {
      auto text = r_.text(e, what);
      if (!text || text->empty()) {
        r_.error(e.value_where, what + " needs a column name (or a map with `value:`, `column:`, ...)");
        return std::nullopt;
      }
      f.columns.push_back(*text);
      f.column_where.push_back(e.value_where);
    } else if (!e.value.IsMap()) {
      r_.error(e.value_where, what + " must be a column name or a map of options, not a list");
      return std::nullopt;
    } else {
      static const std::vector<std::string> keys = {
          "column",    "columns", "value",  "from", "derive", "type", "format", "decimal",
          "thousands", "scale",   "trim",   "case", "empty",  "map",  "else",   "default",
          "required",  "bands",   "lookup", "min",  "max",    "when", "plus",   "minus"};
      auto entries = r_.entries(e.value, &keys, what);
      for (const auto& o : entries) {
        if (o.key == "column") {
          if (auto t = r_.text(o, "column")) f.columns.push_back(*t), f.column_where.push_back(o.value_where);
        } else if (o.key == "columns") {
          if (auto l = r_.text_list(o, "columns")) {
            size_t i = 0;
            for (const auto& c : *l) {
              f.columns.push_back(c);
              f.column_where.push_back(o.value.IsSequence() ? r_.at(o.value[i]) : o.value_where);
              ++i;
            }
          }
        } else if (o.key == "value") {
          if (auto t = r_.text(o, "value")) f.constant = *t;
        } else if (o.key == "from") {
          if (auto t = r_.text(o, "from")) {
            bool found =
                std::any_of(earlier.begin(), earlier.end(), [&](const auto& x) { return x.target == *t; });
            if (!found)
              r_.error(o.value_where,
                       "`from: " + *t + "` must name a field listed before '" + target + "' in this file");
            f.from = *t;
          }
        } else if (o.key == "derive") {
          auto t = r_.text(o, "derive");
          if (t && *t != "stage_status") {
            r_.error(o.value_where, "unknown derivation '" + *t + "'; valid: stage_status");
          } else if (t) {
            if (table.name != "opportunities" || target != "status")
              r_.error(o.value_where, "`derive: stage_status` fills opportunities.status only");
            bool has_stage = std::any_of(earlier.begin(), earlier.end(),
                                         [](const auto& x) { return x.target == "stage"; });
            if (!has_stage)
              r_.error(o.value_where, "`derive: stage_status` needs the `stage` field mapped before it");
            f.derive_stage_status = true;
          }
        } else if (o.key == "type") {
          if (auto t = r_.text(o, "type")) {
            if (auto type = parse_type(*t)) {
              f.type = *type;
              type_given = true;
              type_where = o.value_where;
            } else {
              r_.error(o.value_where, "unknown type '" + *t +
                                          "'; valid: text, int, number, money, percent, date, "
                                          "datetime, bool");
            }
          }
        } else if (o.key == "decimal" || o.key == "thousands") {
          auto t = r_.text(o, o.key);
          if (t && !(t->size() == 1 || (o.key == "thousands" && t->empty())))
            r_.error(o.value_where, "`" + o.key + "` must be one character, like \",\" or \".\"");
          else if (t && o.key == "decimal")
            f.number_format.decimal = (*t)[0];
          else if (t)
            f.number_format.thousands = t->empty() ? 0 : (*t)[0];
        } else if (o.key == "scale" || o.key == "min" || o.key == "max") {
          auto t = r_.text(o, o.key);
          auto v = t ? tally::detail::parse_number(*t) : std::nullopt;
          if (!v)
            r_.error(o.value_where, "`" + o.key + "` must be a number");
          else if (o.key == "scale")
            f.scale = *v;
          else if (o.key == "min")
            f.min = *v;
          else
            f.max = *v;
        } else if (o.key == "trim" || o.key == "required") {
          if (auto v = parse_flag(r_, o, o.key)) (o.key == "trim" ? f.trim : f.required) = *v;
        } else if (o.key == "case") {
          auto t = r_.text(o, "case");
          if (t && *t == "lower")
            f.fold = CaseFold::Lower;
          else if (t && *t == "upper")
            f.fold = CaseFold::Upper;
          else if (t && *t != "none" && *t != "keep")
            r_.error(o.value_where, "unknown case '" + *t + "'; valid: lower, upper, keep");
        } else if (o.key == "empty") {
          if (auto l = r_.text_list(o, "empty")) f.empty_values = *l;
        } else if (o.key == "map") {
          parse_value_map(o, f);
        } else if (o.key == "else") {
          if (auto t = r_.text(o, "else")) f.otherwise = *t;
        } else if (o.key == "default") {
          if (auto t = r_.text(o, "default")) f.default_value = *t;
        } else if (o.key == "bands") {
          parse_bands(o, f);
        } else if (o.key == "lookup") {
          parse_lookup(o, f, column);
        } else if (o.key == "when") {
          parse_when(o, f, earlier);
        } else if (o.key == "plus" || o.key == "minus") {
          parse_shift(o, f, table, earlier);
        }
      }
      // Date formats are compiled once the type is known.
      if (const Entry* fmt = tally::detail::find_entry(entries, "format")) {
        if (auto t = r_.text(*fmt, "format")) {
          if (!type_given) f.type = ValueType::Date, type_given = true;
          if (f.type != ValueType::Date && f.type != ValueType::DateTime) {
            r_.error(fmt->key_where,
                     "`format:` is for dates; this field's type is " + std::string(value_type_name(f.type)));
          } else {
            std::string error;
            if (auto df = DateFormat::compile(*t, error))
              f.date_format = *df;
            else
              r_.error(fmt->value_where, error);
          }
        }
      }
    }
    const int sources =
        (!f.columns.empty()) + f.constant.has_value() + !f.from.empty() + f.derive_stage_status;
    if (sources != 1)
      r_.error(
          e.key_where,
          what + (sources == 0 ? " needs one of `column:`, `columns:`, `value:`, `from:` or `derive:`"
                               : " takes only one of `column:`, `columns:`, `value:`, `from:`, `derive:`"));
    if (!type_given && !f.bands.empty()) f.type = ValueType::Number;
    if (!type_given && f.bands.empty() && column && !f.lookup) {
      if (column->type == "INTEGER")
        f.type = ValueType::Int;
      else if (column->type == "REAL")
        f.type = is_money_column(target) ? ValueType::Money : ValueType::Number;
      else if (is_time_column(target))
        f.type = ValueType::DateTime;
    }
    if (!f.bands.empty() && !is_numeric(f.type))
      r_.error(e.key_where, what + ": `bands:` need a numeric type (int, number, money, percent)");
    if (column && !f.lookup && f.bands.empty() && column->type == "INTEGER" && target.ends_with("_id"))
      r_.error(e.key_where, what + " holds the id of another row: use `lookup: {table: ..., by: name}`");
    // A value the column cannot hold is refused here, never stored as
    // garbage (a bool's 0/1 in a timestamp counted every lead converted).
    if (column && !f.lookup && f.bands.empty() && !(column->type == "INTEGER" && target.ends_with("_id"))) {
      const auto valid = fitting_types(target, *column);
      if (std::find(valid.begin(), valid.end(), f.type) == valid.end()) {
        std::vector<std::string> names;
        for (auto t : valid) names.push_back(value_type_name(t));
        r_.error(type_where, what + ": type " + value_type_name(f.type) + " cannot fill " + table.name + "." +
                                 target + " (" + column_kind(target, *column) +
                                 "); valid: " + tally::detail::join(names));
      }
    }
    if (!f.shifts.empty() && f.type != ValueType::Date && f.type != ValueType::DateTime)
      r_.error(e.key_where, what + ": `plus:` and `minus:` shift dates; this field's type is " +
                                std::string(value_type_name(f.type)));
    if (f.default_value && *f.default_value == "import_date") {
      if (f.type != ValueType::Date && f.type != ValueType::DateTime)
        r_.error(e.key_where, what + ": `default: import_date` is for date fields");
      f.default_import_date = true;
      f.default_value.reset();
    }
    check_vocabulary(e, f, what);
    if (errors() != errors_before) return std::nullopt;
    return f;
  }

  // `minus: {months: tenure}`: the date moved by a number of units read like
  // any field (a column name, or a map with `column:`, `value:`, `from:`).
  void parse_shift(const Entry& o, FieldSpec& f, const TableInfo& table,
                   const std::vector<FieldSpec>& earlier) {
    if (!o.value.IsMap()) {
      r_.error(o.value_where,
               "`" + o.key + ":` must be a map like {months: tenure} (days, weeks, months, years)");
      return;
    }
    static const std::vector<std::string> units = {"days", "weeks", "months", "years"};
    for (const auto& u : r_.entries(o.value, &units, o.key)) {
      DateShift shift;
      shift.sign = o.key == "minus" ? -1 : 1;
      shift.unit = u.key == "days"     ? DateShift::Days
                   : u.key == "weeks"  ? DateShift::Weeks
                   : u.key == "months" ? DateShift::Months
                                       : DateShift::Years;
      auto amount = parse_field(u, u.key, table, earlier, "`" + o.key + ": {" + u.key + "}`");
      if (!amount) continue;
      if (amount->type == ValueType::Text) amount->type = ValueType::Number;
      if (!is_numeric(amount->type))
        r_.error(u.value_where, "`" + o.key + ": {" + u.key + "}` needs a number, not type " +
                                    std::string(value_type_name(amount->type)));
      shift.amount = std::make_shared<FieldSpec>(std::move(*amount));
      f.shifts.push_back(std::move(shift));
    }
  }

  void parse_when(const Entry& o, FieldSpec& f, const std::vector<FieldSpec>& earlier) {
    if (!o.value.IsMap()) {
      r_.error(o.value_where, "`when:` must be a map like {field: status, is: [won, lost]}");
      return;
    }
    static const std::vector<std::string> keys = {"field", "is"};
    auto entries = r_.entries(o.value, &keys, "when");
    const Entry* field = tally::detail::find_entry(entries, "field");
    const Entry* is = tally::detail::find_entry(entries, "is");
    if (!field || !is) {
      r_.error(o.key_where, "`when:` needs `field:` and `is:`");
      return;
    }
    if (auto t = r_.text(*field, "field")) {
      if (std::none_of(earlier.begin(), earlier.end(), [&](const auto& x) { return x.target == *t; }))
        r_.error(field->value_where,
                 "`when:` must name a field listed before '" + f.target + "' in this file");
      f.when_field = *t;
    }
    if (auto l = r_.text_list(*is, "is")) f.when_values = *l;
  }

  void parse_value_map(const Entry& o, FieldSpec& f) {
    if (!o.value.IsMap()) {
      r_.error(o.value_where, "`map:` must be a map of value to value, like {Won: won, Lost: lost}");
      return;
    }
    for (const auto& me : r_.entries(o.value, nullptr, "map")) {
      auto to = r_.text(me, "a mapped value");
      if (!to) continue;
      bool duplicate = std::any_of(f.value_map.begin(), f.value_map.end(),
                                   [&](const auto& kv) { return iequals(kv.first, me.key); });
      if (duplicate)
        r_.error(me.key_where, "'" + me.key + "' is mapped twice (map keys are matched ignoring case)");
      else
        f.value_map.emplace_back(me.key, *to);
      mapped_where_.emplace_back(*to, me.value_where);
    }
  }

  void parse_bands(const Entry& o, FieldSpec& f) {
    if (!o.value.IsSequence()) {
      r_.error(o.value_where, "`bands:` must be a list like [{below: 100, value: smb}, {value: enterprise}]");
      return;
    }
    for (const auto& node : o.value) {
      Band b;
      if (!node.IsMap()) {
        r_.error(r_.at(node), "each band must be a map like {below: 100, value: smb}");
        continue;
      }
      static const std::vector<std::string> keys = {"below", "value"};
      bool has_value = false;
      for (const auto& be : r_.entries(node, &keys, "a band")) {
        auto t = r_.text(be, be.key);
        if (!t) continue;
        if (be.key == "value") {
          b.value = *t;
          has_value = true;
          mapped_where_.emplace_back(*t, be.value_where);
        } else if (auto v = tally::detail::parse_number(*t)) {
          if (!f.bands.empty() && f.bands.back().below && *v <= *f.bands.back().below)
            r_.error(be.value_where, "bands must be in increasing order of `below`");
          b.below = *v;
        } else {
          r_.error(be.value_where, "`below` must be a number");
        }
      }
      if (!has_value) r_.error(r_.at(node), "a band needs a `value`");
      if (!f.bands.empty() && !f.bands.back().below)
        r_.error(r_.at(node), "only the last band may leave out `below`");
      f.bands.push_back(b);
    }
  }

  void parse_lookup(const Entry& o, FieldSpec& f, const ColumnInfo* column) {
    auto lookup = std::make_shared<LookupSpec>();
    lookup->where = o.key_where;
    if (!o.value.IsMap()) {
      r_.error(o.value_where, "`lookup:` must be a map like {table: reps, by: name, create: true}");
      return;
    }
    static const std::vector<std::string> keys = {"table", "by", "create", "field"};
    auto entries = r_.entries(o.value, &keys, "lookup");
    const Entry* field = tally::detail::find_entry(entries, "field");
    if (field) {
      if (auto t = r_.text(*field, "field")) lookup->field = *t;
    } else if (column && column->type != "INTEGER") {
      r_.error(o.key_where, "`lookup:` fills an id field (like owner_id or account_id), not '" + f.target +
                                "'; to copy a field of the found row, add `field:` (e.g. field: created_at)");
    }
    const TableInfo* target = nullptr;
    const auto& tables = schema_tables();
    if (const Entry* t = tally::detail::find_entry(entries, "table")) {
      if (auto name = r_.text(*t, "table")) {
        auto it = tables.find(*name);
        std::vector<std::string> names;
        for (const auto& [n, _] : tables) names.push_back(n);
        if (it == tables.end())
          r_.error(t->value_where, "unknown table '" + *name + "'; " +
                                       tally::detail::did_you_mean(*name, names) +
                                       "valid: " + tally::detail::join(names));
        else
          target = &it->second, lookup->table = *name;
      }
    } else {
      r_.error(o.key_where, "`lookup:` needs `table:`");
    }
    if (const Entry* by = tally::detail::find_entry(entries, "by")) {
      if (auto t = r_.text(*by, "by")) {
        lookup->by = *t;
        if (target && !target->find(*t)) {
          auto names = column_names(*target);
          r_.error(by->value_where, "table " + lookup->table + " has no column '" + *t + "'; " +
                                        tally::detail::did_you_mean(*t, names) +
                                        "valid: " + tally::detail::join(names));
        }
      }
    }
    if (field && target && !lookup->field.empty()) {
      const ColumnInfo* found = target->find(lookup->field);
      if (!found) {
        auto names = column_names(*target);
        r_.error(field->value_where, "table " + lookup->table + " has no column '" + lookup->field + "'; " +
                                         tally::detail::did_you_mean(lookup->field, names) +
                                         "valid: " + tally::detail::join(names));
      } else if (column && column_kind(f.target, *column) != column_kind(lookup->field, *found)) {
        r_.error(field->value_where, lookup->table + "." + lookup->field + " (" +
                                         column_kind(lookup->field, *found) + ") cannot fill '" + f.target +
                                         "' (" + column_kind(f.target, *column) + ")");
      }
      if (tally::detail::find_entry(entries, "create"))
        r_.error(field->key_where,
                 "`field:` copies a value from an existing row; it cannot be used with `create:`");
    }
    if (const Entry* create = tally::detail::find_entry(entries, "create"); create && target && !field) {
      if (create->value.IsMap()) {
        lookup->create = true;
        for (const auto& ce : r_.entries(create->value, nullptr, "create")) {
          if (!target->find(ce.key) || ce.key == "id" || ce.key == "external_id" || ce.key == lookup->by) {
            auto names = column_names(*target);
            r_.error(ce.key_where, "'" + ce.key + "' cannot be set on a created " + lookup->table + " row; " +
                                       tally::detail::did_you_mean(ce.key, names) +
                                       "valid: " + tally::detail::join(names));
            continue;
          }
          if (auto spec = parse_field(ce, ce.key, *target, {}, "created " + lookup->table + "." + ce.key))
            lookup->create_fields.push_back(std::move(*spec));
        }
      } else if (auto v = parse_flag(r_, *create, "create")) {
        lookup->create = *v;
      }
      if (lookup->create) {
        for (const auto& c : target->columns) {
          if (!c.not_null || c.default_value || c.name == "id" || c.name == lookup->by || c.name == "name")
            continue;
          bool given = std::any_of(lookup->create_fields.begin(), lookup->create_fields.end(),
                                   [&](const auto& x) { return x.target == c.name; });
          if (!given)
            r_.error(create->key_where, "a created " + lookup->table + " row needs '" + c.name +
                                            "': give it under `create: {" + c.name + ": ...}`");
        }
      }
    }
    f.lookup = lookup;
  }

  void check_vocabulary(const Entry& e, const FieldSpec& f, const std::string& what) {
    std::vector<std::pair<std::string, SourceLocation>> values = std::move(mapped_where_);
    mapped_where_.clear();
    if (f.allowed.empty() || f.lookup) return;
    if (f.constant) values.emplace_back(*f.constant, e.value_where);
    if (f.otherwise) values.emplace_back(*f.otherwise, e.value_where);
    if (f.default_value) values.emplace_back(*f.default_value, e.value_where);
    for (const auto& [value, where] : values) {
      if (value.empty() || std::find(f.allowed.begin(), f.allowed.end(), value) != f.allowed.end()) continue;
      r_.error(where, "'" + value + "' is not a valid " + what + "; " +
                          tally::detail::did_you_mean(value, f.allowed) +
                          "valid: " + tally::detail::join(f.allowed));
    }
  }

  size_t errors() const { return diagnostics_.size(); }

  YamlReader r_;
  const std::vector<Diagnostic>& diagnostics_;
  std::vector<std::pair<std::string, SourceLocation>> mapped_where_;
};

}  // namespace

Mapping parse_mapping_text(const std::string& yaml_text, const std::string& display_path) {
  std::vector<Diagnostic> diagnostics;
  auto root = tally::detail::load_yaml(yaml_text, display_path, diagnostics);
  if (!root) throw DiagnosticError(std::move(diagnostics));
  Parser parser(display_path, diagnostics);
  Mapping m = parser.parse(*root);
  if (!diagnostics.empty()) throw DiagnosticError(std::move(diagnostics));
  return m;
}

Mapping parse_mapping_file(const std::string& path) {
  std::string error;
  auto text = tally::detail::read_file(path, error);
  if (!text) throw DiagnosticError({Diagnostic{{path, 0, 0}, "cannot read mapping: " + error}});
  return parse_mapping_text(*text, path);
}

}  // namespace tally::import
