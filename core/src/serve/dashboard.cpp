#include "serve/dashboard.hpp"

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <sstream>

#include "run/explain.hpp"
#include "run/runner.hpp"
#include "util/date.hpp"
#include "util/text.hpp"

namespace tally::serve {

namespace {

// A request the dashboard refuses, with its HTTP status.
struct RequestError {
  int status;
  std::string message;
};

const std::vector<std::string> kPeriodUnits = {"day", "week", "month", "quarter", "year"};

// last:UNIT, this:UNIT or FROM..TO, as the YAML map a config would write.
YAML::Node period_node(const std::string& text) {
  YAML::Node node(YAML::NodeType::Map);
  const auto colon = text.find(':');
  const auto dots = text.find("..");
  if (colon != std::string::npos &&
      (text.compare(0, colon, "last") == 0 || text.compare(0, colon, "this") == 0)) {
    node[text.substr(0, colon)] = text.substr(colon + 1);
  } else if (dots != std::string::npos) {
    node["from"] = text.substr(0, dots);
    node["to"] = text.substr(dots + 2);
  } else {
    throw RequestError{400, "period must be last:UNIT, this:UNIT (UNIT one of " + join(kPeriodUnits, ", ") +
                                ") or FROM..TO with dates YYYY-MM-DD; got '" + text + "'"};
  }
  return node;
}

// {"region": ["EMEA", "NA"], "segment": "SMB"} as a YAML map.
YAML::Node filters_node(const std::string& text) {
  const std::string usage =
      "filters must be a JSON object of dimension to values, like {\"region\": [\"EMEA\", \"NA\"]}";
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    throw RequestError{400, usage + "; " + e.what()};
  }
  if (!doc.is_object()) throw RequestError{400, usage};
  YAML::Node node(YAML::NodeType::Map);
  for (const auto& [dimension, values] : doc.items()) {
    YAML::Node list(YAML::NodeType::Sequence);
    if (values.is_string()) {
      list.push_back(values.get<std::string>());
    } else if (values.is_array()) {
      for (const auto& v : values) {
        if (!v.is_string())
          throw RequestError{400, "filter " + dimension + ": values must be text; " + usage};
        list.push_back(v.get<std::string>());
      }
    } else {
      throw RequestError{400, "filter " + dimension + ": values must be text or a list of text; " + usage};
    }
    node[dimension] = list;
  }
  return node;
}

std::string problems_text(const std::vector<Diagnostic>& problems) {
  // The request's changes were written into the config's text, so positions
  // would point into text the user never saw: the messages alone.
  std::vector<std::string> messages;
  for (const auto& d : problems) messages.push_back(d.message);
  return join(messages, "; ");
}

config::PluginUse report_use(const std::string& report) {
  config::PluginUse use;
  use.use = report;
  use.name = report;
  use.where = SourceLocation{"--format", 0, 0};
  if (report == "html") use.params["path"].scalar = std::string("-");  // the run's output
  return use;
}

}  // namespace

Answer error_answer(int status, const std::string& message) {
  Answer a;
  a.status = status;
  a.body = nlohmann::json{{"error", message}, {"status", status}}.dump();
  return a;
}

std::map<std::string, std::vector<std::string>> read_dimension_values(store::Backend& backend) {
  std::map<std::string, std::vector<std::string>> out;
  auto connection = backend.connect();
  query::Scope scope;  // no period, no filters: every value the data has
  scope.period_from = scope.period_to = scope.as_of = today_utc().iso();
  for (const auto& dimension : config::dimension_names()) {
    query::QueryBuilder q("opportunities");
    q.group_by("value", dimension);
    auto cursor = connection->execute(q.compile(backend.dialect(), scope));
    auto& values = out[dimension];
    while (cursor->next()) {
      const Value v = cursor->get(0);
      if (auto* s = std::get_if<std::string>(&v); s && !s->empty()) values.push_back(*s);
    }
    std::sort(values.begin(), values.end());
  }
  return out;
}

struct Dashboard::Prepared {
  ServedConfig* served = nullptr;
  config::Config config;
};

Dashboard::Dashboard(std::vector<ServedConfig> configs, unsigned max_runs, double wait_seconds)
    : configs_(std::move(configs)),
      runs_(static_cast<std::ptrdiff_t>(std::clamp(max_runs, 1u, 64u))),
      wait_seconds_(wait_seconds) {}

Dashboard::Prepared Dashboard::prepare(const Inputs& in, const std::string& report) {
  Prepared p;
  if (in.config.empty()) {
    p.served = &configs_.front();
  } else {
    for (auto& c : configs_)
      if (c.stem == in.config) p.served = &c;
  }
  if (!p.served) {
    std::vector<std::string> stems;
    for (const auto& c : configs_) stems.push_back(c.stem);
    const std::string near = closest_match(in.config, stems);
    throw RequestError{404, "unknown config '" + in.config + "'" +
                                (near.empty() ? "" : "; did you mean '" + near + "'?") +
                                "; served: " + join(stems, ", ")};
  }
  ServedConfig& served = *p.served;
  std::vector<Diagnostic> problems;
  // Always read from the text, as `tally run` does, so every request is
  // validated once from what the admin wrote.
  std::string text = served.text;
  if (in.period || in.compare || in.filters) {
    YAML::Node root = YAML::Load(served.text);
    if (in.period || in.compare) {
      YAML::Node period = in.period ? period_node(*in.period) : YAML::Clone(root["period"]);
      if (in.compare) {
        period["compare"] = *in.compare;
        root.remove("compare");
      } else if (in.period && root["period"].IsMap() && root["period"]["compare"]) {
        period["compare"] = YAML::Clone(root["period"]["compare"]);
      }
      root["period"] = period;
    }
    if (in.filters) {
      YAML::Node filters = filters_node(*in.filters);
      if (filters.size() == 0)
        root.remove("filters");
      else
        root["filters"] = filters;
    }
    YAML::Emitter emitted;
    emitted << root;
    text = emitted.c_str();
  }
  try {
    p.config = config::load_config_text(text, served.path, config::process_env(), today_utc(), problems);
  } catch (const DiagnosticError& e) {
    throw RequestError{400, problems_text(e.diagnostics())};
  }
  p.config.reports = {report_use(report)};
  auto* registry = served.registry;
  auto more = config::validate(
      p.config, [registry](const std::string& name) { return registry->find(name); },
      registry->names(plugins::Kind::Metric), registry->names(plugins::Kind::Report));
  problems.insert(problems.end(), more.begin(), more.end());
  if (!problems.empty()) throw RequestError{400, problems_text(problems)};
  if (in.filters)
    for (const auto& [dimension, values] : p.config.filters) {
      const auto& known = served.dimension_values[dimension];
      for (const auto& v : values)
        if (!std::binary_search(known.begin(), known.end(), v)) {
          const std::string near = closest_match(v, known);
          throw RequestError{400, "unknown value '" + v + "' for filter " + dimension +
                                      (near.empty() ? "" : "; did you mean '" + near + "'?") +
                                      "; values in the data: " + join(known, ", ")};
        }
    }
  return p;
}

Answer Dashboard::with_run_slot(const std::function<Answer()>& body) {
  const auto wait =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(wait_seconds_));
  if (!runs_.try_acquire_for(wait)) {
    Answer busy = error_answer(503, "every report slot is busy (--max-runs); try again in a moment");
    busy.headers["Retry-After"] = "5";
    return busy;
  }
  struct Release {
    std::counting_semaphore<64>& s;
    ~Release() { s.release(); }
  } release{runs_};
  try {
    return body();
  } catch (const RequestError& e) {
    return error_answer(e.status, e.message);
  } catch (const run::ExplainError& e) {
    return error_answer(404, e.what());
  } catch (const std::exception& e) {
    spdlog::error("serve: {}", e.what());
    return error_answer(500, e.what());
  }
}

Answer Dashboard::configs() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& c : configs_) {
    const auto& cfg = c.config;
    nlohmann::json dimensions = nlohmann::json::object();
    for (const auto& [name, values] : c.dimension_values) dimensions[name] = values;
    nlohmann::json metrics = nlohmann::json::array();
    for (const auto& m : cfg.metrics) metrics.push_back({{"name", m.name}, {"plugin", m.use}});
    const char* compare = cfg.compare == config::CompareMode::PreviousPeriod ? "previous_period"
                          : cfg.compare == config::CompareMode::PreviousYear ? "previous_year"
                                                                             : "none";
    list.push_back({{"config", c.stem},
                    {"title", cfg.title},
                    {"period", {{"from", cfg.period.from.iso()}, {"to", cfg.period.to.iso()}}},
                    {"compare", compare},
                    {"filters", cfg.filters},
                    {"metrics", metrics},
                    {"dimensions", dimensions}});
  }
  Answer a;
  a.body = nlohmann::json{{"configs", list},
                          {"period_units", kPeriodUnits},
                          {"compare_modes", {"none", "previous_period", "previous_year"}}}
               .dump();
  return a;
}

namespace {

// Runs the metrics and renders the config's one report into a string, as
// `tally run` does to stdout.
std::string run_and_render(const config::Config& cfg, ServedConfig& served, run::RunResult* keep = nullptr) {
  auto result = run::run_metrics(cfg, *served.registry, *served.backend);
  for (const auto& o : served.registry->overrides())
    result.warnings.push_back("plugin '" + o.name + "' from " + o.manifest_path +
                              " replaces the installed one at " + o.replaced_path +
                              " (override: true in the config)");
  std::ostringstream out;
  run::RenderOptions options;
  options.output = &out;
  auto outcomes = run::render_reports(cfg, result, *served.registry, options);
  for (const auto& o : outcomes)
    if (!o.ok) throw std::runtime_error("report " + o.name + " failed: " + o.error);
  if (keep) *keep = std::move(result);
  return out.str();
}

}  // namespace

Answer Dashboard::report_json(const Inputs& in) {
  return with_run_slot([&] {
    Prepared p = prepare(in, "json");
    Answer a;
    a.body = run_and_render(p.config, *p.served);
    return a;
  });
}

Answer Dashboard::report_page(const Inputs& in) {
  return with_run_slot([&] {
    Prepared p = prepare(in, "html");
    run::RunResult result;
    Answer a;
    a.content_type = "text/html; charset=utf-8";
    a.body = run_and_render(p.config, *p.served, &result);
    nlohmann::json drills = nlohmann::json::object(), rows = nlohmann::json::object();
    for (const auto& m : result.metrics) {
      nlohmann::json kpis = nlohmann::json::array(), keys = nlohmann::json::object();
      for (const auto& d : m.drilldowns) {
        if (d.part != TALLY_DRILLDOWN_RECORDS) continue;
        if (d.row.empty())
          kpis.push_back(d.kpi);
        else
          keys[d.kpi].push_back(d.row);
      }
      drills[m.name] = kpis;
      rows[m.name] = keys;
    }
    a.headers["X-Tally-Drilldowns"] = drills.dump();
    // ASCII only in a header: names with accents are JSON-escaped.
    a.headers["X-Tally-Row-Drilldowns"] = rows.dump(-1, ' ', true);
    return a;
  });
}

Answer Dashboard::explain(const Inputs& in, const std::string& metric, const std::string& kpi,
                          const std::string& row) {
  return with_run_slot([&] {
    Prepared p = prepare(in, "json");
    std::vector<std::string> names;
    for (const auto& m : p.config.metrics) names.push_back(m.name);
    auto use = std::find_if(p.config.metrics.begin(), p.config.metrics.end(),
                            [&](const config::PluginUse& m) { return m.name == metric; });
    if (use == p.config.metrics.end())
      throw RequestError{404, "config '" + p.served->stem + "' has no metric '" + metric +
                                  "'; its metrics: " + join(names, ", ")};
    if (kpi.empty()) throw RequestError{400, "kpi is required: /api/explain?metric=NAME&kpi=KPI"};
    config::Config one = p.config;
    one.metrics = {*use};
    auto result = run::run_metrics(one, *p.served->registry, *p.served->backend, 1);
    if (!result.metrics.empty() && !result.metrics.front().ok)
      throw RequestError{500, "metric '" + metric + "' failed: " + result.metrics.front().error};
    auto e =
        run::explain(result, metric, kpi, row, *p.served->registry, *p.served->backend, p.config.filters);
    Answer a;
    a.body = run::explanation_json(e).dump();
    return a;
  });
}

}  // namespace tally::serve
