// json: the run as JSON — the machine contract of DESIGN.md, stable across
// releases. New fields may be added; none is ever renamed or removed.
#include <nlohmann/json.hpp>
#include <tally/format.hpp>
#include <tally/sdk.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace {

using nlohmann::json;

namespace fmt = tally::format;
using tally::sdk::Unit;

// Money is rounded to cents (448113.8, not 448113.799999997).
json optional_number(const std::optional<double>& v, Unit unit) {
  return v ? json(fmt::for_machines(*v, unit)) : json(nullptr);
}

json cell(const tally::sdk::Value& v, Unit unit) {
  if (auto* i = std::get_if<int64_t>(&v)) return *i;
  if (auto* d = std::get_if<double>(&v)) return fmt::for_machines(*d, unit);
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  return nullptr;
}

class JsonReport final : public tally::sdk::Report {
 public:
  void render(tally::sdk::ReportContext& ctx) override {
    json doc;
    doc["title"] = ctx.title();
    auto period = ctx.period();
    doc["period"] = {{"from", period.from}, {"to", period.to}, {"text", fmt::period(period)}};
    if (ctx.has_compare()) {
      auto previous = ctx.period(tally::sdk::Which::Compare);
      doc["compare"] = {{"from", previous.from}, {"to", previous.to}, {"text", fmt::period(previous)}};
    } else {
      doc["compare"] = nullptr;
    }
    doc["currency"] = ctx.currency();
    doc["warnings"] = ctx.warnings();
    // Provenance: every fact the host gives, the data source without a password.
    json provenance = json::object();
    for (const auto& [name, value] : ctx.facts())
      provenance[name] = name == "data_source" ? fmt::redact_source(value) : value;
    doc["provenance"] = std::move(provenance);
    json metrics = json::array();
    for (const auto& m : ctx.metrics()) {
      json metric = {{"name", m.name},
                     {"plugin", m.plugin},
                     {"title", m.title},
                     {"status", m.ok ? "ok" : "error"},
                     {"notes", m.notes}};
      if (!m.ok) {
        metric["error"] = m.error;
        metrics.push_back(std::move(metric));
        continue;
      }
      json kpis = json::array();
      for (const auto& k : m.kpis) {
        std::optional<double> change, relative;
        if (k.value && k.previous && fmt::comparable(k)) {
          change = *k.value - *k.previous;
          if (*k.previous != 0) relative = (*k.value - *k.previous) / std::fabs(*k.previous);
        }
        kpis.push_back({{"name", k.name},
                        {"label", k.label},
                        {"value", optional_number(k.value, k.unit)},
                        {"unit", tally::format::unit_name(k.unit)},
                        {"previous", optional_number(k.previous, k.unit)},
                        {"change", optional_number(change, k.unit)},
                        {"change_relative", optional_number(relative, Unit::Number)},
                        {"compare_status", fmt::compare_status_name(k.compare_status)},
                        {"note", k.note},
                        {"target", optional_number(k.target, k.unit)},
                        {"target_source", k.target_source},
                        {"higher_is_better", k.higher_is_better}});
      }
      json tables = json::array();
      for (const auto& t : m.tables) {
        json columns = json::array();
        for (const auto& c : t.columns)
          columns.push_back({{"name", c.name},
                             {"type", tally::format::unit_name(c.unit)},
                             {"label", fmt::humanize(c.name)}});
        json rows = json::array();
        for (const auto& r : t.rows) {
          json row = json::array();
          for (size_t c = 0; c < r.size(); ++c)
            row.push_back(cell(r[c], c < t.columns.size() ? t.columns[c].unit : Unit::Text));
          rows.push_back(std::move(row));
        }
        json chart = {{"type", tally::format::chart_name(t.chart)}, {"x", t.chart_x}, {"y", t.chart_ys}};
        tables.push_back({{"name", t.name},
                          {"title", t.title},
                          {"chart", std::move(chart)},
                          {"columns", std::move(columns)},
                          {"rows", std::move(rows)}});
      }
      metric["kpis"] = std::move(kpis);
      metric["tables"] = std::move(tables);
      metrics.push_back(std::move(metric));
    }
    doc["metrics"] = std::move(metrics);

    const int indent = static_cast<int>(ctx.integer("indent"));
    // Invalid UTF-8 from a data source is replaced, never a failed report.
    std::string text = doc.dump(indent, ' ', false, json::error_handler_t::replace) + "\n";
    const std::string path = ctx.text("path");
    if (path.empty()) {
      ctx.write(text);
      return;
    }
    errno = 0;
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    if (!file)
      throw tally::sdk::Error("cannot open " + path +
                              " for writing: " + (errno ? std::strerror(errno) : "unknown reason"));
    file << text;
    file.close();
    if (!file)
      throw tally::sdk::Error("cannot write " + path + ": " +
                              (errno ? std::strerror(errno) : "unknown reason"));
    ctx.info("wrote " + path);
  }
};

}  // namespace

TALLY_REPORT(JsonReport)
