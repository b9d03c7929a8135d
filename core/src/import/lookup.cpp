// Lookups: a value to the id of a row in another table, from a cache
// filled from the store, creating the row on first sight when asked.
#include <algorithm>

#include "config/detail.hpp"
#include "import/engine.hpp"
#include "util/value.hpp"

namespace tally::import {

void Importer::load_cache(LookupCache& cache) {
  auto q = db_.prepare("SELECT " + cache.by + ", " + (cache.field.empty() ? std::string("id") : cache.field) +
                       " FROM " + cache.table + " WHERE " + cache.by + " IS NOT NULL ORDER BY id");
  auto rows = q->query();
  while (rows->next()) {
    const Value by = rows->get(0), found = rows->get(1);
    // A key as the text it is compared with (a number's shortest form).
    std::string key = std::holds_alternative<std::string>(by) ? std::get<std::string>(by)
                      : std::holds_alternative<int64_t>(by)
                          ? std::to_string(std::get<int64_t>(by))
                          : tally::detail::format_number(std::get<double>(by));
    if (!cache.field.empty()) {
      Cell value;
      if (const auto* i = std::get_if<int64_t>(&found)) value.kind = Cell::Int, value.i = *i;
      if (const auto* d = std::get_if<double>(&found)) value.kind = Cell::Real, value.d = *d;
      if (const auto* t = std::get_if<std::string>(&found)) value.kind = Cell::Text, value.text = *t;
      cache.values.emplace(std::move(key), std::move(value));
      continue;
    }
    cache.ids.emplace(std::move(key), std::get<int64_t>(found));
  }
  cache.loaded = true;
}

bool Importer::resolve(FieldPlan& p, const std::vector<std::string>& rec, Cell& out, RowError& err) {
  LookupPlan& l = *p.lookup;
  std::string_view key;
  if (out.kind == Cell::Text) {
    key = out.text;
  } else {
    l.key = out.kind == Cell::Int ? std::to_string(out.i) : tally::detail::format_number(out.d);
    key = l.key;
  }
  if (l.by_external_id) {
    l.key = prefix_ + std::string(key);
    key = l.key;
  }
  if (!l.cache->loaded) {
    std::lock_guard lock(db_mutex_);
    load_cache(*l.cache);
  }
  const LookupSpec& spec = *l.spec;
  if (!spec.field.empty()) {  // a field of the found row, not its id
    auto it = l.cache->values.find(key);
    if (it == l.cache->values.end())
      return fail(err, p,
                  "no " + spec.table + " row has " + spec.by + " '" + std::string(key) + "' (to copy its " +
                      spec.field + "); import that file first, or fix the value with a `map:`");
    out = it->second;
    return true;
  }
  if (auto it = l.cache->ids.find(key); it != l.cache->ids.end()) {
    out.kind = Cell::Int;
    out.i = it->second;
    return true;
  }
  if (!spec.create)
    return fail(err, p,
                "no " + spec.table + " row has " + spec.by + " '" + std::string(key) +
                    "'; import it first, fix the value with a `map:`, or set `create: true` on the lookup");
  // Create the referenced row on first sight. Its fields first: their own
  // lookups take the lock.
  const std::string key_copy(key);
  for (size_t i = 0; i < l.create.size(); ++i)
    if (!eval(l.create[i], rec, l.create_cells, l.create_cells[i], err)) return false;
  std::lock_guard lock(db_mutex_);
  store::Statement& st = *l.insert;
  int n = 1;
  auto bind = [&](const Cell& cell) {
    switch (cell.kind) {
      case Cell::Null: st.bind_null(n++); break;
      case Cell::Int: st.bind(n++, cell.i); break;
      case Cell::Real: st.bind(n++, cell.d); break;
      case Cell::Text: st.bind(n++, std::string_view(cell.text)); break;
    }
  };
  st.bind(n++, std::string_view(key_copy));
  const TableInfo& target = schema_tables().at(spec.table);
  const bool name_too = spec.by != "name" && target.find("name") &&
                        std::none_of(spec.create_fields.begin(), spec.create_fields.end(),
                                     [](auto& f) { return f.target == "name"; });
  if (name_too) st.bind(n++, std::string_view(key_copy));
  std::string external_id = prefix_ + key_copy;
  if (spec.by != "external_id" && target.has_external_id()) st.bind(n++, std::string_view(external_id));
  for (size_t i = 0; i < l.create.size(); ++i)
    bind(l.create_cells[i].kind == Cell::Null ? l.create[i].default_cell : l.create_cells[i]);
  check_transaction();
  int64_t id = -1;
  try {
    auto rows = st.query();
    if (rows->next()) id = std::get<int64_t>(rows->get(0));
    while (rows->next()) {
    }
  } catch (const store::EngineError& e) {
    // A rule of the table broken by the new row is the record's fault.
    if (e.fault() != store::Fault::Constraint) throw;
    return fail(err, p, "cannot create the " + spec.table + " row '" + key_copy + "': " + e.detail());
  }
  l.cache->ids.emplace(key_copy, id);
  ++summary_file_->created[spec.table];
  created_rows_.emplace(std::make_pair(spec.table, id), summary_file_);
  out.kind = Cell::Int;
  out.i = id;
  return true;
}

}  // namespace tally::import
