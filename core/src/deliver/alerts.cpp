#include "deliver/alerts.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <tally/format.hpp>

namespace tally::deliver {

std::string shell_word(const std::string& text) {
  const bool plain = !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) {
    return std::isalnum(c) ||
           std::string_view("-_./:=@").find(static_cast<char>(c)) != std::string_view::npos;
  });
  if (plain) return text;
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

namespace {

std::string condition_name(config::Alert::Condition c) {
  switch (c) {
    case config::Alert::Condition::Below: return "below";
    case config::Alert::Condition::Above: return "above";
    case config::Alert::Condition::ChangeBelow: return "change_below";
  }
  return "below";
}

std::string signed_percent(double ratio) {
  return (ratio > 0 ? "+" : "") + format::percent(ratio);
}

}  // namespace

std::vector<AlertOutcome> evaluate_alerts(const config::Config& config, const run::RunResult& result,
                                          const std::string& config_arg) {
  std::vector<AlertOutcome> outcomes;
  for (const auto& alert : config.alerts) {
    AlertOutcome o;
    o.kpi = alert.kpi;
    o.threshold = alert.threshold;
    o.condition = condition_name(alert.condition);
    o.where = alert.where;
    o.label = alert.kpi;
    o.currency = config.currency;
    // The metric: the one named, else the only one with this KPI.
    std::vector<const run::MetricResult*> candidates;
    for (const auto& m : result.metrics)
      if (alert.metric.empty() ? m.find_kpi(alert.kpi) != nullptr : m.name == alert.metric)
        candidates.push_back(&m);
    if (candidates.size() != 1) {
      o.is_error = true;
      if (candidates.size() > 1) {
        std::string names;
        for (const auto* m : candidates) names += (names.empty() ? "" : ", ") + m->name;
        o.problem = "KPI '" + alert.kpi + "' is reported by several metrics (" + names +
                    "); add `metric:` to the alert to pick one";
      } else {
        std::string all;
        for (const auto& m : result.metrics)
          for (const auto& k : m.kpis) all += (all.empty() ? "" : ", ") + m.name + "." + k.name;
        o.problem =
            "no metric of this run reports KPI '" + alert.kpi + "'; KPIs: " + (all.empty() ? "none" : all);
      }
      outcomes.push_back(std::move(o));
      continue;
    }
    const run::MetricResult& metric = *candidates.front();
    o.metric = metric.name;
    o.explain = "tally explain " + shell_word(config_arg) + " --metric " + shell_word(metric.name) +
                " --kpi " + shell_word(alert.kpi);
    if (!metric.ok) {
      o.is_error = true;
      o.problem = "metric '" + metric.name + "' failed, so KPI '" + alert.kpi + "' cannot be checked";
      outcomes.push_back(std::move(o));
      continue;
    }
    const run::Kpi* kpi = metric.find_kpi(alert.kpi);
    if (!kpi) {
      std::string names;
      for (const auto& k : metric.kpis) names += (names.empty() ? "" : ", ") + k.name;
      o.is_error = true;
      o.problem = "metric '" + metric.name + "' has no KPI '" + alert.kpi + "'; its KPIs: " + names;
      outcomes.push_back(std::move(o));
      continue;
    }
    if (!kpi->label.empty()) o.label = kpi->label;
    const auto unit = static_cast<sdk::Unit>(kpi->unit);
    const std::string value_text = format::optional(kpi->value, unit, config.currency);
    const std::string note = kpi->note.empty() ? "" : " (" + kpi->note + ")";
    if (alert.condition == config::Alert::Condition::ChangeBelow) {
      o.value = kpi->change_relative();
      if (!o.value) {
        o.problem = o.label + " has no change to compare: now " + value_text + ", before " +
                    format::optional(kpi->previous, unit, config.currency) + note;
      } else if (*o.value < alert.threshold) {
        o.holds = true;
        o.message = o.label + " changed " + signed_percent(*o.value) + " against the comparison period (" +
                    format::optional(kpi->previous, unit, config.currency) + " -> " + value_text +
                    "), below the threshold " + signed_percent(alert.threshold) + note;
      }
    } else {
      o.value = kpi->value;
      const std::string threshold_text = format::with_unit(alert.threshold, unit, config.currency);
      if (!o.value) {
        o.problem = o.label + " is n/a" + note + ", so `" + o.condition + ": " + alert.threshold_text +
                    "` cannot be checked";
      } else if (alert.condition == config::Alert::Condition::Below ? *o.value < alert.threshold
                                                                    : *o.value > alert.threshold) {
        o.holds = true;
        o.message =
            o.label + " is " + value_text + ", " + o.condition + " the threshold " + threshold_text + note;
      }
    }
    outcomes.push_back(std::move(o));
  }
  return outcomes;
}

void attach_records(std::vector<AlertOutcome>& alerts, const run::RunResult& result,
                    const plugins::Registry& registry, store::Backend& backend,
                    const std::map<std::string, std::vector<std::string>>& filters) {
  for (auto& a : alerts) {
    if (!a.holds) continue;
    try {
      run::Explanation e = run::explain(result, a.metric, a.kpi, "", registry, backend, filters);
      a.record_total = e.records.rows.size();
      if (e.records.rows.size() > kAlertRecords) e.records.rows.resize(kAlertRecords);
      a.records = std::move(e.records);
    } catch (const run::ExplainError& e) {
      a.records_problem = e.what();
    } catch (const std::exception& e) {
      a.records_problem = std::string("the records could not be read: ") + e.what();
    }
  }
}

std::vector<size_t> alert_columns(const run::RecordList& list) {
  auto index = [&](const std::string& name) -> std::optional<size_t> {
    auto it = std::find(list.columns.begin(), list.columns.end(), name);
    if (it == list.columns.end()) return std::nullopt;
    return static_cast<size_t>(it - list.columns.begin());
  };
  std::vector<size_t> out;
  auto first_of = [&](std::initializer_list<const char*> names) {
    for (const char* n : names)
      if (auto i = index(n)) {
        out.push_back(*i);
        return true;
      }
    return false;
  };
  first_of({"id"});
  first_of({"name", "account_name", "rep", "external_id"});
  first_of({"value", "amount", "mrr_delta", "mrr", "minutes", "duration_minutes"});
  // The date that places the record: when it closed or happened, else when it began.
  if (!first_of({"closed_at", "occurred_at", "used_at", "opened_at", "exited_at", "day", "created_at"}))
    for (size_t i = 0; i < list.columns.size(); ++i)
      if (list.columns[i].ends_with("_at")) {
        out.push_back(i);
        break;
      }
  return out;
}

std::vector<std::vector<std::string>> alert_record_cells(const AlertOutcome& a) {
  std::vector<std::vector<std::string>> out;
  if (!a.records) return out;
  const run::RecordList& list = *a.records;
  const std::vector<size_t> columns = alert_columns(list);
  std::vector<std::string> head;
  for (size_t c : columns) head.push_back(list.columns[c]);
  out.push_back(std::move(head));
  for (const auto& row : list.rows) {
    std::vector<std::string> cells;
    for (size_t c : columns) {
      const Value& v = c < row.size() ? row[c] : Value{};
      const std::string& name = list.columns[c];
      const bool money = name == "amount" || name == "mrr" || name == "mrr_delta";
      if (auto* i = std::get_if<int64_t>(&v))
        cells.push_back(money ? format::money(static_cast<double>(*i), a.currency) : std::to_string(*i));
      else if (auto* d = std::get_if<double>(&v))
        cells.push_back(money ? format::money(*d, a.currency) : format::plain(*d));
      else if (auto* text = std::get_if<std::string>(&v))
        cells.push_back(name.ends_with("_at") ? text->substr(0, 10) : *text);
      else
        cells.push_back("n/a");
    }
    out.push_back(std::move(cells));
  }
  return out;
}

std::string alert_records_more(const AlertOutcome& a) {
  const size_t shown = a.records ? a.records->rows.size() : 0;
  if (a.record_total <= shown) return "";
  return "and " + std::to_string(a.record_total - shown) + " more (" + a.explain + ")";
}

}  // namespace tally::deliver
