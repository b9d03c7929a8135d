#include "run/explain.hpp"

#include <tally/format.hpp>

#include <algorithm>
#include <sstream>

#include "util/text.hpp"

namespace tally::run {

namespace {

namespace fmt = tally::format;

RecordList read_records(const Drilldown& drill, store::Backend& backend) {
  if (!drill.error.empty())
    throw ExplainError("the records behind " + drill.kpi + " cannot be listed: " + drill.error);
  RecordList list;
  list.dataset = drill.dataset;
  list.columns = drill.records.columns;
  list.constants = drill.constants;
  // A value per record the KPI aggregates (QueryBuilder::records_query keeps
  // it as drilldown_sum, _mean, _median or _p90): listed as `value`.
  for (auto& column : list.columns)
    if (column.starts_with("drilldown_")) {
      list.aggregate = column.substr(std::string("drilldown_").size());
      column = "value";
    }
  auto connection = backend.connect();
  auto cursor = connection->execute(drill.records);
  while (cursor->next()) {
    std::vector<Value> row;
    row.reserve(cursor->column_count());
    for (size_t i = 0; i < cursor->column_count(); ++i) row.push_back(cursor->get(i));
    list.rows.push_back(std::move(row));
  }
  return list;
}

nlohmann::json cell_json(const Value& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return *i;
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  return nullptr;
}

nlohmann::json records_json(const RecordList& list) {
  nlohmann::json records = nlohmann::json::array();
  for (const auto& row : list.rows) {
    nlohmann::json record = nlohmann::json::object();
    for (size_t i = 0; i < list.columns.size() && i < row.size(); ++i)
      record[list.columns[i]] = cell_json(row[i]);
    records.push_back(std::move(record));
  }
  nlohmann::json constants = nullptr;
  for (const auto& [name, value] : list.constants) constants[name] = cell_json(value);
  return {{"dataset", list.dataset},
          {"constants", std::move(constants)},
          {"columns", list.columns},
          {"records", std::move(records)},
          {"record_count", list.rows.size()},
          {"aggregate", list.aggregate.empty() ? nlohmann::json(nullptr) : nlohmann::json(list.aggregate)}};
}

// Characters, not bytes, so names with accents line up.
size_t display_width(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string cell_text(const Value& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&v)) return fmt::plain(*d);
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  return "n/a";
}

// "3 record(s) from opportunities (the numerator; the KPI uses the sum of their value):"
void write_heading(std::ostringstream& out, const RecordList& list, const char* part) {
  out << list.rows.size() << " record(s) from " << list.dataset;
  std::string how = list.aggregate.empty() ? "" : "the " + list.aggregate + " of their `value`";
  if (part && !how.empty())
    out << " (" << part << ": " << how << ")";
  else if (part)
    out << " (" << part << ")";
  else if (!how.empty())
    out << " (the KPI is " << how << ")";
  out << ":\n";
  for (const auto& [name, value] : list.constants)
    out << "  (constant) " << name << " = " << cell_text(value) << '\n';
}

void write_table(std::ostringstream& out, const RecordList& list) {
  std::vector<size_t> widths;
  for (const auto& c : list.columns) widths.push_back(c.size());
  std::vector<std::vector<std::string>> cells;
  for (const auto& row : list.rows) {
    std::vector<std::string> line;
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      line.push_back(escape_for_terminal(cell_text(row[i])));
      widths[i] = std::max(widths[i], display_width(line.back()));
    }
    cells.push_back(std::move(line));
  }
  auto write_line = [&](const std::vector<std::string>& line) {
    std::string text;
    for (size_t i = 0; i < line.size(); ++i) {
      if (i) text += "  ";
      text += line[i];
      if (i + 1 < line.size()) text += std::string(widths[i] - display_width(line[i]), ' ');
    }
    out << "  " << text << '\n';
  };
  write_line(list.columns);
  for (const auto& line : cells) write_line(line);
}

// The rows of a KPI's (or a table's) breakdown that offer records.
std::vector<std::string> rows_of(const MetricResult& m, const std::string& kpi) {
  std::vector<std::string> rows;
  for (const auto& d : m.drilldowns)
    if (d.part == TALLY_DRILLDOWN_RECORDS && !d.row.empty() && d.kpi == kpi) rows.push_back(d.row);
  return rows;
}

}  // namespace

Explanation explain(const RunResult& run, const std::string& metric, const std::string& kpi,
                    const std::string& row, const plugins::Registry& registry, store::Backend& backend,
                    const std::map<std::string, std::vector<std::string>>& filters) {
  auto found = std::find_if(run.metrics.begin(), run.metrics.end(),
                            [&](const MetricResult& m) { return m.name == metric; });
  if (found == run.metrics.end()) {
    std::vector<std::string> names;
    for (const auto& m : run.metrics) names.push_back(m.name);
    const std::string near = closest_match(metric, names);
    throw ExplainError("unknown metric '" + metric + "'" +
                       (near.empty() ? "" : "; did you mean '" + near + "'?") +
                       "; the config's metrics: " + join(names, ", "));
  }
  const MetricResult& m = *found;
  if (!m.ok) throw ExplainError("metric '" + metric + "' failed: " + m.error);
  const Kpi* k = m.find_kpi(kpi);
  // A table row may be drilled into by a column that is no headline KPI
  // (the leaderboard's deals_won per rep), or by the table's name (the
  // pipeline's by_region, row EMEA).
  Kpi column_only;
  if (!k && !row.empty() && m.find_drilldown(kpi, row, TALLY_DRILLDOWN_RECORDS)) {
    column_only.name = kpi;
    if (const Table* t = m.find_table(kpi)) column_only.label = t->title.empty() ? t->name : t->title;
    k = &column_only;
  }
  if (!k && m.find_table(kpi)) {
    const auto rows = rows_of(m, kpi);
    const std::string offered =
        rows.empty() ? " (it offers no drill-down per row)" : "; its rows: " + join(rows, ", ");
    if (row.empty())
      throw ExplainError("'" + kpi + "' is a table of metric '" + metric +
                         "': name one of its rows with --row" + offered);
    throw ExplainError("table '" + kpi + "' of metric '" + metric + "' has no row '" + row + "'" + offered);
  }
  if (!k) {
    std::vector<std::string> names;
    for (const auto& x : m.kpis) names.push_back(x.name);
    const std::string near = closest_match(kpi, names);
    throw ExplainError("metric '" + metric + "' has no KPI '" + kpi + "'" +
                       (near.empty() ? "" : "; did you mean '" + near + "'?") +
                       "; its KPIs: " + join(names, ", "));
  }
  const Drilldown* drill = m.find_drilldown(kpi, row, TALLY_DRILLDOWN_RECORDS);
  if (!drill) {
    std::vector<std::string> offered, rows = rows_of(m, kpi);
    for (const auto& d : m.drilldowns)
      if (d.part == TALLY_DRILLDOWN_RECORDS && d.row.empty() &&
          std::find(offered.begin(), offered.end(), d.kpi) == offered.end())
        offered.push_back(d.kpi);
    if (!row.empty())
      throw ExplainError(
          "KPI '" + kpi + "' of metric '" + metric + "' has no row '" + row + "'" +
          (rows.empty() ? "; it offers no drill-down per row" : "; its rows: " + join(rows, ", ")));
    throw ExplainError(
        "KPI '" + kpi + "' of metric '" + metric + "' (plugin " + m.plugin + ") offers no drill-down" +
        (offered.empty() ? ": the plugin declares none (plugins built against SDK 1.0 or 1.1 cannot)"
                         : "; KPIs with a drill-down: " + join(offered, ", ")));
  }
  Explanation e;
  e.metric = m.name;
  e.plugin = m.plugin;
  e.kpi = *k;
  e.row = row;
  if (const auto* manifest = registry.find(m.plugin)) e.formula = manifest->kpi_formula(kpi);
  e.records = read_records(*drill, backend);
  if (const Drilldown* denominator = m.find_drilldown(kpi, row, TALLY_DRILLDOWN_DENOMINATOR))
    e.denominator = read_records(*denominator, backend);
  e.period_from = run.period_from;
  e.period_to = run.period_to;
  e.filters = filters;
  return e;
}

nlohmann::json explanation_json(const Explanation& e) {
  const auto unit = static_cast<sdk::Unit>(e.kpi.unit);
  nlohmann::json doc = {
      {"metric", e.metric},
      {"plugin", e.plugin},
      {"kpi", e.kpi.name},
      {"label", e.kpi.label},
      {"unit", fmt::unit_name(unit)},
      {"value", e.kpi.value ? nlohmann::json(fmt::for_machines(*e.kpi.value, unit)) : nullptr},
      {"row", e.row.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.row)},
      {"formula", e.formula.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.formula)},
      {"period", {{"from", e.period_from}, {"to", e.period_to}}},
      {"filters", e.filters}};
  const nlohmann::json records = records_json(e.records);
  for (const auto& [key, value] : records.items()) doc[key] = value;
  doc["denominator"] = e.denominator ? records_json(*e.denominator) : nlohmann::json(nullptr);
  return doc;
}

std::string explanation_text(const Explanation& e, const std::string& currency) {
  const auto unit = static_cast<sdk::Unit>(e.kpi.unit);
  std::ostringstream out;
  out << (e.kpi.label.empty() ? e.kpi.name : e.kpi.label) << " (" << e.metric << "." << e.kpi.name;
  if (!e.row.empty()) out << ", row " << escape_for_terminal(e.row);
  out << "): " << fmt::optional(e.kpi.value, unit, currency) << '\n';
  out << "period:  " << e.period_from << " .. " << e.period_to << " (to exclusive)\n";
  for (const auto& [dimension, values] : e.filters)
    out << "filter:  " << dimension << " in " << join(values, ", ") << '\n';
  out << "formula: " << (e.formula.empty() ? "(the plugin's manifest gives none)" : e.formula) << "\n\n";
  write_heading(out, e.records, e.denominator ? "the numerator" : nullptr);
  write_table(out, e.records);
  if (e.denominator) {
    out << '\n';
    write_heading(out, *e.denominator, "the denominator");
    write_table(out, *e.denominator);
  }
  return out.str();
}

}  // namespace tally::run
