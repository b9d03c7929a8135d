// Inline SVG charts for the html report: bar, stacked bar, line and funnel.
//
// Everything is computed here in C++ and written as plain SVG elements, so a
// report needs no script, font or library from anywhere to draw its charts.
// Every chart is an accessible image: role="img", a <title> and a <desc> that
// aria-labelledby points at, and a <title> tooltip on every mark. The exact
// numbers stay in the table the report writes below each chart.
//
// Over 400 lines on purpose: the four charts share the scale, label and
// tooltip helpers above them; the running-total charts are in waterfall.hpp.
#pragma once

#include <tally/format.hpp>
#include <tally/sdk.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

namespace tally::html {

namespace fmt = tally::format;

// Text for an XML/HTML text node or a double-quoted attribute.
inline std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// An id fragment from any text: lower-case letters, digits and '-'.
inline std::string id_part(std::string_view text) {
  std::string out;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u))
      out += static_cast<char>(std::tolower(u));
    else if (!out.empty() && out.back() != '-')
      out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? std::string("x") : out;
}

// A coordinate with one decimal, independent of the C locale.
inline std::string num(double v) {
  if (!std::isfinite(v)) v = 0;
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, std::round(v * 10.0) / 10.0, std::chars_format::fixed, 1);
  std::string s(buf, r.ptr);
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  if (s == "-0") s = "0";
  return s;
}

// Colour-blind-safe categorical palette (Tableau 10), readable on white and in print.
inline const char* series_colour(size_t i) {
  static const char* colours[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
                                  "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
  return colours[i % (sizeof colours / sizeof *colours)];
}

struct Series {
  std::string name;  // column name, snake_case
  std::vector<std::optional<double>> values;
};

// One chart's data, already taken out of a result table.
struct ChartData {
  std::string id;      // unique in the page; ids of <title>/<desc> derive from it
  std::string title;   // the chart's title (the table's)
  std::string x_name;  // the category/time column
  std::vector<std::string> categories;
  std::vector<Series> series;  // all in one unit
  sdk::Unit unit = sdk::Unit::Number;
  std::string currency = "USD";
  size_t total_rows = 0;  // rows in the table; more than categories when cut
  // A goal line: the target of the KPI this chart's series shows.
  std::optional<double> goal;
  std::string goal_label;
};

// A "nice" value axis: 0 included, steps of 1, 2, 2.5 or 5 times a power of ten.
struct Scale {
  double lo = 0, hi = 1, step = 1;
  double at(double v, double from, double to) const { return from + (v - lo) / (hi - lo) * (to - from); }
  std::vector<double> ticks() const {
    std::vector<double> out;
    for (int i = 0; lo + i * step <= hi + step * 1e-9 && i < 100; ++i) out.push_back(lo + i * step);
    return out;
  }
};

inline Scale nice_scale(double lo, double hi, sdk::Unit unit, int target_ticks = 5) {
  lo = std::min(lo, 0.0);
  hi = std::max(hi, 0.0);
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (hi - lo <= 0) hi = lo + 1.0;
  double raw = (hi - lo) / target_ticks;
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double norm = raw / magnitude;
  double step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10) * magnitude;
  if (unit == sdk::Unit::Count && step < 1) step = 1;
  Scale s;
  s.step = step;
  s.lo = std::floor(lo / step + 1e-9) * step;
  s.hi = std::ceil(hi / step - 1e-9) * step;
  if (s.hi <= s.lo) s.hi = s.lo + step;
  return s;
}

// "Amount (USD)", "Win rate (%)", "Deals": the value axis's title.
inline std::string axis_title(const ChartData& c) {
  std::string name = c.series.size() == 1 ? fmt::humanize(c.series[0].name) : "Value";
  switch (c.unit) {
    case sdk::Unit::Money: return name + " (" + c.currency + ")";
    case sdk::Unit::Percent: return name + " (%)";
    case sdk::Unit::Days: return name.find("days") == std::string::npos ? name + " (days)" : name;
    case sdk::Unit::Hours: return name.find("hours") == std::string::npos ? name + " (hours)" : name;
    case sdk::Unit::Minutes: return name.find("minutes") == std::string::npos ? name + " (minutes)" : name;
    default: return name;
  }
}

namespace detail {

inline std::string exact(const std::optional<double>& v, const ChartData& c) {
  return fmt::optional(v, c.unit, c.currency);
}

// Cuts long labels so they fit beside the plot; the full text is in the tooltip.
inline std::string shorten(const std::string& label, size_t max_chars) {
  size_t chars = 0, i = 0;
  for (; i < label.size(); ++i) {
    if ((static_cast<unsigned char>(label[i]) & 0xC0) != 0x80) {
      if (chars == max_chars) break;
      ++chars;
    }
  }
  if (i >= label.size()) return label;
  return label.substr(0, i) + "…";
}

inline size_t text_chars(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

// Labels cut to `max_chars`, but never so far that two read the same:
// labels that would collide are given more characters until they differ
// (or are whole). The full text is in each label's <title> and the table.
inline std::vector<std::string> distinct_labels(const std::vector<std::string>& labels, size_t max_chars) {
  std::vector<size_t> room(labels.size(), max_chars);
  std::vector<std::string> out(labels.size());
  for (int round = 0; round < 64; ++round) {
    for (size_t i = 0; i < labels.size(); ++i) out[i] = shorten(labels[i], room[i]);
    bool grew = false;
    for (size_t i = 0; i < labels.size(); ++i)
      for (size_t j = i + 1; j < labels.size(); ++j)
        if (out[i] == out[j] && labels[i] != labels[j]) {
          for (size_t k : {i, j})
            if (out[k] != labels[k]) room[k] += 4, grew = true;
        }
    if (!grew) break;
  }
  return out;
}

// A category label (right-aligned at x) that shows its full text on hover.
inline std::string category_label_text(double x, double y, const std::string& shown, const std::string& full,
                                       const char* anchor = "end", const char* fill = "#333") {
  return "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" text-anchor=\"" + anchor +
         "\" class=\"category\" fill=\"" + fill + "\">" +
         (shown != full ? "<title>" + escape(full) + "</title>" : std::string()) + escape(shown) + "</text>";
}

inline double label_width(const std::vector<std::string>& shown) {
  size_t longest = 4;
  for (const auto& l : shown) longest = std::max(longest, text_chars(l));
  return std::clamp(14.0 + 7.2 * static_cast<double>(longest), 70.0, 300.0);
}

// A dashed goal line at the target, across a horizontal value axis (bars)
// or a vertical one (lines), labelled "Target $1.2M".
inline std::string goal_line(const ChartData& c, double at, double a0, double a1, bool vertical) {
  std::string label = c.goal_label.empty() ? "Target" : c.goal_label;
  label += " " + fmt::compact(*c.goal, c.unit, c.currency);
  std::string s = "<g class=\"goal\"><line x1=\"" + num(vertical ? at : a0) + "\" y1=\"" +
                  num(vertical ? a0 : at) + "\" x2=\"" + num(vertical ? at : a1) + "\" y2=\"" +
                  num(vertical ? a1 : at) +
                  "\" stroke=\"#b8860b\" stroke-width=\"2\" stroke-dasharray=\"6 4\"><title>" +
                  escape(label + " (" + fmt::optional(c.goal, c.unit, c.currency) + ")") + "</title></line>";
  if (vertical)
    s += "<text x=\"" + num(at + 4) + "\" y=\"" + num(a0 + 12) + "\" fill=\"#8a6408\" class=\"goal-label\">" +
         escape(label) + "</text>";
  else
    s += "<text x=\"" + num(a1) + "\" y=\"" + num(at - 5) +
         "\" text-anchor=\"end\" fill=\"#8a6408\" "
         "class=\"goal-label\">" +
         escape(label) + "</text>";
  return s + "</g>";
}

inline std::string category_label(const std::string& category) {
  return category.empty() ? "(none)" : category;
}

inline std::string open_svg(const ChartData& c, const char* kind, double width, double height,
                            const std::string& description) {
  std::string s;
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart-svg\" data-chart=\"" + std::string(kind) +
       "\" role=\"img\" aria-labelledby=\"" + c.id + "-title " + c.id + "-desc\" viewBox=\"0 0 " +
       num(width) + " " + num(height) + "\" width=\"" + num(width) + "\" height=\"" + num(height) +
       "\" font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif\" "
       "font-size=\"13\">";
  s += "<title id=\"" + c.id + "-title\">" + escape(c.title) + "</title>";
  s += "<desc id=\"" + c.id + "-desc\">" + escape(description) + "</desc>";
  return s;
}

inline std::string text(double x, double y, const std::string& content, const char* anchor = "start",
                        const char* extra = "") {
  return "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" text-anchor=\"" + anchor + "\"" + extra + ">" +
         escape(content) + "</text>";
}

// Swatches and names of the series, in one row at the top; only for 2+ series.
inline std::string legend(const ChartData& c, double x, double y) {
  if (c.series.size() < 2) return {};
  std::string s = "<g class=\"legend\" aria-hidden=\"true\">";
  double at = x;
  for (size_t i = 0; i < c.series.size(); ++i) {
    std::string name = fmt::humanize(c.series[i].name);
    s += "<rect class=\"swatch\" x=\"" + num(at) + "\" y=\"" + num(y - 10) +
         "\" width=\"12\" height=\"12\" fill=\"" + series_colour(i) + "\"/>";
    s += text(at + 16, y, name, "start", " fill=\"#333\"");
    at += 16 + 7.0 * static_cast<double>(text_chars(name)) + 18;
  }
  return s + "</g>";
}

// The largest and smallest category of one series, for the text alternative.
inline std::string extremes(const ChartData& c, const Series& s) {
  std::optional<size_t> hi, lo;
  for (size_t i = 0; i < s.values.size(); ++i) {
    if (!s.values[i]) continue;
    if (!hi || *s.values[i] > *s.values[*hi]) hi = i;
    if (!lo || *s.values[i] < *s.values[*lo]) lo = i;
  }
  if (!hi) return "no values";
  std::string out = "highest " + category_label(c.categories[*hi]) + " at " + exact(s.values[*hi], c);
  if (*lo != *hi) out += ", lowest " + category_label(c.categories[*lo]) + " at " + exact(s.values[*lo], c);
  return out;
}

inline std::string series_names(const ChartData& c) {
  std::string out;
  for (size_t i = 0; i < c.series.size(); ++i) {
    if (i) out += i + 1 == c.series.size() ? " and " : ", ";
    out += fmt::humanize(c.series[i].name);
  }
  return out;
}

inline std::string cut_note(const ChartData& c) {
  if (c.total_rows <= c.categories.size()) return "";
  return " Only the first " + std::to_string(c.categories.size()) + " of " + std::to_string(c.total_rows) +
         " rows are drawn.";
}

}  // namespace detail

inline constexpr double kChartWidth = 760;

// Horizontal bars, one group per category and one bar per series, with a
// value axis (ticks, grid, unit title) at the bottom and a legend on top
// when there is more than one series. Negative values extend left of zero.
inline std::string bar_chart(const ChartData& c) {
  using namespace detail;
  const size_t n = c.categories.size();
  const size_t k = std::max<size_t>(c.series.size(), 1);
  std::vector<std::string> full;
  for (const auto& cat : c.categories) full.push_back(category_label(cat));
  const auto shown = distinct_labels(full, 28);
  const double left = label_width(shown);
  const double right = 64;
  const double top = c.series.size() > 1 || c.goal ? 34 : 12;
  const double bar = k == 1 ? 20 : std::max(9.0, 22.0 - 3.0 * static_cast<double>(k));
  const double band = bar * static_cast<double>(k) + 10;
  const double plot_h = band * static_cast<double>(n);
  const double height = top + plot_h + 46;
  const double x0 = left, x1 = kChartWidth - right;

  double lo = 0, hi = 0;
  for (const auto& s : c.series)
    for (const auto& v : s.values)
      if (v) lo = std::min(lo, *v), hi = std::max(hi, *v);
  if (c.goal) lo = std::min(lo, *c.goal), hi = std::max(hi, *c.goal);
  const Scale scale = nice_scale(lo, hi, c.unit);

  std::string description = "Bar chart of " + series_names(c) + " by " + fmt::humanize(c.x_name) + ", " +
                            std::to_string(n) + (n == 1 ? " category" : " categories") + ". ";
  for (size_t i = 0; i < c.series.size(); ++i) {
    if (i) description += "; ";
    description += fmt::humanize(c.series[i].name) + ": " + extremes(c, c.series[i]);
  }
  description += ".";
  if (c.goal)
    description += " " + (c.goal_label.empty() ? std::string("Target") : c.goal_label) + " " +
                   fmt::optional(c.goal, c.unit, c.currency) + " drawn as a dashed line.";
  description += cut_note(c) + " The table below lists every value.";

  std::string s = open_svg(c, "bar", kChartWidth, height, description);
  s += legend(c, x0, 18);
  // Value axis: grid, ticks and labels.
  s += "<g class=\"axis axis-x\" aria-hidden=\"true\">";
  for (double t : scale.ticks()) {
    double x = scale.at(t, x0, x1);
    s += "<line class=\"grid\" x1=\"" + num(x) + "\" y1=\"" + num(top) + "\" x2=\"" + num(x) + "\" y2=\"" +
         num(top + plot_h) + "\" stroke=\"#e3e3e3\"/>";
    s += text(x, top + plot_h + 16, fmt::compact(t, c.unit, c.currency), "middle",
              " class=\"tick\" fill=\"#555\"");
  }
  s += "<line class=\"baseline\" x1=\"" + num(x0) + "\" y1=\"" + num(top + plot_h) + "\" x2=\"" + num(x1) +
       "\" y2=\"" + num(top + plot_h) + "\" stroke=\"#888\"/>";
  s += text((x0 + x1) / 2, top + plot_h + 36, axis_title(c), "middle", " class=\"axis-title\" fill=\"#333\"");
  s += "</g>";
  // Category axis.
  const double zero = scale.at(0, x0, x1);
  s += "<g class=\"axis axis-y\" aria-hidden=\"true\">";
  s += "<line x1=\"" + num(zero) + "\" y1=\"" + num(top) + "\" x2=\"" + num(zero) + "\" y2=\"" +
       num(top + plot_h) + "\" stroke=\"#888\"/>";
  for (size_t i = 0; i < n; ++i) {
    double y = top + band * static_cast<double>(i) + band / 2 + 4;
    s += category_label_text(x0 - 8, y, shown[i], full[i]);
  }
  s += "</g>";
  if (c.goal) s += goal_line(c, scale.at(*c.goal, x0, x1), top - 18, top + plot_h, true);
  // Bars.
  s += "<g class=\"marks\">";
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < c.series.size(); ++j) {
      const auto& v = c.series[j].values[i];
      double y = top + band * static_cast<double>(i) + 5 + bar * static_cast<double>(j);
      std::string tip =
          category_label(c.categories[i]) + " — " + fmt::humanize(c.series[j].name) + ": " + exact(v, c);
      if (!v) {
        s += text(zero + 4, y + bar - 5, "n/a", "start", " class=\"na\" fill=\"#777\"");
        continue;
      }
      double xv = scale.at(*v, x0, x1);
      double bx = std::min(zero, xv), bw = std::fabs(xv - zero);
      s += "<rect class=\"bar\" x=\"" + num(bx) + "\" y=\"" + num(y) + "\" width=\"" + num(bw) +
           "\" height=\"" + num(bar - 1) + "\" fill=\"" + series_colour(j) + "\"><title>" + escape(tip) +
           "</title></rect>";
      bool negative = *v < 0;
      s += text(negative ? bx - 4 : bx + bw + 4, y + bar - 5, fmt::compact(*v, c.unit, c.currency),
                negative ? "end" : "start", " class=\"value\" fill=\"#333\" ");
    }
  }
  s += "</g></svg>";
  return s;
}

// Horizontal stacked bars: one bar per category, one segment per series,
// the total at the end of the bar and a legend on top.
inline std::string stacked_bar_chart(const ChartData& c) {
  using namespace detail;
  const size_t n = c.categories.size();
  std::vector<std::string> full;
  for (const auto& cat : c.categories) full.push_back(category_label(cat));
  const auto shown = distinct_labels(full, 28);
  const double left = label_width(shown);
  const double right = 64, top = 34, bar = 22, band = 30;
  const double plot_h = band * static_cast<double>(n);
  const double height = top + plot_h + 46;
  const double x0 = left, x1 = kChartWidth - right;

  std::vector<double> pos(n, 0), neg(n, 0);
  for (const auto& s : c.series)
    for (size_t i = 0; i < n; ++i)
      if (s.values[i]) (*s.values[i] >= 0 ? pos[i] : neg[i]) += *s.values[i];
  double lo = 0, hi = 0;
  for (size_t i = 0; i < n; ++i) lo = std::min(lo, neg[i]), hi = std::max(hi, pos[i]);
  const Scale scale = nice_scale(lo, hi, c.unit);

  std::optional<size_t> largest;
  for (size_t i = 0; i < n; ++i)
    if (!largest || pos[i] + neg[i] > pos[*largest] + neg[*largest]) largest = i;
  std::string description = "Stacked bar chart of " + series_names(c) + " by " + fmt::humanize(c.x_name) +
                            ", " + std::to_string(n) + (n == 1 ? " category" : " categories") + ".";
  if (largest)
    description += " Largest total: " + category_label(c.categories[*largest]) + " at " +
                   fmt::with_unit(pos[*largest] + neg[*largest], c.unit, c.currency) + ".";
  description += cut_note(c) + " The table below lists every value.";

  std::string s = open_svg(c, "stacked_bar", kChartWidth, height, description);
  s += legend(c, x0, 18);
  s += "<g class=\"axis axis-x\" aria-hidden=\"true\">";
  for (double t : scale.ticks()) {
    double x = scale.at(t, x0, x1);
    s += "<line class=\"grid\" x1=\"" + num(x) + "\" y1=\"" + num(top) + "\" x2=\"" + num(x) + "\" y2=\"" +
         num(top + plot_h) + "\" stroke=\"#e3e3e3\"/>";
    s += text(x, top + plot_h + 16, fmt::compact(t, c.unit, c.currency), "middle",
              " class=\"tick\" fill=\"#555\"");
  }
  s += "<line class=\"baseline\" x1=\"" + num(x0) + "\" y1=\"" + num(top + plot_h) + "\" x2=\"" + num(x1) +
       "\" y2=\"" + num(top + plot_h) + "\" stroke=\"#888\"/>";
  s += text((x0 + x1) / 2, top + plot_h + 36, axis_title(c), "middle", " class=\"axis-title\" fill=\"#333\"");
  s += "</g>";
  const double zero = scale.at(0, x0, x1);
  s += "<g class=\"axis axis-y\" aria-hidden=\"true\">";
  s += "<line x1=\"" + num(zero) + "\" y1=\"" + num(top) + "\" x2=\"" + num(zero) + "\" y2=\"" +
       num(top + plot_h) + "\" stroke=\"#888\"/>";
  for (size_t i = 0; i < n; ++i)
    s += category_label_text(x0 - 8, top + band * static_cast<double>(i) + band / 2 + 4, shown[i], full[i]);
  s += "</g>";
  s += "<g class=\"marks\">";
  for (size_t i = 0; i < n; ++i) {
    double y = top + band * static_cast<double>(i) + (band - bar) / 2;
    double right_end = 0, left_end = 0;
    for (size_t j = 0; j < c.series.size(); ++j) {
      const auto& v = c.series[j].values[i];
      if (!v || *v == 0) continue;
      double from = *v >= 0 ? right_end : left_end + *v;
      double to = *v >= 0 ? right_end + *v : left_end;
      (*v >= 0 ? right_end : left_end) += *v;
      double xa = scale.at(from, x0, x1), xb = scale.at(to, x0, x1);
      std::string tip =
          category_label(c.categories[i]) + " — " + fmt::humanize(c.series[j].name) + ": " + exact(v, c);
      s += "<rect class=\"segment\" x=\"" + num(xa) + "\" y=\"" + num(y) + "\" width=\"" + num(xb - xa) +
           "\" height=\"" + num(bar) + "\" fill=\"" + series_colour(j) +
           "\" stroke=\"#fff\" stroke-width=\"0.5\"><title>" + escape(tip) + "</title></rect>";
    }
    s += text(scale.at(right_end, x0, x1) + 4, y + bar - 6,
              fmt::compact(right_end + left_end, c.unit, c.currency), "start",
              " class=\"value total\" fill=\"#333\" ");
  }
  s += "</g></svg>";
  return s;
}

// Lines over time buckets (x = the bucket column, in row order), a value
// axis on the left, a point with a tooltip per value; n/a leaves a gap.
inline std::string line_chart(const ChartData& c) {
  using namespace detail;
  const size_t n = c.categories.size();
  const double top = c.series.size() > 1 ? 34 : 14;
  const double left = 72, right = 48, plot_h = 230;
  const double height = top + plot_h + 56;
  const double x0 = left, x1 = kChartWidth - right, y0 = top + plot_h, y1 = top;

  // The value axis starts at zero so a line's height reads as its size.
  double lo = 0, hi = 0;
  for (const auto& s : c.series)
    for (const auto& v : s.values)
      if (v) lo = std::min(lo, *v), hi = std::max(hi, *v);
  if (c.goal) lo = std::min(lo, *c.goal), hi = std::max(hi, *c.goal);
  const Scale scale = nice_scale(lo, hi, c.unit);
  auto x_at = [&](size_t i) {
    return n <= 1 ? (x0 + x1) / 2 : x0 + (x1 - x0) * static_cast<double>(i) / static_cast<double>(n - 1);
  };

  std::string description = "Line chart of " + series_names(c) + " by " + fmt::humanize(c.x_name);
  if (n > 0)
    description +=
        " from " + category_label(c.categories.front()) + " to " + category_label(c.categories.back());
  description += ", " + std::to_string(n) + (n == 1 ? " point" : " points") + ".";
  for (const auto& series : c.series) {
    std::optional<double> first, last;
    for (const auto& v : series.values)
      if (v) {
        if (!first) first = v;
        last = v;
      }
    description += " " + fmt::humanize(series.name) + ": first " + exact(first, c) + ", last " +
                   exact(last, c) + ", " + extremes(c, series) + ".";
  }
  description += cut_note(c) + " The table below lists every value.";

  std::string s = open_svg(c, "line", kChartWidth, height, description);
  s += legend(c, x0, 18);
  s += "<g class=\"axis axis-y\" aria-hidden=\"true\">";
  for (double t : scale.ticks()) {
    double y = scale.at(t, y0, y1);
    s += "<line class=\"grid\" x1=\"" + num(x0) + "\" y1=\"" + num(y) + "\" x2=\"" + num(x1) + "\" y2=\"" +
         num(y) + "\" stroke=\"" + (t == 0 ? "#888" : "#e3e3e3") + "\"/>";
    s += text(x0 - 8, y + 4, fmt::compact(t, c.unit, c.currency), "end", " class=\"tick\" fill=\"#555\"");
  }
  s += "<line x1=\"" + num(x0) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x0) + "\" y2=\"" + num(y0) +
       "\" stroke=\"#888\"/>";
  s += "<text class=\"axis-title\" transform=\"translate(14 " + num((y0 + y1) / 2) +
       ") rotate(-90)\" text-anchor=\"middle\" fill=\"#333\">" + escape(axis_title(c)) + "</text>";
  s += "</g>";
  s += "<g class=\"axis axis-x\" aria-hidden=\"true\">";
  s += "<line class=\"baseline\" x1=\"" + num(x0) + "\" y1=\"" + num(y0) + "\" x2=\"" + num(x1) + "\" y2=\"" +
       num(y0) + "\" stroke=\"#888\"/>";
  const size_t every = std::max<size_t>(1, (n + 7) / 8);  // at most 8 labels
  for (size_t i = 0; i < n; ++i) {
    // Every `every`-th label, and the last one when it does not crowd the one before.
    bool shown = i % every == 0 || (i + 1 == n && (n - 1) % every >= (every + 1) / 2);
    if (!shown) continue;
    s += "<line x1=\"" + num(x_at(i)) + "\" y1=\"" + num(y0) + "\" x2=\"" + num(x_at(i)) + "\" y2=\"" +
         num(y0 + 4) + "\" stroke=\"#888\"/>";
    const std::string full = category_label(c.categories[i]);
    s += category_label_text(x_at(i), y0 + 17, shorten(full, 12), full, "middle", "#555");
  }
  s += text((x0 + x1) / 2, y0 + 40, fmt::humanize(c.x_name), "middle", " class=\"axis-title\" fill=\"#333\"");
  s += "</g>";
  if (c.goal) s += goal_line(c, scale.at(*c.goal, y0, y1), x0, x1, false);
  s += "<g class=\"marks\">";
  for (size_t j = 0; j < c.series.size(); ++j) {
    const auto& values = c.series[j].values;
    std::string d;
    bool pen_down = false;
    for (size_t i = 0; i < n; ++i) {
      if (!values[i]) {
        pen_down = false;
        continue;
      }
      d += (pen_down ? " L" : (d.empty() ? "M" : " M")) + num(x_at(i)) + " " +
           num(scale.at(*values[i], y0, y1));
      pen_down = true;
    }
    if (!d.empty())
      s += "<path class=\"line\" d=\"" + d + "\" fill=\"none\" stroke=\"" + series_colour(j) +
           "\" stroke-width=\"2.5\" stroke-linejoin=\"round\" stroke-linecap=\"round\"/>";
    for (size_t i = 0; i < n; ++i) {
      if (!values[i]) continue;
      std::string tip = category_label(c.categories[i]) + " — " + fmt::humanize(c.series[j].name) + ": " +
                        exact(values[i], c);
      s += "<circle class=\"point\" cx=\"" + num(x_at(i)) + "\" cy=\"" + num(scale.at(*values[i], y0, y1)) +
           "\" r=\"3.5\" fill=\"" + series_colour(j) + "\" stroke=\"#fff\" stroke-width=\"1\"><title>" +
           escape(tip) + "</title></circle>";
    }
  }
  s += "</g></svg>";
  return s;
}

// A funnel: one centred bar per stage (first series), width proportional to
// the stage's value, joined by trapezoids; beside each stage its value, the
// conversion from the stage before and from the first stage.
inline std::string funnel_chart(const ChartData& c) {
  using namespace detail;
  const size_t n = c.categories.size();
  static const std::vector<std::optional<double>> kNone;
  const auto& values = c.series.empty() ? kNone : c.series[0].values;
  const double left = 190, right = 230, top = 12, bar = 30, gap = 14;
  const double height = top + (bar + gap) * static_cast<double>(n) + 8;
  const double x0 = left, x1 = kChartWidth - right, mid = (x0 + x1) / 2;
  double hi = 0;
  for (const auto& v : values)
    if (v) hi = std::max(hi, *v);
  auto width_of = [&](const std::optional<double>& v) {
    if (!v || hi <= 0 || *v <= 0) return 2.0;
    return std::max(2.0, (x1 - x0) * *v / hi);
  };
  auto conversion = [](const std::optional<double>& a,
                       const std::optional<double>& b) -> std::optional<double> {
    if (!a || !b || *b == 0) return std::nullopt;
    return *a / *b;
  };
  std::optional<double> first;
  if (!values.empty()) first = values[0];

  std::string name = c.series.empty() ? std::string("value") : fmt::humanize(c.series[0].name);
  std::string description = "Funnel of " + name + " by " + fmt::humanize(c.x_name) + ", " +
                            std::to_string(n) + (n == 1 ? " stage" : " stages") + ":";
  for (size_t i = 0; i < n; ++i) {
    description += (i ? "; " : " ") + category_label(c.categories[i]) + " " + exact(values[i], c);
    if (i > 0) {
      auto step = conversion(values[i], values[i - 1]);
      if (step) description += " (" + fmt::percent(*step) + " of the stage before)";
    }
  }
  description += ".";
  if (n > 1) {
    auto overall = conversion(values[n - 1], first);
    if (overall) description += " Overall conversion " + fmt::percent(*overall) + ".";
  }
  description += cut_note(c) + " The table below lists every value.";

  std::vector<std::string> full;
  for (const auto& cat : c.categories) full.push_back(category_label(cat));
  const auto funnel_labels = distinct_labels(full, 24);
  std::string s = open_svg(c, "funnel", kChartWidth, height, description);
  s += "<g class=\"marks\">";
  for (size_t i = 0; i < n; ++i) {
    double y = top + (bar + gap) * static_cast<double>(i);
    double w = width_of(values[i]);
    if (i + 1 < n) {
      double wn = width_of(values[i + 1]);
      s += "<polygon class=\"connector\" aria-hidden=\"true\" points=\"" + num(mid - w / 2) + "," +
           num(y + bar) + " " + num(mid + w / 2) + "," + num(y + bar) + " " + num(mid + wn / 2) + "," +
           num(y + bar + gap) + " " + num(mid - wn / 2) + "," + num(y + bar + gap) + "\" fill=\"" +
           series_colour(0) + "\" opacity=\"0.25\"/>";
    }
    std::string tip = category_label(c.categories[i]) + ": " + exact(values[i], c);
    s += "<rect class=\"stage\" x=\"" + num(mid - w / 2) + "\" y=\"" + num(y) + "\" width=\"" + num(w) +
         "\" height=\"" + num(bar) + "\" fill=\"" + series_colour(0) + "\"><title>" + escape(tip) +
         "</title></rect>";
    s += category_label_text(x0 - 10, y + bar / 2 + 4, funnel_labels[i], category_label(c.categories[i]));
    std::string note = exact(values[i], c);
    if (i > 0) {
      auto step = conversion(values[i], values[i - 1]);
      auto total = conversion(values[i], first);
      note += " · " + (step ? fmt::percent(*step, 0) : std::string(fmt::kNotAvailable)) + " of previous";
      if (i > 1)
        note += " · " + (total ? fmt::percent(*total, 0) : std::string(fmt::kNotAvailable)) + " of first";
    }
    s += text(x1 + 10, y + bar / 2 + 4, note, "start", " class=\"value\" fill=\"#333\"");
  }
  s += "</g></svg>";
  return s;
}

// The numeric columns a table's chart plots: its hint's ys, or every numeric
// column but x; only those in the unit of the first, so one axis fits all.
inline ChartData chart_data(const sdk::TableView& t, const std::string& id, const std::string& currency,
                            size_t max_categories) {
  ChartData c;
  c.id = id;
  c.title = fmt::label(t.title.empty() ? t.name : t.title);
  c.currency = currency;
  auto is_numeric = [](sdk::Unit u) {
    return u != sdk::Unit::Text && u != sdk::Unit::Date && u != sdk::Unit::Flag;
  };
  std::optional<size_t> x;
  for (size_t i = 0; i < t.columns.size(); ++i)
    if (t.columns[i].name == t.chart_x) x = i;
  if (!x)
    for (size_t i = 0; i < t.columns.size() && !x; ++i)
      if (!is_numeric(t.columns[i].unit)) x = i;
  if (!x) x = 0;
  c.x_name = t.columns.empty() ? std::string() : t.columns[*x].name;
  std::vector<size_t> ys;
  for (size_t i = 0; i < t.columns.size(); ++i) {
    if (i == *x || !is_numeric(t.columns[i].unit)) continue;
    bool wanted = t.chart_ys.empty() ||
                  std::find(t.chart_ys.begin(), t.chart_ys.end(), t.columns[i].name) != t.chart_ys.end();
    if (wanted && (ys.empty() || t.columns[i].unit == t.columns[ys[0]].unit)) ys.push_back(i);
  }
  // Keep the hint's order of series.
  if (!t.chart_ys.empty())
    std::stable_sort(ys.begin(), ys.end(), [&](size_t a, size_t b) {
      return std::find(t.chart_ys.begin(), t.chart_ys.end(), t.columns[a].name) <
             std::find(t.chart_ys.begin(), t.chart_ys.end(), t.columns[b].name);
    });
  if (!ys.empty()) c.unit = t.columns[ys[0]].unit;
  c.total_rows = t.rows.size();
  size_t rows = std::min(t.rows.size(), max_categories);
  for (size_t y : ys) c.series.push_back(Series{t.columns[y].name, {}});
  const fmt::ColumnFormat x_format = fmt::column_format(t, *x);
  for (size_t r = 0; r < rows; ++r) {
    const auto& row = t.rows[r];
    c.categories.push_back(row.size() > *x && !sdk::is_null(row[*x]) ? fmt::cell(row[*x], x_format, currency)
                                                                     : std::string());
    for (size_t j = 0; j < ys.size(); ++j) {
      const auto& v = row.size() > ys[j] ? row[ys[j]] : sdk::Value{};
      std::optional<double> d;
      if (auto* i = std::get_if<int64_t>(&v)) d = static_cast<double>(*i);
      if (auto* f = std::get_if<double>(&v)) d = *f;
      c.series[j].values.push_back(d);
    }
  }
  return c;
}

// The chart a table's hint asks for, or "" when there is nothing to draw.
inline std::string chart_svg(const sdk::TableView& t, const std::string& id, const std::string& currency) {
  if (t.chart == sdk::Chart::None || t.rows.empty()) return {};
  size_t max_categories = t.chart == sdk::Chart::Line ? 400 : 30;
  ChartData c = chart_data(t, id, currency, max_categories);
  if (c.series.empty() || c.categories.empty()) return {};
  switch (t.chart) {
    case sdk::Chart::Bar: return bar_chart(c);
    case sdk::Chart::StackedBar: return c.series.size() > 1 ? stacked_bar_chart(c) : bar_chart(c);
    case sdk::Chart::Line: return line_chart(c);
    case sdk::Chart::Funnel: return funnel_chart(c);
    default: return {};
  }
}

}  // namespace tally::html
