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

#include "svg_charts.hpp"

namespace tally::html {

// Everything the page shows, copied out of the report context so the page
// can be built (and tested) without a host.
struct Document {
  std::string title;
  sdk::Period period;
  std::optional<sdk::Period> compare;
  std::string currency = "USD";
  std::vector<sdk::MetricView> metrics;
};

namespace detail {

// "2025-10-01" -> "1 Oct 2025"; the exclusive end is shown as the last day.
inline std::string human_date(const std::string& iso, int shift_days = 0) {
  int y = 0;
  unsigned m = 0, d = 0;
  if (std::sscanf(iso.c_str(), "%d-%u-%u", &y, &m, &d) != 3) return iso;
  std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  if (!ymd.ok()) return iso;
  ymd = std::chrono::sys_days{ymd} + std::chrono::days{shift_days};
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  return std::to_string(static_cast<unsigned>(ymd.day())) + " " +
         months[static_cast<unsigned>(ymd.month()) - 1] + " " + std::to_string(static_cast<int>(ymd.year()));
}

inline std::string period_text(const sdk::Period& p) {
  return "<time datetime=\"" + escape(p.from) + "\">" + escape(human_date(p.from)) + "</time> – " +
         escape(human_date(p.to, -1));
}

inline bool is_numeric(sdk::Unit u) {
  return u != sdk::Unit::Text && u != sdk::Unit::Date;
}

inline const char* kStyle = R"CSS(
:root { --ink: #1f2328; --muted: #59636e; --line: #d8dee4; --card: #f6f8fa; --good: #1a7f37; --bad: #c62828;
        --accent: #4e79a7; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.45;
       font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
.page { max-width: 1120px; margin: 0 auto; padding: 24px 28px 48px; }
header.report h1 { margin: 0 0 4px; font-size: 28px; }
header.report .period { margin: 0; color: var(--muted); }
nav.toc { margin: 16px 0 8px; }
nav.toc ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 6px 14px; }
nav.toc a { color: var(--accent); text-decoration: none; }
nav.toc a:hover, nav.toc a:focus { text-decoration: underline; }
h2 { font-size: 21px; margin: 0 0 4px; }
h3 { font-size: 16px; margin: 0 0 8px; }
section.headlines, section.metric { margin-top: 28px; padding-top: 20px; border-top: 1px solid var(--line); }
.plugin { margin: 0 0 12px; color: var(--muted); font-size: 13px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 12px; margin: 12px 0 8px; }
.kpi { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.kpi-metric { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
.kpi-label { font-size: 14px; color: var(--muted); }
.kpi-value { font-size: 26px; font-weight: 650; margin: 2px 0; font-variant-numeric: tabular-nums; }
.kpi-change { font-size: 14px; font-variant-numeric: tabular-nums; }
.kpi-change.good { color: var(--good); }
.kpi-change.bad { color: var(--bad); }
.kpi-change.neutral, .kpi-change .was { color: var(--muted); }
.kpi-target { margin-top: 6px; font-size: 13px; color: var(--muted); }
.progress { height: 6px; background: #e4e8ec; border-radius: 3px; overflow: hidden; margin: 3px 0; }
.progress > span { display: block; height: 100%; background: var(--accent); }
.progress.met > span { background: var(--good); }
.progress.missed > span { background: var(--bad); }
.block { margin-top: 22px; }
figure.chart { margin: 0 0 10px; }
figure.chart svg { display: block; width: 100%; max-width: 840px; height: auto; }
figure.chart figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
.table-scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 14px; min-width: 50%; font-variant-numeric: tabular-nums; }
caption { text-align: left; color: var(--muted); font-size: 13px; padding-bottom: 4px; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid #aab4be; font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.na { color: var(--muted); }
tbody tr:nth-child(even) { background: #fafbfc; }
.empty { color: var(--muted); font-style: italic; }
.error { border: 1px solid var(--bad); color: var(--bad); background: #fdecea; border-radius: 6px; padding: 10px 12px; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
footer { margin-top: 36px; color: var(--muted); font-size: 13px; border-top: 1px solid var(--line); padding-top: 10px; }
@page { margin: 14mm; }
@media print {
  body { font-size: 10.5pt; }
  .page { max-width: none; padding: 0; }
  nav.toc { display: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  section.headlines, section.metric { break-before: auto; }
  h2, h3 { break-after: avoid; }
  figure.chart, .kpi, .cards, tr { break-inside: avoid; }
  thead { display: table-header-group; }
  .table-scroll { overflow: visible; }
  tbody tr:nth-child(even) { background: none; }
  a { color: inherit; text-decoration: none; }
}
)CSS";

// Checks the page's own structure once loaded and records the outcome in
// #tally-self-check (and the console when something is wrong): every chart
// is an accessible SVG followed by its table. Browser tests read it.
inline const char* kSelfCheck = R"JS(
(function () {
  var problems = [], lines = [];
  document.querySelectorAll('figure.chart').forEach(function (figure) {
    var svg = figure.querySelector('svg');
    if (!svg) { problems.push(figure.id + ': no svg'); return; }
    if (svg.getAttribute('role') !== 'img') problems.push(figure.id + ': svg without role=img');
    (svg.getAttribute('aria-labelledby') || '').split(' ').forEach(function (id) {
      if (!id || !document.getElementById(id)) problems.push(figure.id + ': aria-labelledby names a missing id ' + id);
    });
    if (!svg.querySelector('title') || !svg.querySelector('desc')) problems.push(figure.id + ': no title/desc');
    if (!svg.querySelector('.marks') || svg.querySelector('.marks').childElementCount === 0)
      problems.push(figure.id + ': nothing drawn');
    var next = figure.nextElementSibling;
    if (!next || !(next.tagName === 'TABLE' || next.querySelector('table')))
      problems.push(figure.id + ': not followed by its table');
  });
  document.querySelectorAll('section.metric').forEach(function (section) {
    lines.push(section.getAttribute('data-metric') + ' status=' + section.getAttribute('data-status') +
               ' charts=' + section.querySelectorAll('figure.chart svg').length +
               ' tables=' + section.querySelectorAll('table').length);
  });
  var out = document.getElementById('tally-self-check');
  out.setAttribute('data-status', problems.length ? 'fail' : 'ok');
  out.textContent = lines.concat(problems.map(function (p) { return 'problem: ' + p; })).join('\n');
  if (problems.length) console.error('tally self-check failed: ' + problems.join('; '));
})();
)JS";

inline std::string kpi_card(const sdk::Kpi& k, const std::string& currency, const std::string& metric_title,
                            bool has_compare) {
  std::string label = k.label.empty() ? fmt::humanize(k.name) : k.label;
  std::string s = "<div class=\"kpi\" data-kpi=\"" + escape(k.name) + "\">";
  if (!metric_title.empty()) s += "<div class=\"kpi-metric\">" + escape(metric_title) + "</div>";
  s += "<div class=\"kpi-label\">" + escape(label) + "</div>";
  s += "<div class=\"kpi-value\">" + escape(fmt::optional(k.value, k.unit, currency)) + "</div>";
  if (has_compare) {
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
    s += "<div class=\"kpi-target\">" + bar + text + "</div>";
  }
  return s + "</div>";
}

inline std::string html_table(const sdk::TableView& t, const std::string& currency, const std::string& id) {
  // The heading above already shows the title; screen readers get it here too.
  std::string s = "<div class=\"table-scroll\"><table id=\"" + id + "\"><caption><span class=\"sr-only\">" +
                  escape(t.title.empty() ? fmt::humanize(t.name) : t.title) + ": </span>" +
                  std::to_string(t.rows.size()) + (t.rows.size() == 1 ? " row" : " rows") +
                  "</caption><thead><tr>";
  for (const auto& c : t.columns)
    s += "<th scope=\"col\"" + std::string(is_numeric(c.unit) ? " class=\"num\"" : "") + ">" +
         escape(fmt::humanize(c.name)) + "</th>";
  s += "</tr></thead><tbody>";
  for (const auto& row : t.rows) {
    s += "<tr>";
    for (size_t i = 0; i < t.columns.size(); ++i) {
      const sdk::Value& v = i < row.size() ? row[i] : sdk::Value{};
      std::string cls = sdk::is_null(v) ? "na" : "";
      if (is_numeric(t.columns[i].unit) && !std::holds_alternative<std::string>(v))
        cls = cls.empty() ? "num" : "num " + cls;
      s += "<td" + (cls.empty() ? std::string() : " class=\"" + cls + "\"") + ">" +
           escape(fmt::value(v, t.columns[i].unit, currency)) + "</td>";
    }
    s += "</tr>";
  }
  return s + "</tbody></table></div>";
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
  s += "<title>" + escape(title) + " — " + escape(human_date(doc.period.from)) + " to " +
       escape(human_date(doc.period.to, -1)) + "</title>\n";
  s += "<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n<div class=\"page\">\n";

  s +=
      "<header class=\"report\"><h1>" + escape(title) + "</h1><p class=\"period\">" + period_text(doc.period);
  if (doc.compare) s += " · compared with " + period_text(*doc.compare);
  s += "</p></header>\n";

  s += "<nav class=\"toc\" aria-label=\"Metrics\"><ul>";
  for (const auto& m : doc.metrics)
    s += "<li><a href=\"#metric-" + id_part(m.name) + "\">" + escape(m.title.empty() ? m.name : m.title) +
         "</a></li>";
  s += "</ul></nav>\n<main>\n";

  // Headlines: each metric's first KPI.
  std::string headline_cards;
  for (const auto& m : doc.metrics)
    if (m.ok && !m.kpis.empty())
      headline_cards +=
          kpi_card(m.kpis.front(), doc.currency, m.title.empty() ? m.name : m.title, doc.compare.has_value());
  if (!headline_cards.empty())
    s += "<section class=\"headlines\" aria-labelledby=\"headlines-title\"><h2 "
         "id=\"headlines-title\">Headlines</h2>"
         "<div class=\"cards\">" +
         headline_cards + "</div></section>\n";

  for (const auto& m : doc.metrics) {
    const std::string mid = "metric-" + id_part(m.name);
    s += "<section class=\"metric\" id=\"" + mid + "\" data-metric=\"" + escape(m.name) +
         "\" data-status=\"" + (m.ok ? "ok" : "error") + "\" aria-labelledby=\"" + mid + "-title\">\n";
    s += "<h2 id=\"" + mid + "-title\">" + escape(m.title.empty() ? m.name : m.title) + "</h2>";
    s += "<p class=\"plugin\">" + escape(m.name) +
         (m.plugin != m.name ? " · plugin " + escape(m.plugin) : "") + "</p>\n";
    if (!m.ok) {
      s += "<div class=\"error\" role=\"alert\">This metric failed: " + escape(m.error) +
           "</div>\n</section>\n";
      continue;
    }
    if (!m.kpis.empty()) {
      s += "<div class=\"cards\">";
      for (const auto& k : m.kpis) s += kpi_card(k, doc.currency, "", doc.compare.has_value());
      s += "</div>\n";
    }
    for (const auto& t : m.tables) {
      const std::string tid = mid + "-" + id_part(t.name);
      s += "<div class=\"block\" id=\"" + tid + "\"><h3>" +
           escape(t.title.empty() ? fmt::humanize(t.name) : t.title) + "</h3>";
      if (t.rows.empty()) {
        s += "<p class=\"empty\">No rows in this period.</p>" + html_table(t, doc.currency, tid + "-table") +
             "</div>\n";
        continue;
      }
      std::string svg = chart_svg(t, tid + "-chart", doc.currency);
      if (!svg.empty()) {
        s += "<figure class=\"chart\" id=\"" + tid + "-figure\" data-chart=\"" + fmt::chart_name(t.chart) +
             "\">" + svg + "<figcaption>Exact values in the table below.</figcaption></figure>";
      }
      s += html_table(t, doc.currency, tid + "-table") + "</div>\n";
    }
    s += "</section>\n";
  }
  s += "</main>\n<footer>Generated by Tally. Money in " + escape(doc.currency) +
       "; dates are inclusive. Each chart's numbers are in the table below it.</footer>\n";
  s += "</div>\n<div id=\"tally-self-check\" hidden></div>\n<script>" + std::string(kSelfCheck) +
       "</script>\n";
  s += "</body>\n</html>\n";
  return s;
}

}  // namespace tally::html
