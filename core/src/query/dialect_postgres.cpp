// PostgreSQL's spelling of the portable core (the shared parts: dialects.cpp).
#include <algorithm>
#include <map>
#include <string>

#include "util/text.hpp"

#include "query/internal.hpp"

namespace tally::query {

using detail::checked_fiscal_start;
using detail::plain_name;
using detail::quote_with;

namespace {

// PostgreSQL evaluates an expression as often as a query spells it. The
// per-stage p90 of days in stage spells days_between (two text-to-timestamp
// casts) ten times per row, which was 60% of its time. per_row() marks such
// an expression; assemble() computes each one the query uses more than once
// a single time per row, in `CROSS JOIN LATERAL (SELECT expr AS v0, ...
// OFFSET 0) AS tally_row` after the joins (OFFSET 0 keeps the planner from
// inlining it back), read as tally_row.v0. One used once stays in place. The
// marks are control characters, which no rendered SQL contains otherwise
// (literals travel as parameters).
constexpr char kRowOpen = '\x03';
constexpr char kRowClose = '\x04';

std::string without_row_marks(std::string sql) {
  sql.erase(std::remove_if(sql.begin(), sql.end(), [](char c) { return c == kRowOpen || c == kRowClose; }),
            sql.end());
  return sql;
}

// `sql` with each outermost marked expression replaced by replace(expression).
template <typename Replace>
std::string replace_row_marks(const std::string& sql, Replace&& replace) {
  std::string out;
  for (size_t i = 0; i < sql.size();) {
    if (sql[i] != kRowOpen) {
      out += sql[i++];
      continue;
    }
    size_t end = i;
    for (int depth = 0; end < sql.size(); ++end) {
      if (sql[end] == kRowOpen) ++depth;
      if (sql[end] == kRowClose && --depth == 0) break;
    }
    out += replace(without_row_marks(sql.substr(i + 1, end - i - 1)));
    i = end + 1;
  }
  return out;
}

// Rewrites `parts` as described above; returns the LATERAL clause, or "".
std::string hoist_per_row(detail::SelectParts& parts) {
  const auto lists = {&parts.columns, &parts.conditions, &parts.groups};
  std::map<std::string, int> uses;
  std::vector<std::string> order;  // first use first, so the SQL is stable
  for (auto* list : lists)
    for (const auto& item : *list)
      replace_row_marks(item, [&](const std::string& e) {
        if (uses[e]++ == 0) order.push_back(e);
        return e;
      });
  std::map<std::string, std::string> hoisted;  // expression -> tally_row.vN
  std::vector<std::string> values;
  for (const auto& e : order) {
    if (uses[e] < 2) continue;
    const std::string name = "v" + std::to_string(values.size());
    hoisted[e] = "tally_row." + name;
    values.push_back(e + " AS " + name);
  }
  for (auto* list : lists)
    for (auto& item : *list)
      item = replace_row_marks(item, [&](const std::string& e) {
        auto it = hoisted.find(e);
        return it == hoisted.end() ? e : it->second;
      });
  if (values.empty()) return "";
  return "CROSS JOIN LATERAL (SELECT " + join(values, ", ") + " OFFSET 0) AS tally_row";
}

class PostgresDialect final : public detail::SqlDialect {
 public:
  std::string name() const override { return "postgresql"; }
  std::string placeholder(size_t index) const override { return "$" + std::to_string(index + 1); }
  std::string days_between(const std::string& a, const std::string& b) const override {
    return days_between_epochs(a, "", b, "");
  }
  // date_part gives double precision seconds; EXTRACT gives numeric, whose
  // arithmetic and sorting made the per-stage p90 several times slower.
  // Whole seconds divided once: the same double as SQLite's
  // tally_days_between. A stored epoch (schema version 5) holds that same
  // date_part, computed when the row was written.
  std::string days_between_epochs(const std::string& a, const std::string& a_epoch, const std::string& b,
                                  const std::string& b_epoch) const override {
    auto epoch = [](const std::string& ts, const std::string& stored) {
      return stored.empty() ? "date_part('epoch', CAST(" + ts + " AS timestamp))" : stored;
    };
    return "((" + epoch(b, b_epoch) + " - " + epoch(a, a_epoch) + ") / 86400.0)";
  }
  // The `<column>_epoch` columns migration 5 of store/postgres/schema.cpp adds.
  std::string stored_epoch(const std::string& table, const std::string& column) const override {
    return duration_timestamps().contains({table, column}) ? column + "_epoch" : "";
  }
  std::string bucket_start(const std::string& unit, const std::string& ts,
                           int fiscal_year_start) const override {
    const int shift = checked_fiscal_start(fiscal_year_start) - 1;
    const std::string t = "CAST(" + ts + " AS timestamp)";
    auto text = [](const std::string& e) { return "to_char(" + e + ", 'YYYY-MM-DD')"; };
    if (unit == "day" || unit == "week" || unit == "month")
      return text("date_trunc('" + unit + "', " + t + ")");
    if (unit == "quarter" || unit == "year") {
      if (shift == 0) return text("date_trunc('" + unit + "', " + t + ")");
      // Shift into a calendar that starts with the fiscal year, truncate, shift back.
      const std::string months = "INTERVAL '" + std::to_string(shift) + " months'";
      return text("(date_trunc('" + unit + "', " + t + " - " + months + ") + " + months + ")");
    }
    throw QueryError("unknown bucket unit '" + unit + "'");
  }
  std::string date_of(const std::string& ts) const override {
    return "to_char(CAST(" + ts + " AS timestamp), 'YYYY-MM-DD')";
  }
  std::string quantile(const std::string& x, const std::string& p) const override {
    return "percentile_cont(" + p + ") WITHIN GROUP (ORDER BY " + x + ")";
  }
  std::string count_distinct(const std::string& x) const override { return "count(DISTINCT " + x + ")"; }
  std::string quote_identifier(const std::string& id) const override { return quote_with(id, '"'); }
  std::string per_row(const std::string& expr) const override { return kRowOpen + expr + kRowClose; }
  std::string assemble(const detail::SelectParts& parts) const override {
    detail::SelectParts out = parts;
    const std::string lateral = hoist_per_row(out);
    if (out.dataset == nullptr || out.dataset->from_postgres.empty())
      return detail::standard_select(out, *this, plain_name, lateral);
    detail::DatasetDef dataset = *out.dataset;  // a copy reading from_postgres
    dataset.from = dataset.from_postgres;
    out.dataset = &dataset;
    return detail::standard_select(out, *this, plain_name, lateral);
  }

  std::string divide(const std::string& a, const std::string& b) const override {
    return "(CAST(" + a + " AS double precision) / NULLIF(" + b + ", 0))";
  }
  // LEAST/GREATEST skip NULLs in PostgreSQL; the portable meaning is NULL.
  std::string least(const std::string& a, const std::string& b) const override {
    return "(CASE WHEN " + a + " IS NULL OR " + b + " IS NULL THEN NULL ELSE LEAST(" + a + ", " + b +
           ") END)";
  }
  std::string greatest(const std::string& a, const std::string& b) const override {
    return "(CASE WHEN " + a + " IS NULL OR " + b + " IS NULL THEN NULL ELSE GREATEST(" + a + ", " + b +
           ") END)";
  }
  // round(x, n) exists only for numeric; the result is cast back to a double.
  std::string round(const std::string& x, const std::string* digits) const override {
    return "CAST(round(CAST(" + x + " AS numeric)" + (digits ? ", CAST(" + *digits + " AS integer)" : "") +
           ") AS double precision)";
  }
  std::string nullif(const std::string& a, const std::string& b) const override {
    return "NULLIF(" + a + ", " + b + ")";
  }
  std::string boolean(bool value) const override { return value ? "TRUE" : "FALSE"; }
  // Flags are bigint columns (0/1), as in SQLite: truth values convert both ways.
  std::string condition_as_value(const std::string& condition) const override {
    return "CAST(" + condition + " AS integer)";
  }
  std::string value_as_condition(const std::string& value) const override { return "(" + value + " <> 0)"; }
  // Values are text: the column is compared as text.
  std::string in_json_list(const std::string& column, const std::string& placeholder) const override {
    return "CAST(" + column + " AS text) = ANY(ARRAY(SELECT json_array_elements_text(CAST(" + placeholder +
           " AS json))))";
  }
  std::string in_json_values(const std::string& expr, const std::string& placeholder,
                             ListType type) const override {
    const std::string item = type == ListType::Integer ? "CAST(v AS bigint)"
                             : type == ListType::Real  ? "CAST(v AS double precision)"
                                                       : "v";
    return expr + " IN (SELECT " + item + " FROM json_array_elements_text(CAST(" + placeholder +
           " AS json)) AS j(v))";
  }
};

}  // namespace

std::unique_ptr<Dialect> make_postgres_dialect() {
  return std::make_unique<PostgresDialect>();
}

}  // namespace tally::query
