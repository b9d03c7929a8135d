// `tally import`'s writes on PostgreSQL (Store::keyed_writer): rows COPYed
// into a temporary staging table, then one INSERT ... ON CONFLICT
// (external_id) DO UPDATE of the mapped columns per batch. New rows take
// max(id) + 1, + 2 ... in file order, as on SQLite, so both engines give the
// same ids. A batch that breaks a rule of the table (NOT NULL) is rolled
// back to its savepoint and written row by row, so only the guilty rows
// become rejects, with SQLite's words.
#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>
#include <unordered_map>

#include "store/postgres/connection.hpp"
#include "store/postgres/postgres.hpp"
#include "store/postgres/schema.hpp"
#include "store/text_rows.hpp"

namespace tally::store::postgres {

namespace {

class PgKeyedWriter final : public KeyedWriter {
 public:
  PgKeyedWriter(Connection& conn, const std::string& table, const std::vector<std::string>& columns,
                const std::vector<Cell>& defaults)
      : conn_(conn), table_(table), defaults_(defaults) {
    defaults_.resize(columns.size());
    staging_ = identifier("tally_import_" + table);
    std::string names = identifier("external_id"), moved = "m." + identifier("external_id"), sets;
    for (const auto& c : columns) {
      names += ", " + identifier(c);
      moved += ", m." + identifier(c);
      sets += (sets.empty() ? "" : ", ") + identifier(c) + " = EXCLUDED." + identifier(c);
    }
    if (sets.empty()) sets = "external_id = EXCLUDED.external_id";  // so the row is returned
    const std::string target = identifier(table);
    conn_.exec("DROP TABLE IF EXISTS pg_temp." + staging_);
    conn_.exec("CREATE TEMP TABLE " + staging_ + " AS SELECT 0::bigint AS tally_row, " + names + " FROM " +
                   target + " WITH NO DATA",
               "cannot create the staging table of '" + table + "' (the user needs TEMP on the database)");
    copy_ = "COPY " + staging_ + " (tally_row, " + names + ") FROM STDIN";
    // Existing keys keep their id (the conflict updates them); new ones
    // count on from the table's highest id, in file order. Each staged key
    // looks its row up through the external_id index (the LATERAL ... OFFSET
    // 0 keeps it a lookup): as a plain join the planner hashed the whole
    // target table for every batch, which grew with the table (most of the
    // 1M-row import's time; docs/backends.md, Speed).
    upsert_ =
        "WITH top AS (SELECT coalesce(max(id), 0) AS id FROM " + target + ") INSERT INTO " + target +
        " (id, " + names +
        ") SELECT coalesce(o.id, top.id + count(*) FILTER (WHERE o.id IS NULL) OVER (ORDER BY m.tally_row "
        "ROWS UNBOUNDED PRECEDING)), " +
        moved + " FROM " + staging_ + " m CROSS JOIN top LEFT JOIN LATERAL (SELECT o.id FROM " + target +
        " o WHERE o.external_id = m.external_id OFFSET 0) o ON TRUE ORDER BY m.tally_row "
        "ON CONFLICT (external_id) DO UPDATE SET " +
        sets + " RETURNING external_id, id, (xmax = 0)";
    // Emptied by TRUNCATE, not DELETE: deleted rows would stay in the table
    // until the transaction ends, and every batch would scan them again.
    done_ = "TRUNCATE " + staging_ + "; RELEASE SAVEPOINT tally_rows";
    find_ = "SELECT id FROM " + target + " WHERE external_id = $1";
  }
  ~PgKeyedWriter() override {
    spdlog::debug("import {}: COPY {:.2f} s, upserts {:.2f} s, staging emptied {:.2f} s", table_, seconds_[0],
                  seconds_[1], seconds_[2]);
    if (!conn_.in_transaction()) return;
    try {
      conn_.exec("DROP TABLE pg_temp." + staging_);
    } catch (...) {  // best effort: a temporary table goes with the session anyway
    }
  }

  void stage(const std::string& key, const std::vector<Cell>& cells) override {
    append_row(buffer_, staged_.size(), key, cells);
    staged_.push_back({&key, &cells});
  }

  void flush(std::vector<WriteOutcome>& out) override {
    out.clear();
    out.resize(staged_.size());
    if (staged_.empty()) return;
    try {
      write(buffer_, 0, out);
    } catch (const EngineError& e) {
      if (e.fault() != Fault::Constraint) throw;
      for (size_t i = 0; i < staged_.size(); ++i) {
        std::string row;
        append_row(row, i, *staged_[i].key, *staged_[i].cells);
        try {
          write(row, i, out);
        } catch (const EngineError& r) {
          if (r.fault() != Fault::Constraint) throw;
          out[i] = {-1, false, r.detail()};
        }
      }
    }
    buffer_.clear();
    staged_.clear();
  }

  int64_t find(const std::string& key) override {
    const Value id = conn_.scalar(find_, {param_of(Value{key})});
    return is_null(id) ? -1 : std::get<int64_t>(id);
  }

 private:
  struct Staged {
    const std::string* key;
    const std::vector<Cell>* cells;
  };

  void append_row(std::string& out, size_t index, const std::string& key,
                  const std::vector<Cell>& cells) const {
    char buf[24];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, index).ptr);
    out += '\t';
    text_rows::append_text(out, key);
    for (size_t c = 0; c < cells.size() && c < defaults_.size(); ++c) {
      const Cell& cell = cells[c].kind == Cell::Null ? defaults_[c] : cells[c];
      out += '\t';
      switch (cell.kind) {
        case Cell::Null: out += "\\N"; break;
        case Cell::Int: out.append(buf, std::to_chars(buf, buf + sizeof buf, cell.i).ptr); break;
        case Cell::Real: text_rows::append_real(out, cell.d, text_rows::kPostgres); break;
        case Cell::Text: text_rows::append_text(out, cell.text); break;
      }
    }
    out += '\n';
  }

  // COPY `rows` (staged rows from `first`) and upsert them, under a
  // savepoint that undoes just them when they fail; the outcomes by key.
  void write(const std::string& rows, size_t first, std::vector<WriteOutcome>& out) {
    using Clock = std::chrono::steady_clock;
    auto t0 = Clock::now();
    auto lap = [&](int i) {
      const auto t = Clock::now();
      seconds_[i] += std::chrono::duration<double>(t - t0).count();
      t0 = t;
    };
    conn_.exec("SAVEPOINT tally_rows");
    Result result;
    try {
      conn_.copy_in(copy_, rows, "cannot write rows into '" + table_ + "' of " + conn_.where());
      lap(0);
      result = conn_.query(upsert_, {}, "cannot store rows in '" + table_ + "' of " + conn_.where());
      lap(1);
    } catch (const EngineError&) {
      conn_.exec("ROLLBACK TO SAVEPOINT tally_rows; RELEASE SAVEPOINT tally_rows");
      throw;
    }
    const int n = PQntuples(result.get());
    std::unordered_map<std::string_view, size_t> index;
    if (n > 1)
      for (size_t i = first; i < staged_.size(); ++i) index.emplace(*staged_[i].key, i);
    for (int r = 0; r < n; ++r) {
      const std::string_view key(PQgetvalue(result.get(), r, 0),
                                 static_cast<size_t>(PQgetlength(result.get(), r, 0)));
      const size_t i = n > 1 ? index.at(key) : first;
      out[i].id = std::strtoll(PQgetvalue(result.get(), r, 1), nullptr, 10);
      out[i].inserted = PQgetvalue(result.get(), r, 2)[0] == 't';
    }
    t0 = std::chrono::steady_clock::now();
    conn_.exec(done_);
    lap(2);
  }

  Connection& conn_;
  std::string table_, staging_, copy_, upsert_, done_, find_;
  std::vector<Cell> defaults_;
  std::vector<Staged> staged_;
  std::string buffer_;
  double seconds_[3] = {0, 0, 0};  // COPY, upserts, emptying the staging table (-vv)
};

bool has_external_id(const std::string& table) {
  for (const auto& t : canonical_tables())
    if (t.name == table)
      for (const auto& c : t.columns)
        if (c.name == "external_id") return true;
  return false;
}

}  // namespace

// The tables an import writes: those with an external_id, the stages and
// the record of imports.
std::vector<std::string> import_tables() {
  std::vector<std::string> out = {"imports", "stages"};
  for (const auto& t : tables())
    if (t != "imports" && t != "stages" && has_external_id(t)) out.push_back(t);
  return out;
}

// The import's transaction keeps other writers out of the tables it may
// write, as SQLite's BEGIN IMMEDIATE does (readers go on); a user who may
// not write one of them is told before anything is read.
void lock_for_import(Connection& conn) {
  std::string names = "{", list;
  for (const auto& t : import_tables()) {
    names += (names.size() > 1 ? "," : "") + t;
    list += (list.empty() ? "" : ", ") + identifier(t);
  }
  const Value denied = conn.scalar(
      "SELECT min(t) FROM unnest($1::text[]) t WHERE to_regclass(quote_ident(t)) IS NOT NULL AND NOT ("
      "has_table_privilege(quote_ident(t), 'SELECT') AND has_table_privilege(quote_ident(t), 'INSERT') AND "
      "has_table_privilege(quote_ident(t), 'UPDATE'))",
      {Param{25, names + "}", false}});
  if (!is_null(denied)) {
    const std::string table = std::get<std::string>(denied);
    throw StoreError("user '" + conn.user() + "' may not write table '" + table + "' of " + conn.where() +
                     "; an import needs SELECT, INSERT and UPDATE on it: GRANT SELECT, INSERT, UPDATE ON " +
                     table + " TO " + conn.user() + " (docs/backends.md)");
  }
  conn.exec("LOCK TABLE " + list + " IN SHARE ROW EXCLUSIVE MODE",
            "cannot lock the tables for the import on " + conn.where());
}

// Only the owner of a table may drop its indexes: for anyone else the rows
// go in with the indexes kept up to date.
std::vector<std::string> drop_table_indexes(Connection& conn, const std::string& table) {
  Result rows = conn.query(
      "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
      "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
      "WHERE t.oid = to_regclass($1) AND pg_has_role(t.relowner, 'USAGE') "
      "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY 1",
      {param_of(Value{identifier(table)})});
  std::vector<std::string> created;
  for (int i = 0; i < PQntuples(rows.get()); ++i) {
    conn.exec("DROP INDEX " + identifier(PQgetvalue(rows.get(), i, 0)));
    created.emplace_back(PQgetvalue(rows.get(), i, 1));
  }
  return created;
}

std::unique_ptr<KeyedWriter> make_keyed_writer(Connection& conn, const std::string& table,
                                               const std::vector<std::string>& columns,
                                               const std::vector<Cell>& defaults) {
  return std::make_unique<PgKeyedWriter>(conn, table, columns, defaults);
}

}  // namespace tally::store::postgres
