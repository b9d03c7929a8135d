// Charts of running totals for the html report, recognised from the data
// (no chart hint names them, so any metric that writes such a table gets
// them):
//
// - a bridge (first row a total, the middle rows movements that add up to
//   the last row, e.g. the ARR bridge) is drawn as a waterfall: the totals
//   from zero, each movement as a floating bar from the running total;
// - leading rows that are cumulative (each row's value is the row before
//   plus another money column of the row, e.g. forecast categories closed,
//   commit, best case) are drawn as a running total, the increment in
//   colour over the carried amount, and the rows after them apart, from
//   zero, below a divider.
#pragma once

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "svg_charts.hpp"

namespace tally::html {

// One horizontal bar from `from` to `to` (from <= to or not: a fall).
struct FloatingBar {
  double from = 0, to = 0;
  bool total = false;  // drawn from zero as a total
};

// Equal up to float noise and cents.
inline bool same_amount(double a, double b) {
  return std::fabs(a - b) <= 0.01 + 1e-9 * std::max(std::fabs(a), std::fabs(b));
}

// A bridge: at least three values, all present, first + middle = last.
inline bool is_bridge(const std::vector<std::optional<double>>& v) {
  if (v.size() < 3) return false;
  double running = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i]) return false;
    if (i + 1 < v.size()) running += *v[i];
  }
  return same_amount(running, *v.back());
}

// The waterfall of a bridge: first and last from zero, each movement from
// the running total before it to the one after it.
inline std::vector<FloatingBar> waterfall_bars(const std::vector<double>& v) {
  std::vector<FloatingBar> out;
  double running = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i == 0 || i + 1 == v.size()) {
      out.push_back({0, v[i], true});
      running = v[i];
    } else {
      out.push_back({running, running + v[i], false});
      running += v[i];
    }
  }
  return out;
}

// The value axis of a waterfall: from zero, unless every bar ends far from
// zero (all ends positive and the lowest above half the highest, as in an
// ARR bridge of $40M with $0.3M movements); then from a round value below
// the lowest end, so the movements are not dwarfed by the totals. The
// totals then start at the axis, drawn with a break mark, and the axis
// title says where it starts.
inline Scale waterfall_scale(const std::vector<FloatingBar>& bars, sdk::Unit unit, bool& truncated) {
  double lo_end = INFINITY, hi = 0, lo = 0;
  for (const auto& b : bars) {
    for (double v : {b.from, b.to}) hi = std::max(hi, v), lo = std::min(lo, v);
    lo_end = std::min(lo_end, b.to);
    if (!b.total) lo_end = std::min(lo_end, b.from);
  }
  truncated = false;
  if (!(lo_end > 0) || !(lo_end > 0.5 * hi) || !std::isfinite(lo_end)) return nice_scale(lo, hi, unit);
  const double span = hi - lo_end;
  Scale s = nice_scale(0, span > 0 ? span : hi, unit);
  const double step = s.step;
  s.lo = std::max(0.0, std::floor((lo_end - 0.1 * span) / step + 1e-9) * step);
  s.hi = std::ceil(hi / step - 1e-9) * step;
  if (s.hi <= s.lo) s.hi = s.lo + step;
  truncated = s.lo > 0;
  return s;
}

// How many leading rows of `y` are a running total of `increment`:
// y[0], then y[i] = y[i-1] + increment[i]. 0 when fewer than two are.
inline size_t cumulative_run(const std::vector<std::optional<double>>& y,
                             const std::vector<std::optional<double>>& increment) {
  if (y.empty() || !y[0]) return 0;
  size_t k = 1;
  while (k < y.size() && k < increment.size() && y[k] && y[k - 1] && increment[k] &&
         same_amount(*y[k - 1] + *increment[k], *y[k]))
    ++k;
  return k >= 2 ? k : 0;
}

namespace detail {

inline double label_margin(const std::vector<std::string>& labels) {
  size_t longest = 4;
  for (const auto& l : labels) longest = std::max(longest, text_chars(l));
  return std::clamp(14.0 + 7.2 * static_cast<double>(longest), 80.0, 300.0);
}

// A category label that keeps its full text on hover.
inline std::string category_text(double x, double y, const std::string& shown, const std::string& full) {
  return "<text x=\"" + num(x) + "\" y=\"" + num(y) +
         "\" text-anchor=\"end\" class=\"category\" fill=\"#333\">" +
         (shown != full ? "<title>" + escape(full) + "</title>" : std::string()) + escape(shown) + "</text>";
}

inline std::string value_axis(const Scale& scale, double x0, double x1, double top, double bottom,
                              const ChartData& c, const std::string& title_suffix = "") {
  std::string s = "<g class=\"axis axis-x\" aria-hidden=\"true\">";
  for (double t : scale.ticks()) {
    double x = scale.at(t, x0, x1);
    s += "<line class=\"grid\" x1=\"" + num(x) + "\" y1=\"" + num(top) + "\" x2=\"" + num(x) + "\" y2=\"" +
         num(bottom) + "\" stroke=\"" + (t == 0 ? "#888" : "#e3e3e3") + "\"/>";
    s += text(x, bottom + 18, fmt::compact(t, c.unit, c.currency), "middle", " class=\"tick\" fill=\"#555\"");
  }
  s += text((x0 + x1) / 2, bottom + 40, axis_title(c) + title_suffix, "middle",
            " class=\"axis-title\" fill=\"#333\"");
  return s + "</g>";
}

}  // namespace detail

// A waterfall of a bridge's one series: totals in the series colour,
// rises green, falls red, a thin connector from each bar to the next.
inline std::string waterfall_chart(const ChartData& c) {
  using namespace detail;
  const auto& v = c.series[0].values;
  std::vector<double> values;
  for (const auto& x : v) values.push_back(x.value_or(0));
  const auto bars = waterfall_bars(values);
  const size_t n = bars.size();
  std::vector<std::string> labels;
  for (const auto& cat : c.categories) labels.push_back(category_label(cat));
  const double left = label_margin(labels), right = 90, top = 12, bar = 24, band = 34;
  const double plot_h = band * static_cast<double>(n), height = top + plot_h + 52;
  const double x0 = left, x1 = kChartWidth - right;
  bool truncated = false;
  const Scale scale = waterfall_scale(bars, c.unit, truncated);
  const std::string axis_from = fmt::compact(scale.lo, c.unit, c.currency);

  std::string description = "Waterfall of " + c.title + ": starts at " + labels.front() + " " +
                            exact(v.front(), c) + ", ends at " + labels.back() + " " + exact(v.back(), c) +
                            ";";
  for (size_t i = 1; i + 1 < n; ++i)
    description += (i > 1 ? ", " : " ") + labels[i] + " " + (values[i] >= 0 ? "+" : "") + exact(v[i], c);
  description += ".";
  if (truncated) description += " The value axis starts at " + axis_from + " so the movements can be seen.";
  description += " The table below lists every value.";

  std::string s = open_svg(c, "waterfall", kChartWidth, height, description);
  s += value_axis(scale, x0, x1, top, top + plot_h, c, truncated ? " — axis starts at " + axis_from : "");
  s += "<g class=\"axis axis-y\" aria-hidden=\"true\">";
  for (size_t i = 0; i < n; ++i)
    s += category_text(x0 - 8, top + band * static_cast<double>(i) + band / 2 + 5, labels[i], labels[i]);
  s += "</g><g class=\"marks\">";
  for (size_t i = 0; i < n; ++i) {
    const auto& b = bars[i];
    double y = top + band * static_cast<double>(i) + (band - bar) / 2;
    double xa = scale.at(std::max(scale.lo, std::min(b.from, b.to)), x0, x1);
    double xb = scale.at(std::max(b.from, b.to), x0, x1);
    const char* colour = b.total ? series_colour(0) : b.to >= b.from ? "#59a14f" : "#e15759";
    std::string tip = labels[i] + ": " + exact(v[i], c);
    s += "<rect class=\"bar" + std::string(b.total ? " total" : " step") + "\" x=\"" + num(xa) + "\" y=\"" +
         num(y) + "\" width=\"" + num(std::max(1.0, xb - xa)) + "\" height=\"" + num(bar) + "\" fill=\"" +
         colour + "\"><title>" + escape(tip) + "</title></rect>";
    if (b.total && truncated)  // the bar is cut at the axis: a break mark says so
      s += "<path class=\"break\" d=\"M" + num(xa + 6) + " " + num(y - 1) + " l6 " + num(bar + 2) + " M" +
           num(xa + 11) + " " + num(y - 1) + " l6 " + num(bar + 2) +
           "\" stroke=\"#fff\" stroke-width=\"3\"/>";
    std::string label = (b.total || values[i] < 0 ? "" : "+") + fmt::compact(values[i], c.unit, c.currency);
    s += text(xb + 5, y + bar - 7, label, "start", " class=\"value\" fill=\"#333\"");
    if (i + 1 < n) {  // connector at the running total
      double xr = scale.at(b.to, x0, x1);
      s += "<line class=\"connector\" x1=\"" + num(xr) + "\" y1=\"" + num(y + bar) + "\" x2=\"" + num(xr) +
           "\" y2=\"" + num(y + band) + "\" stroke=\"#777\" stroke-dasharray=\"2 2\"/>";
    }
  }
  return s + "</g></svg>";
}

// Leading rows cumulative (`run` of them), the rest apart below a divider.
inline std::string cumulative_chart(const ChartData& c, size_t run) {
  using namespace detail;
  const auto& v = c.series[0].values;
  const size_t n = v.size();
  std::vector<std::string> labels;
  for (const auto& cat : c.categories) labels.push_back(category_label(cat));
  const double left = label_margin(labels), right = 90, top = 34, bar = 24, band = 34, divider = 34;
  const double plot_h = band * static_cast<double>(n) + (run < n ? divider : 0), height = top + plot_h + 52;
  const double x0 = left, x1 = kChartWidth - right;
  double lo = 0, hi = 0;
  for (const auto& x : v)
    if (x) lo = std::min(lo, *x), hi = std::max(hi, *x);
  const Scale scale = nice_scale(lo, hi, c.unit);
  auto y_of = [&](size_t i) {
    return top + band * static_cast<double>(i) + (i >= run ? divider : 0) + (band - bar) / 2;
  };

  std::string description = "Running total of " + fmt::humanize(c.series[0].name) + ":";
  for (size_t i = 0; i < run; ++i) description += (i ? ", " : " ") + labels[i] + " " + exact(v[i], c);
  description += ", each including the ones before.";
  if (run < n) {
    description += " Not part of the running total:";
    for (size_t i = run; i < n; ++i) description += (i > run ? ", " : " ") + labels[i] + " " + exact(v[i], c);
    description += ".";
  }
  description += " The table below lists every value.";

  std::string s = open_svg(c, "cumulative", kChartWidth, height, description);
  s += "<g class=\"legend\" aria-hidden=\"true\">";
  s += "<rect x=\"" + num(x0) + "\" y=\"8\" width=\"12\" height=\"12\" fill=\"#c7d3e3\"/>";
  s += text(x0 + 16, 18, "carried from the row above", "start", " fill=\"#333\"");
  s += "<rect x=\"" + num(x0 + 210) + "\" y=\"8\" width=\"12\" height=\"12\" fill=\"" + series_colour(0) +
       "\"/>";
  s += text(x0 + 226, 18, "added in this row", "start", " fill=\"#333\"");
  s += "</g>";
  s += value_axis(scale, x0, x1, top, top + plot_h, c);
  s += "<g class=\"axis axis-y\" aria-hidden=\"true\">";
  for (size_t i = 0; i < n; ++i) s += category_text(x0 - 8, y_of(i) + bar - 7, labels[i], labels[i]);
  if (run < n) {
    double yd = top + band * static_cast<double>(run) + 8;
    s += "<line class=\"divider\" x1=\"8\" y1=\"" + num(yd) + "\" x2=\"" + num(x1) + "\" y2=\"" + num(yd) +
         "\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>";
    s += text(x1, yd + 17, "below: not part of the running total", "end", " class=\"note\" fill=\"#555\"");
  }
  s += "</g><g class=\"marks\">";
  const double zero = scale.at(0, x0, x1);
  for (size_t i = 0; i < n; ++i) {
    double y = y_of(i);
    if (!v[i]) {
      s += text(zero + 4, y + bar - 7, "n/a", "start", " class=\"na\" fill=\"#666\"");
      continue;
    }
    std::string tip = labels[i] + ": " + exact(v[i], c);
    double carried = i > 0 && i < run && v[i - 1] ? *v[i - 1] : 0;
    if (carried != 0) {
      double xa = scale.at(std::min(0.0, carried), x0, x1), xb = scale.at(std::max(0.0, carried), x0, x1);
      s += "<rect class=\"bar carried\" x=\"" + num(xa) + "\" y=\"" + num(y) + "\" width=\"" + num(xb - xa) +
           "\" height=\"" + num(bar) + "\" fill=\"#c7d3e3\"><title>" +
           escape(labels[i] + ": carried " + exact(carried, c)) + "</title></rect>";
    }
    double xa = scale.at(std::min(carried, *v[i]), x0, x1), xb = scale.at(std::max(carried, *v[i]), x0, x1);
    s += "<rect class=\"bar" + std::string(i < run ? " cumulative" : " apart") + "\" x=\"" + num(xa) +
         "\" y=\"" + num(y) + "\" width=\"" + num(std::max(1.0, xb - xa)) + "\" height=\"" + num(bar) +
         "\" fill=\"" + (i < run ? series_colour(0) : series_colour(1)) + "\"><title>" + escape(tip) +
         "</title></rect>";
    s += text(scale.at(std::max(0.0, *v[i]), x0, x1) + 5, y + bar - 7,
              fmt::compact(*v[i], c.unit, c.currency), "start", " class=\"value\" fill=\"#333\"");
  }
  return s + "</g></svg>";
}

}  // namespace tally::html
