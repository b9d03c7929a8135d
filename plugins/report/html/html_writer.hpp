// Writes a whole run as one self-contained HTML page: header with title and
// period, headline KPI cards, then per metric its KPI cards and, for every
// table, the chart its hint asks for with the table itself below it.
//
// Self-contained means no request of any kind: styles and the small
// self-check script are inline, charts are inline SVG, the icon is a data:
// URL, and a Content-Security-Policy forbids everything else, so a report
// opened from disk or a mail attachment shows the same as on the author's
// machine, and prints cleanly (print stylesheet).
#pragma once

#include <tally/format.hpp>
#include <tally/sdk.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "page_assets.hpp"
#include "svg_charts.hpp"
#include "waterfall.hpp"

namespace tally::html {

// Everything the page shows, copied out of the report context so the page
// can be built (and tested) without a host.
struct Document {
  std::string title;
  sdk::Period period;
  std::optional<sdk::Period> compare;
  std::string currency = "USD";
  std::vector<sdk::MetricView> metrics;
  std::vector<std::string> warnings;                       // about the whole run, shown first
  std::vector<std::pair<std::string, std::string>> facts;  // provenance, as the host gives them
};

namespace detail {

using fmt::human_date;

// The period as every report states it (format::period), with the first
// day machine-readable: "1 Oct 2025 – 31 Dec 2025 (inclusive)".
inline std::string period_text(const sdk::Period& p) {
  return "<time datetime=\"" + escape(p.from) + "\">" + escape(fmt::period(p)) + "</time>";
}

inline bool is_numeric(sdk::Unit u) {
  return u != sdk::Unit::Text && u != sdk::Unit::Date;
}

// data-metric, data-kpi and data-value (the number as the JSON report gives
// it, "" for n/a) let the dashboard open a card's drill-down and tests read it.
inline std::string kpi_card(const sdk::Kpi& k, const std::string& currency, const std::string& metric_title,
                            bool has_compare, const std::string& metric_name) {
  std::string label = fmt::label(k.label.empty() ? k.name : k.label);
  std::string s = "<div class=\"kpi\" data-metric=\"" + escape(metric_name) + "\" data-kpi=\"" +
                  escape(k.name) + "\" data-value=\"" +
                  (k.value ? fmt::plain(fmt::for_machines(*k.value, k.unit)) : "") + "\">";
  if (!metric_title.empty()) s += "<div class=\"kpi-metric\">" + escape(metric_title) + "</div>";
  s += "<div class=\"kpi-label\">" + escape(label) + "</div>";
  s += "<div class=\"kpi-value\">" + escape(fmt::optional(k.value, k.unit, currency)) + "</div>";
  if (has_compare) {
    if (!fmt::comparable(k)) {
      // No change is shown when the two periods are not like for like.
      s += "<div class=\"kpi-change neutral\" data-compare=\"" +
           std::string(fmt::compare_status_name(k.compare_status)) + "\">" +
           escape(k.compare_status == TALLY_COMPARE_NO_DATA ? "no data to compare" : "not comparable") +
           "</div>";
    } else {
      auto good = fmt::is_improvement(k);
      std::string cls = good ? (*good ? "good" : "bad") : "neutral";
      s += "<div class=\"kpi-change " + cls + "\">";
      if (k.value && k.previous) {
        s += "<span aria-hidden=\"true\">" + std::string(fmt::arrow(fmt::trend(k))) + "</span> " +
             escape(fmt::change(k, currency));
        if (good) s += std::string("<span class=\"sr-only\"> (") + (*good ? "better" : "worse") + ")</span>";
      } else {
        s += "change n/a";
      }
      s += " <span class=\"was\">vs " + escape(fmt::optional(k.previous, k.unit, currency)) + "</span></div>";
    }
  }
  if (!k.note.empty()) s += "<div class=\"kpi-note\">" + escape(k.note) + "</div>";
  if (k.target) {
    const double target = *k.target;
    std::string text = "Target " + std::string(k.higher_is_better ? "" : "at most ") +
                       escape(fmt::with_unit(target, k.unit, currency));
    std::string bar;
    if (k.value) {
      bool met = k.higher_is_better ? *k.value >= target : *k.value <= target;
      // Progress towards the target: value/target, or target/value for a ceiling.
      std::optional<double> progress =
          k.higher_is_better ? sdk::ratio_opt(*k.value, target) : sdk::ratio_opt(target, *k.value);
      if (progress) {
        double shown = std::clamp(*progress, 0.0, 1.0) * 100.0;
        bar = "<div class=\"progress " + std::string(met ? "met" : "missed") +
              "\" role=\"progressbar\" aria-valuemin=\"0\" aria-valuemax=\"100\" aria-valuenow=\"" +
              num(shown) + "\" aria-label=\"" + escape(label) +
              " against target\"><span style=\"width:" + num(shown) + "%\"></span></div>";
      }
      if (k.higher_is_better && progress)
        text = escape(fmt::percent(*progress, 0)) + " of target " +
               escape(fmt::with_unit(target, k.unit, currency));
      else
        text += met ? " · met" : " · not met";
    }
    if (!k.target_source.empty())
      text += " <span class=\"target-source\">(" + escape(k.target_source) + ")</span>";
    s += "<div class=\"kpi-target\">" + bar + text + "</div>";
  }
  return s + "</div>";
}

// Every table: humanised headers that sort on a click, one number format
// per column, the raw value in data-v for sorting (the first column's is the
// row's key for a drill-down), the table's name in data-table, the first column sticky
// while the rest scroll sideways inside the box.
inline std::string html_table(const sdk::TableView& t, const std::string& currency, const std::string& id) {
  // The heading above already shows the title; screen readers get it here too.
  std::string s = "<div class=\"table-scroll\"><table class=\"sortable\" id=\"" + id + "\" data-table=\"" +
                  escape(t.name) + "\"><caption><span class=\"sr-only\">" +
                  escape(fmt::label(t.title.empty() ? t.name : t.title)) + ": </span>" +
                  std::to_string(t.rows.size()) + (t.rows.size() == 1 ? " row" : " rows") +
                  (t.rows.size() > 1 ? " · click a column to sort" : "") + "</caption><thead><tr>";
  for (const auto& c : t.columns)
    s += "<th scope=\"col\"" + std::string(is_numeric(c.unit) ? " class=\"num\"" : "") +
         "><button type=\"button\">" + escape(fmt::humanize(c.name)) + "</button></th>";
  s += "</tr></thead><tbody>";
  const auto formats = fmt::column_formats(t);
  for (const auto& row : t.rows) {
    s += "<tr>";
    for (size_t i = 0; i < t.columns.size(); ++i) {
      const sdk::Value& v = i < row.size() ? row[i] : sdk::Value{};
      std::string cls = sdk::is_null(v) ? "na" : "";
      std::string key;
      if (is_numeric(t.columns[i].unit) && !std::holds_alternative<std::string>(v)) {
        cls = cls.empty() ? "num" : "num " + cls;
        if (auto* n = std::get_if<int64_t>(&v)) key = std::to_string(*n);
        if (auto* d = std::get_if<double>(&v)) key = fmt::plain(*d);
      } else if (auto* text = std::get_if<std::string>(&v)) {
        key = *text;  // ISO dates sort as text
        if (t.columns[i].unit == sdk::Unit::Date || formats[i].months || sdk::Date::parse(*text))
          cls = cls.empty() ? "date" : cls + " date";
      }
      s += "<td" + (cls.empty() ? std::string() : " class=\"" + cls + "\"") + " data-v=\"" + escape(key) +
           "\">" + escape(fmt::cell(v, formats[i], currency)) + "</td>";
    }
    s += "</tr>";
  }
  return s + "</tbody></table></div>";
}

// The target of a KPI that a chart's one series shows (same name), for a
// goal line; the label says which KPI.
inline void attach_goal(ChartData& c, const sdk::MetricView& m) {
  if (c.series.size() != 1) return;
  for (const auto& k : m.kpis)
    if (k.target && k.name == c.series[0].name && k.unit == c.unit) {
      c.goal = k.target;
      c.goal_label = "Target";
    }
}

// The chart for a table: a waterfall for a bridge, a running total for
// cumulative rows (waterfall.hpp), else what the hint asks for.
inline std::string pick_chart(const sdk::TableView& t, const sdk::MetricView& m, const std::string& id,
                              const std::string& currency) {
  if (t.chart == sdk::Chart::None || t.rows.empty()) return {};
  if (t.chart != sdk::Chart::Bar) {
    ChartData c = chart_data(t, id, currency, t.chart == sdk::Chart::Line ? 400 : 30);
    if (c.series.empty() || c.categories.empty()) return {};
    attach_goal(c, m);
    return t.chart == sdk::Chart::Line ? line_chart(c) : chart_svg(t, id, currency);
  }
  ChartData c = chart_data(t, id, currency, 30);
  if (c.series.empty() || c.categories.empty()) return {};
  if (c.series.size() == 1 && c.unit == sdk::Unit::Money && c.total_rows == c.categories.size()) {
    if (is_bridge(c.series[0].values)) return waterfall_chart(c);
    // Cumulative leading rows: the series is a running total of another money column.
    size_t y = 0;
    for (size_t i = 0; i < t.columns.size(); ++i)
      if (t.columns[i].name == c.series[0].name) y = i;
    size_t best = 0;
    for (size_t i = 0; i < t.columns.size(); ++i) {
      if (i == y || t.columns[i].unit != sdk::Unit::Money) continue;
      std::vector<std::optional<double>> other;
      for (const auto& row : t.rows) {
        std::optional<double> d;
        if (i < row.size()) {
          if (auto* n = std::get_if<int64_t>(&row[i])) d = static_cast<double>(*n);
          if (auto* f = std::get_if<double>(&row[i])) d = *f;
        }
        other.push_back(d);
      }
      best = std::max(best, cumulative_run(c.series[0].values, other));
    }
    if (best >= 3) return cumulative_chart(c, best);
  }
  attach_goal(c, m);
  return bar_chart(c);
}

}  // namespace detail

inline std::string render(const Document& doc) {
  using namespace detail;
  const std::string title = doc.title.empty() ? "Tally report" : doc.title;
  std::string s;
  s.reserve(1 << 16);
  s += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  s += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  // Nothing may be fetched: no scripts, styles, fonts or images from anywhere.
  s +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
      "script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">\n";
  s += "<meta name=\"generator\" content=\"Tally html report\">\n";
  s += "<link rel=\"icon\" href=\"data:,\">\n";
  s += "<title>" + escape(title) + " — " + escape(fmt::period(doc.period)) + "</title>\n";
  s += "<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n<div class=\"page\">\n";

  s +=
      "<header class=\"report\"><h1>" + escape(title) + "</h1><p class=\"period\">" + period_text(doc.period);
  if (doc.compare) s += " · compared with " + period_text(*doc.compare);
  s += "</p>";
  const auto about = fmt::provenance(doc.facts);
  if (!about.empty()) {
    s += "<dl class=\"provenance\">";
    for (const auto& [label, text] : about)
      s += "<div><dt>" + escape(label) + "</dt><dd>" + escape(text) + "</dd></div>";
    s += "</dl>";
  }
  s += "</header>\n";
  // Warnings about the whole run: first, where they cannot be missed.
  if (!doc.warnings.empty()) {
    s += "<section class=\"warnings\" role=\"alert\" aria-labelledby=\"warnings-title\"><h2 "
         "id=\"warnings-title\">"
         "Read this first</h2><ul>";
    for (const auto& w : doc.warnings) s += "<li>" + escape(w) + "</li>";
    s += "</ul></section>\n";
  }

  s += "<nav class=\"toc\" aria-label=\"Metrics\"><ul>";
  for (const auto& m : doc.metrics)
    s += "<li><a href=\"#metric-" + id_part(m.name) + "\">" +
         escape(fmt::label(m.title.empty() ? m.name : m.title)) + "</a></li>";
  s += "</ul></nav>\n<main>\n";

  // Headlines: each metric's first KPI.
  std::string headline_cards;
  for (const auto& m : doc.metrics)
    if (m.ok && !m.kpis.empty())
      headline_cards += kpi_card(m.kpis.front(), doc.currency, fmt::label(m.title.empty() ? m.name : m.title),
                                 doc.compare.has_value(), m.name);
  if (!headline_cards.empty())
    s += "<section class=\"headlines\" aria-labelledby=\"headlines-title\"><h2 "
         "id=\"headlines-title\">Headlines</h2>"
         "<div class=\"cards\">" +
         headline_cards + "</div></section>\n";

  for (const auto& m : doc.metrics) {
    const std::string mid = "metric-" + id_part(m.name);
    s += "<section class=\"metric\" id=\"" + mid + "\" data-metric=\"" + escape(m.name) +
         "\" data-status=\"" + (m.ok ? "ok" : "error") + "\" aria-labelledby=\"" + mid + "-title\">\n";
    s += "<h2 id=\"" + mid + "-title\">" + escape(fmt::label(m.title.empty() ? m.name : m.title)) + "</h2>\n";
    if (!m.ok) {
      s += "<div class=\"error\" role=\"alert\">This metric failed: " + escape(m.error) +
           "</div>\n</section>\n";
      continue;
    }
    for (const auto& n : m.notes) s += "<p class=\"note\"><strong>Note:</strong> " + escape(n) + "</p>\n";
    if (!m.kpis.empty()) {
      s += "<div class=\"cards\">";
      for (const auto& k : m.kpis) s += kpi_card(k, doc.currency, "", doc.compare.has_value(), m.name);
      s += "</div>\n";
    }
    for (const auto& t : m.tables) {
      const std::string tid = mid + "-" + id_part(t.name);
      s += "<div class=\"block\" id=\"" + tid + "\"><h3>" +
           escape(fmt::label(t.title.empty() ? t.name : t.title)) + "</h3>";
      if (t.rows.empty()) {
        s += "<p class=\"empty\">No rows in this period.</p>" + html_table(t, doc.currency, tid + "-table") +
             "</div>\n";
        continue;
      }
      std::string svg = pick_chart(t, m, tid + "-chart", doc.currency);
      if (!svg.empty()) {
        s += "<figure class=\"chart\" id=\"" + tid + "-figure\" data-chart=\"" + fmt::chart_name(t.chart) +
             "\"><div class=\"chart-scroll\">" + svg +
             "</div><figcaption>Exact values in the table below.</figcaption></figure>";
      }
      s += html_table(t, doc.currency, tid + "-table") + "</div>\n";
    }
    s += "</section>\n";
  }
  s += "</main>\n<footer>Generated by Tally";
  for (const auto& [label, text] : about)
    if (label == "Tally version") s += " " + escape(text);
  for (const auto& [label, text] : about)
    if (label == "Generated at") s += " at " + escape(text);
  s += ". Money in " + escape(doc.currency) +
       "; periods are stated with their first and last day (inclusive). "
       "Each chart's numbers are in the table below it.</footer>\n";
  s += "</div>\n<div id=\"tally-self-check\" hidden></div>\n<script>" + std::string(kScript) + "</script>\n";
  s += "</body>\n</html>\n";
  return s;
}

}  // namespace tally::html
