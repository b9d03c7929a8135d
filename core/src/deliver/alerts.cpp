#include "deliver/alerts.hpp"

#include <algorithm>
#include <cmath>
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

}  // namespace tally::deliver
