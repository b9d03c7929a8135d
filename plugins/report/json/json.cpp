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

json optional_number(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json cell(const tally::sdk::Value& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return *i;
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  return nullptr;
}

class JsonReport final : public tally::sdk::Report {
 public:
  void render(tally::sdk::ReportContext& ctx) override {
    json doc;
    doc["title"] = ctx.title();
    auto period = ctx.period();
    doc["period"] = {{"from", period.from}, {"to", period.to}};
    if (ctx.has_compare()) {
      auto previous = ctx.period(tally::sdk::Which::Compare);
      doc["compare"] = {{"from", previous.from}, {"to", previous.to}};
    } else {
      doc["compare"] = nullptr;
    }
    doc["currency"] = ctx.currency();
    json metrics = json::array();
    for (const auto& m : ctx.metrics()) {
      json metric = {{"name", m.name}, {"plugin", m.plugin}, {"title", m.title}, {"status", m.ok ? "ok" : "error"}};
      if (!m.ok) {
        metric["error"] = m.error;
        metrics.push_back(std::move(metric));
        continue;
      }
      json kpis = json::array();
      for (const auto& k : m.kpis) {
        std::optional<double> change, relative;
        if (k.value && k.previous) {
          change = *k.value - *k.previous;
          if (*k.previous != 0) relative = (*k.value - *k.previous) / std::fabs(*k.previous);
        }
        kpis.push_back({{"name", k.name},
                        {"label", k.label},
                        {"value", optional_number(k.value)},
                        {"unit", tally::format::unit_name(k.unit)},
                        {"previous", optional_number(k.previous)},
                        {"change", optional_number(change)},
                        {"change_relative", optional_number(relative)},
                        {"target", optional_number(k.target)},
                        {"higher_is_better", k.higher_is_better}});
      }
      json tables = json::array();
      for (const auto& t : m.tables) {
        json columns = json::array();
        for (const auto& c : t.columns) columns.push_back({{"name", c.name}, {"type", tally::format::unit_name(c.unit)}});
        json rows = json::array();
        for (const auto& r : t.rows) {
          json row = json::array();
          for (const auto& v : r) row.push_back(cell(v));
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
