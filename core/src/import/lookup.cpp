// Lookups: a value to the id of a row in another table, from a cache
// filled from the store, creating the row on first sight when asked.
#include <algorithm>

#include "config/detail.hpp"
#include "import/engine.hpp"

namespace tally::import {

void Importer::load_cache(LookupCache& cache) {
  Statement q(db_, "SELECT " + cache.by + ", " + (cache.field.empty() ? std::string("id") : cache.field) +
                       " FROM " + cache.table + " WHERE " + cache.by + " IS NOT NULL ORDER BY id");
  while (q.row("cannot read a lookup table")) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(q.get(), 0));
    if (!cache.field.empty()) {
      Cell value;
      switch (sqlite3_column_type(q.get(), 1)) {
        case SQLITE_INTEGER: value.kind = Cell::Int, value.i = sqlite3_column_int64(q.get(), 1); break;
        case SQLITE_FLOAT: value.kind = Cell::Real, value.d = sqlite3_column_double(q.get(), 1); break;
        case SQLITE_NULL: break;
        default:
          value.kind = Cell::Text;
          value.text.assign(reinterpret_cast<const char*>(sqlite3_column_text(q.get(), 1)),
                            static_cast<size_t>(sqlite3_column_bytes(q.get(), 1)));
      }
      cache.values.emplace(std::string(text, static_cast<size_t>(sqlite3_column_bytes(q.get(), 0))),
                           std::move(value));
      continue;
    }
    cache.ids.emplace(std::string(text, static_cast<size_t>(sqlite3_column_bytes(q.get(), 0))),
                      sqlite3_column_int64(q.get(), 1));
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
  sqlite3_stmt* st = l.insert.get();
  int n = 1;
  sqlite3_bind_text(st, n++, key_copy.data(), static_cast<int>(key_copy.size()), SQLITE_STATIC);
  const TableInfo& target = schema_tables().at(spec.table);
  const bool name_too = spec.by != "name" && target.find("name") &&
                        std::none_of(spec.create_fields.begin(), spec.create_fields.end(),
                                     [](auto& f) { return f.target == "name"; });
  if (name_too) sqlite3_bind_text(st, n++, key_copy.data(), static_cast<int>(key_copy.size()), SQLITE_STATIC);
  std::string external_id = prefix_ + key_copy;
  if (spec.by != "external_id" && target.has_external_id())
    sqlite3_bind_text(st, n++, external_id.data(), static_cast<int>(external_id.size()), SQLITE_STATIC);
  for (size_t i = 0; i < l.create.size(); ++i) {
    const auto& s = *l.create[i].spec;
    if (l.create_cells[i].kind == Cell::Null && s.has_schema_default)
      sqlite3_bind_text(st, n++, s.schema_default.data(), static_cast<int>(s.schema_default.size()),
                        SQLITE_STATIC);
    else
      bind_cell(st, n++, l.create_cells[i]);
  }
  check_transaction();
  const int rc = sqlite3_step(st);
  const std::string message = rc == SQLITE_DONE ? std::string() : error();
  sqlite3_reset(st);
  if (rc != SQLITE_DONE && store::classify(rc) != store::Fault::Constraint)
    engine_failure(rc, "cannot create the " + spec.table + " row '" + key_copy + "'");
  if (rc != SQLITE_DONE)
    return fail(err, p, "cannot create the " + spec.table + " row '" + key_copy + "': " + message);
  const int64_t id = sqlite3_last_insert_rowid(db_);
  l.cache->ids.emplace(key_copy, id);
  ++summary_file_->created[spec.table];
  created_rows_.emplace(std::make_pair(spec.table, id), summary_file_);
  out.kind = Cell::Int;
  out.i = id;
  return true;
}

}  // namespace tally::import
