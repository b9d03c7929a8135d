// Writes a run as GitHub-flavoured Markdown: a title and period line, per
// metric its headline KPIs as a list and each table as a GFM table (numbers
// right-aligned, formatted like every other report), trends as sparklines.
#pragma once

#include <tally/format.hpp>
#include <tally/sdk.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace tally::markdown {

namespace fmt = tally::format;

struct Document {
  std::string title;
  sdk::Period period;
  std::optional<sdk::Period> compare;
  std::string currency = "USD";
  std::vector<sdk::MetricView> metrics;
  std::vector<std::string> warnings;                       // about the whole run
  std::vector<std::pair<std::string, std::string>> facts;  // provenance, as the host gives them
};

// Text safe inside a table cell or list item: no pipes, no line breaks, no
// accidental emphasis, code spans, links or HTML.
inline std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '\\':
      case '|':
      case '*':
      case '`':
      case '[':
      case ']':
      case '<':
      case '>':
        out += '\\';
        out += c;
        break;
      case '\n':
      case '\r': out += ' '; break;
      default: out += c;
    }
  }
  return out;
}

inline bool is_numeric(sdk::Unit u) {
  return u != sdk::Unit::Text && u != sdk::Unit::Date;
}

inline std::string kpi_line(const sdk::Kpi& k, const std::string& currency, bool has_compare) {
  std::string line = "- **" + escape(fmt::label(k.label.empty() ? k.name : k.label)) +
                     "**: " + fmt::optional(k.value, k.unit, currency);
  if (has_compare) {
    if (k.compare_status == TALLY_COMPARE_NO_DATA) {
      line += ", no data to compare";
    } else if (k.compare_status == TALLY_COMPARE_NOT_COMPARABLE) {
      line += ", not comparable";
    } else {
      if (k.value && k.previous) {
        auto good = fmt::is_improvement(k);
        line += " " + std::string(fmt::arrow(fmt::trend(k))) + " " + fmt::change(k, currency);
        if (good) line += *good ? " (better)" : " (worse)";
      }
      line += ", was " + fmt::optional(k.previous, k.unit, currency);
    }
  }
  if (k.target) {
    line += "; target " + std::string(k.higher_is_better ? "" : "at most ") +
            fmt::with_unit(*k.target, k.unit, currency);
    if (k.value) {
      if (k.higher_is_better && *k.target != 0)
        line += " (" + fmt::percent(*k.value / *k.target, 0) + " of target)";
      else if (!k.higher_is_better)
        line += *k.value <= *k.target ? " (met)" : " (not met)";
    }
    if (!k.target_source.empty()) line += ", from " + escape(k.target_source);
  }
  if (!k.note.empty()) line += " — _" + escape(k.note) + "_";
  return line + "\n";
}

inline std::string table(const sdk::TableView& t, const std::string& currency) {
  std::string s = "### " + escape(fmt::label(t.title.empty() ? t.name : t.title)) + "\n\n";
  if (t.columns.empty()) return s + "_No columns._\n\n";
  std::string header = "|", rule = "|";
  for (const auto& c : t.columns) {
    header += " " + escape(fmt::humanize(c.name)) + " |";
    rule += is_numeric(c.unit) ? " --: |" : " --- |";
  }
  s += header + "\n" + rule + "\n";
  const auto formats = fmt::column_formats(t);
  for (const auto& row : t.rows) {
    s += "|";
    for (size_t i = 0; i < t.columns.size(); ++i) {
      const sdk::Value& v = i < row.size() ? row[i] : sdk::Value{};
      s += " " + escape(fmt::cell(v, formats[i], currency)) + " |";
    }
    s += "\n";
  }
  if (t.rows.empty()) s += "\n_No rows in this period._\n";
  // Trends also as a sparkline, for readers who skim.
  if (t.chart == sdk::Chart::Line && t.rows.size() > 1) {
    s += "\n";
    for (size_t c = 0; c < t.columns.size(); ++c) {
      const auto& col = t.columns[c];
      bool wanted = t.chart_ys.empty()
                        ? is_numeric(col.unit) && col.name != t.chart_x
                        : std::find(t.chart_ys.begin(), t.chart_ys.end(), col.name) != t.chart_ys.end();
      if (!wanted) continue;
      std::vector<std::optional<double>> series;
      for (const auto& row : t.rows) {
        const auto& v = c < row.size() ? row[c] : sdk::Value{};
        if (auto* i = std::get_if<int64_t>(&v))
          series.emplace_back(static_cast<double>(*i));
        else if (auto* d = std::get_if<double>(&v))
          series.emplace_back(*d);
        else
          series.emplace_back(std::nullopt);
      }
      s += "Trend of " + escape(fmt::humanize(col.name)) + ": `" + fmt::sparkline(series) + "`  \n";
    }
  }
  return s + "\n";
}

inline std::string render(const Document& doc) {
  std::string s = "# " + escape(doc.title.empty() ? "Tally report" : doc.title) + "\n\n";
  s += "Period " + fmt::period(doc.period);
  if (doc.compare) s += ", compared with " + fmt::period(*doc.compare);
  s += ". Money in " + doc.currency + ".\n\n";
  // Warnings about the whole run come first, where they cannot be missed.
  for (size_t i = 0; i < doc.warnings.size(); ++i)
    s += std::string(i ? ">\n" : "") + "> **Warning:** " + escape(doc.warnings[i]) + "\n";
  if (!doc.warnings.empty()) s += "\n";
  auto about = fmt::provenance(doc.facts);
  for (size_t i = 0; i < about.size(); ++i)
    s += (i ? " · " : "") + about[i].first + ": " + escape(about[i].second) +
         (i + 1 == about.size() ? "\n\n" : "");
  for (const auto& m : doc.metrics) {
    s += "## " + escape(fmt::label(m.title.empty() ? m.name : m.title)) + "\n\n";
    if (!m.ok) {
      s += "> **Failed:** " + escape(m.error) + "\n\n";
      continue;
    }
    for (const auto& n : m.notes) s += "> **Note:** " + escape(n) + "\n\n";
    for (const auto& k : m.kpis) s += kpi_line(k, doc.currency, doc.compare.has_value());
    if (!m.kpis.empty()) s += "\n";
    for (const auto& t : m.tables) s += table(t, doc.currency);
  }
  return s;
}

}  // namespace tally::markdown
