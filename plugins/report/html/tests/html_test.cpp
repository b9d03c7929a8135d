// The html report's pieces without a host: number formatting (shared
// format.hpp), the SVG structure of every chart type, and the page.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "../html_writer.hpp"
#include "../svg_charts.hpp"

namespace {

using tally::sdk::Chart;
using tally::sdk::Kpi;
using tally::sdk::TableView;
using tally::sdk::Unit;
using tally::sdk::Value;
namespace fmt = tally::format;
namespace html = tally::html;

// ---- a strict little XML reader: the SVG must be well-formed ----

struct Node {
  std::string name;
  std::map<std::string, std::string> attrs;
  std::vector<Node> children;
  std::string text;  // all text directly inside, entities decoded

  std::string attr(const std::string& key) const {
    auto it = attrs.find(key);
    return it == attrs.end() ? std::string() : it->second;
  }
  // Every descendant (and this node) with the tag name and, if given, the class.
  void collect(const std::string& tag, const std::string& cls, std::vector<const Node*>& out) const {
    if (name == tag &&
        (cls.empty() || (" " + attr("class") + " ").find(" " + cls + " ") != std::string::npos))
      out.push_back(this);
    for (const auto& c : children) c.collect(tag, cls, out);
  }
  std::vector<const Node*> all(const std::string& tag, const std::string& cls = "") const {
    std::vector<const Node*> out;
    collect(tag, cls, out);
    return out;
  }
  const Node* by_id(const std::string& id) const {
    if (attr("id") == id) return this;
    for (const auto& c : children)
      if (auto* n = c.by_id(id)) return n;
    return nullptr;
  }
};

class XmlReader {
 public:
  explicit XmlReader(const std::string& s) : s_(s) {}
  Node document() {
    skip_space();
    Node root = element();
    skip_space();
    if (i_ != s_.size()) fail("content after the root element");
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("malformed XML at " + std::to_string(i_) + ": " + what + " near '" +
                             s_.substr(i_ > 30 ? i_ - 30 : 0, 60) + "'");
  }
  void skip_space() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  std::string name() {
    size_t start = i_;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '-' ||
                              s_[i_] == ':' || s_[i_] == '_'))
      ++i_;
    if (i_ == start) fail("expected a name");
    return s_.substr(start, i_ - start);
  }
  std::string decoded(const std::string& raw) {
    std::string out;
    for (size_t k = 0; k < raw.size(); ++k) {
      if (raw[k] == '<') fail("raw '<' in text or attribute");
      if (raw[k] != '&') {
        out += raw[k];
        continue;
      }
      size_t semi = raw.find(';', k);
      if (semi == std::string::npos) fail("unterminated entity");
      std::string entity = raw.substr(k, semi - k + 1);
      static const std::map<std::string, std::string> known = {
          {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&apos;", "'"}};
      auto it = known.find(entity);
      if (it == known.end()) fail("unknown entity " + entity);
      out += it->second;
      k = semi;
    }
    return out;
  }
  Node element() {
    if (s_[i_] != '<') fail("expected '<'");
    ++i_;
    Node n;
    n.name = name();
    for (;;) {
      skip_space();
      if (i_ >= s_.size()) fail("unterminated tag");
      if (s_.compare(i_, 2, "/>") == 0) {
        i_ += 2;
        return n;
      }
      if (s_[i_] == '>') {
        ++i_;
        break;
      }
      std::string key = name();
      if (s_[i_] != '=' || s_[i_ + 1] != '"') fail("attribute without =\"...\"");
      i_ += 2;
      size_t end = s_.find('"', i_);
      if (end == std::string::npos) fail("unterminated attribute");
      if (n.attrs.count(key)) fail("duplicate attribute " + key);
      n.attrs[key] = decoded(s_.substr(i_, end - i_));
      i_ = end + 1;
    }
    for (;;) {
      if (i_ >= s_.size()) fail("unclosed <" + n.name + ">");
      if (s_.compare(i_, 2, "</") == 0) {
        i_ += 2;
        if (name() != n.name) fail("mismatched closing tag for <" + n.name + ">");
        if (s_[i_] != '>') fail("expected '>'");
        ++i_;
        return n;
      }
      if (s_[i_] == '<') {
        n.children.push_back(element());
      } else {
        size_t end = s_.find('<', i_);
        if (end == std::string::npos) fail("text runs to the end");
        n.text += decoded(s_.substr(i_, end - i_));
        i_ = end;
      }
    }
  }
  const std::string& s_;
  size_t i_ = 0;
};

Node parse(const std::string& svg) {
  return XmlReader(svg).document();
}

std::vector<std::string> texts(const Node& root, const std::string& cls) {
  std::vector<std::string> out;
  for (auto* n : root.all("text", cls)) out.push_back(n->text);
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Every chart is an image with a title and a description that name it.
void expect_accessible(const Node& svg, const std::string& id, const std::string& title) {
  EXPECT_EQ(svg.name, "svg");
  EXPECT_EQ(svg.attr("role"), "img");
  EXPECT_EQ(svg.attr("aria-labelledby"), id + "-title " + id + "-desc");
  ASSERT_FALSE(svg.children.empty());
  EXPECT_EQ(svg.children[0].name, "title");
  EXPECT_EQ(svg.children[0].attr("id"), id + "-title");
  EXPECT_EQ(svg.children[0].text, title);
  ASSERT_GE(svg.children.size(), 2u);
  EXPECT_EQ(svg.children[1].name, "desc");
  EXPECT_EQ(svg.children[1].attr("id"), id + "-desc");
  EXPECT_FALSE(svg.children[1].text.empty());
  EXPECT_FALSE(svg.attr("viewBox").empty());
}

html::ChartData two_series() {
  html::ChartData c;
  c.id = "c1";
  c.title = "Pipeline by stage";
  c.x_name = "stage";
  c.unit = Unit::Money;
  c.categories = {"Prospecting", "R&D <east>", "Proposal"};
  c.series = {{"amount", {1'200'000.0, 350'000.0, std::nullopt}},
              {"weighted_amount", {120'000.0, 70'000.0, 5'000.0}}};
  c.total_rows = 3;
  return c;
}

}  // namespace

// ---- formatting ----

TEST(Format, MoneyHasThousandsSeparatorsAndCurrency) {
  EXPECT_EQ(fmt::money(1234567.891), "$1,234,568");
  EXPECT_EQ(fmt::money(999.5), "$999.50");
  EXPECT_EQ(fmt::money(12.5), "$12.50");
  EXPECT_EQ(fmt::money(0), "$0.00");
  EXPECT_EQ(fmt::money(-1500, "EUR"), "-€1,500");
  EXPECT_EQ(fmt::money(2500, "CHF"), "2,500 CHF");
  EXPECT_EQ(fmt::with_unit(1234567.0, Unit::Money, "GBP"), "£1,234,567");
}

TEST(Format, PercentIsARatioWithOneDecimal) {
  EXPECT_EQ(fmt::percent(0.3127), "31.3%");
  EXPECT_EQ(fmt::percent(1.0), "100.0%");
  EXPECT_EQ(fmt::percent(0.5, 0), "50%");
  EXPECT_EQ(fmt::percent(12.3456), "1,234.6%");
  EXPECT_EQ(fmt::with_unit(-0.0001, Unit::Percent), "0.0%");  // never "-0.0%"
}

TEST(Format, NotAvailableEverywhere) {
  EXPECT_EQ(fmt::optional(std::nullopt, Unit::Money), "n/a");
  EXPECT_EQ(fmt::value(Value{}, Unit::Percent), "n/a");
  EXPECT_EQ(fmt::money(NAN), "n/a");
  EXPECT_EQ(fmt::percent(INFINITY), "n/a");
  EXPECT_EQ(fmt::compact(NAN, Unit::Money), "n/a");
  Kpi k;
  k.unit = Unit::Percent;
  k.value = 0.3;
  EXPECT_EQ(fmt::change(k), "n/a");  // no previous value
  EXPECT_EQ(fmt::plain(NAN), "");    // CSV: n/a is empty
}

TEST(Format, ChangeIsPointsForPercentagesAndRelativeOtherwise) {
  Kpi rate{.name = "r", .label = "", .unit = Unit::Percent, .value = 0.31, .previous = 0.28, .target = {}};
  EXPECT_EQ(fmt::change(rate), "+3.0 pp");
  Kpi money{.name = "m", .label = "", .unit = Unit::Money, .value = 90.0, .previous = 120.0, .target = {}};
  EXPECT_EQ(fmt::change(money), "-25.0%");
  EXPECT_EQ(std::string(fmt::arrow(fmt::trend(money))), "▼");
  Kpi churn{.name = "c",
            .label = "",
            .unit = Unit::Percent,
            .value = 0.05,
            .previous = 0.04,
            .target = std::nullopt,
            .higher_is_better = false};
  EXPECT_EQ(fmt::is_improvement(churn), false);
}

TEST(Format, CompactLabelsForAxes) {
  EXPECT_EQ(fmt::compact(1'234'567, Unit::Money), "$1.2M");
  EXPECT_EQ(fmt::compact(350'000, Unit::Money), "$350K");
  EXPECT_EQ(fmt::compact(0.3125, Unit::Percent), "31%");
  EXPECT_EQ(fmt::compact(0.05, Unit::Percent), "5.0%");
  EXPECT_EQ(fmt::compact(0, Unit::Percent), "0%");
  EXPECT_EQ(fmt::compact(45, Unit::Count), "45");
  EXPECT_EQ(fmt::compact(12'345, Unit::Count), "12.3K");
  EXPECT_EQ(fmt::compact(12.6, Unit::Days), "13 d");
  EXPECT_EQ(fmt::compact(2.5, Unit::Days), "2.5 d");
}

TEST(Format, PlainNumbersForMachines) {
  EXPECT_EQ(fmt::plain(0.1), "0.1");
  EXPECT_EQ(fmt::plain(1e6), "1000000");
  EXPECT_EQ(fmt::plain(1234567.25), "1234567.25");
  EXPECT_EQ(fmt::plain(0.000125), "0.000125");
  EXPECT_EQ(fmt::plain(-2.5), "-2.5");
  EXPECT_EQ(fmt::plain(-0.0), "0");
  EXPECT_EQ(fmt::plain(1.0 / 3.0), "0.333333333333333");
  EXPECT_EQ(fmt::plain(6751919.239999996), "6751919.24");
  EXPECT_EQ(fmt::plain(0.1 + 0.2), "0.3");
  EXPECT_EQ(fmt::humanize("weighted_amount"), "Weighted amount");
}

// ---- SVG helpers ----

TEST(Svg, EscapesAndIds) {
  EXPECT_EQ(html::escape("R&D <\"x\"> 'y'"), "R&amp;D &lt;&quot;x&quot;&gt; &#39;y&#39;");
  EXPECT_EQ(html::id_part("Losses by Competitor!"), "losses-by-competitor");
  EXPECT_EQ(html::num(12.345), "12.3");
  EXPECT_EQ(html::num(-0.01), "0");
  EXPECT_EQ(html::num(40), "40");
}

TEST(Svg, NiceScaleIncludesZeroAndRoundSteps) {
  auto s = html::nice_scale(0, 1'234'567, Unit::Money);
  EXPECT_EQ(s.lo, 0);
  EXPECT_GE(s.hi, 1'234'567);
  EXPECT_EQ(s.step, 250'000);
  auto counts = html::nice_scale(0, 3, Unit::Count);
  EXPECT_EQ(counts.step, 1);  // no half deals
  auto negative = html::nice_scale(-40, 90, Unit::Number);
  EXPECT_LE(negative.lo, -40);
  EXPECT_GE(negative.hi, 90);
  auto flat = html::nice_scale(0, 0, Unit::Percent);
  EXPECT_GT(flat.hi, flat.lo);
}

// ---- each chart type's structure ----

TEST(BarChart, OneBarPerValueAxesLegendAndTooltips) {
  auto c = two_series();
  Node svg = parse(html::bar_chart(c));
  expect_accessible(svg, "c1", "Pipeline by stage");
  EXPECT_EQ(svg.attr("data-chart"), "bar");
  // 3 categories x 2 series, one n/a: 5 bars, each with an exact tooltip.
  auto bars = svg.all("rect", "bar");
  ASSERT_EQ(bars.size(), 5u);
  for (auto* b : bars) {
    ASSERT_EQ(b->children.size(), 1u);
    EXPECT_EQ(b->children[0].name, "title");
    EXPECT_GT(std::stod(b->attr("width")), 0);
  }
  EXPECT_EQ(bars[0]->children[0].text, "Prospecting — Amount: $1,200,000");
  EXPECT_TRUE(contains(texts(svg, "na"), "n/a"));
  // The largest bar is the longest.
  EXPECT_GT(std::stod(bars[0]->attr("width")), std::stod(bars[2]->attr("width")));
  // Category labels, escaped on the way in and intact on the way out.
  auto categories = texts(svg, "category");
  EXPECT_EQ(categories, (std::vector<std::string>{"Prospecting", "R&D <east>", "Proposal"}));
  // Value axis with compact money ticks and a unit title.
  auto ticks = texts(svg, "tick");
  EXPECT_TRUE(contains(ticks, "$0")) << ::testing::PrintToString(ticks);
  EXPECT_TRUE(contains(ticks, "$1.2M")) << ::testing::PrintToString(ticks);
  EXPECT_EQ(texts(svg, "axis-title"), std::vector<std::string>{"Value (USD)"});
  // Two series: a legend naming both.
  auto legend = svg.all("g", "legend");
  ASSERT_EQ(legend.size(), 1u);
  EXPECT_EQ(legend[0]->all("rect", "swatch").size(), 2u);
  EXPECT_TRUE(contains(texts(*legend[0], ""), "Weighted amount"));
  // The text alternative names the extremes.
  EXPECT_NE(svg.children[1].text.find("highest Prospecting at $1,200,000"), std::string::npos)
      << svg.children[1].text;
}

TEST(BarChart, SingleSeriesHasNoLegendAndNamesItsAxis) {
  html::ChartData c;
  c.id = "w";
  c.title = "Win rate by region";
  c.x_name = "region";
  c.unit = Unit::Percent;
  c.categories = {"EMEA", "NA"};
  c.series = {{"win_rate", {0.31, 0.275}}};
  Node svg = parse(html::bar_chart(c));
  EXPECT_TRUE(svg.all("g", "legend").empty());
  EXPECT_EQ(texts(svg, "axis-title"), std::vector<std::string>{"Win rate (%)"});
  EXPECT_TRUE(contains(texts(svg, "value"), "31%"));
  EXPECT_EQ(svg.all("rect", "bar").size(), 2u);
}

TEST(BarChart, NegativeValuesGrowLeftOfZero) {
  html::ChartData c;
  c.id = "n";
  c.title = "ARR bridge";
  c.x_name = "step";
  c.unit = Unit::Money;
  c.categories = {"expansion", "churned"};
  c.series = {{"arr", {50'000.0, -20'000.0}}};
  Node svg = parse(html::bar_chart(c));
  auto bars = svg.all("rect", "bar");
  ASSERT_EQ(bars.size(), 2u);
  double zero_x = std::stod(bars[0]->attr("x"));
  EXPECT_LT(std::stod(bars[1]->attr("x")) + std::stod(bars[1]->attr("width")), zero_x + 0.2);
}

TEST(StackedBarChart, OneSegmentPerNonZeroValueAndTotals) {
  html::ChartData c;
  c.id = "s";
  c.title = "Revenue by rep";
  c.x_name = "rep";
  c.unit = Unit::Money;
  c.categories = {"Ann", "Bob"};
  c.series = {
      {"new_business", {1000.0, 0.0}}, {"renewal", {500.0, 2000.0}}, {"expansion", {std::nullopt, 250.0}}};
  Node svg = parse(html::stacked_bar_chart(c));
  expect_accessible(svg, "s", "Revenue by rep");
  EXPECT_EQ(svg.attr("data-chart"), "stacked_bar");
  auto segments = svg.all("rect", "segment");
  ASSERT_EQ(segments.size(), 4u);  // zero and n/a draw nothing
  // Ann's two segments touch: the second starts where the first ends.
  EXPECT_NEAR(std::stod(segments[0]->attr("x")) + std::stod(segments[0]->attr("width")),
              std::stod(segments[1]->attr("x")), 0.11);
  EXPECT_EQ(segments[0]->attr("fill"), html::series_colour(0));
  EXPECT_EQ(segments[1]->attr("fill"), html::series_colour(1));
  EXPECT_EQ(texts(svg, "total"), (std::vector<std::string>{"$1.5K", "$2.2K"}));
  auto legend = svg.all("g", "legend");
  ASSERT_EQ(legend.size(), 1u);
  EXPECT_EQ(legend[0]->all("rect", "swatch").size(), 3u);
  EXPECT_NE(svg.children[1].text.find("Largest total: Bob at $2,250"), std::string::npos)
      << svg.children[1].text;
}

TEST(LineChart, OnePathPerSeriesPointsAndGaps) {
  html::ChartData c;
  c.id = "l";
  c.title = "Churn by month";
  c.x_name = "month";
  c.unit = Unit::Percent;
  for (int m = 1; m <= 12; ++m)
    c.categories.push_back("2025-" + std::string(m < 10 ? "0" : "") + std::to_string(m) + "-01");
  std::vector<std::optional<double>> a, b;
  for (int m = 0; m < 12; ++m) {
    a.push_back(m == 5 ? std::nullopt : std::optional<double>(0.01 * m));
    b.push_back(0.02);
  }
  c.series = {{"logo_churn_rate", a}, {"revenue_churn_rate", b}};
  Node svg = parse(html::line_chart(c));
  expect_accessible(svg, "l", "Churn by month");
  EXPECT_EQ(svg.attr("data-chart"), "line");
  auto lines = svg.all("path", "line");
  ASSERT_EQ(lines.size(), 2u);
  // The n/a in June splits the first line into two runs.
  std::string d = lines[0]->attr("d");
  EXPECT_EQ(std::count(d.begin(), d.end(), 'M'), 2) << d;
  EXPECT_EQ(svg.all("circle", "point").size(), 23u);
  // Time labels thinned to at most 8 (+ the last), first and last shown.
  auto labels = texts(svg, "category");
  EXPECT_LE(labels.size(), 9u);
  EXPECT_EQ(labels.front(), "2025-01-01");
  EXPECT_EQ(texts(svg, "axis-title"), (std::vector<std::string>{"Value (%)", "Month"}));
  EXPECT_EQ(svg.all("g", "legend").size(), 1u);
  EXPECT_NE(svg.children[1].text.find("from 2025-01-01 to 2025-12-01"), std::string::npos);
}

TEST(FunnelChart, StagesNarrowAndShowConversion) {
  html::ChartData c;
  c.id = "f";
  c.title = "Stage conversion";
  c.x_name = "stage";
  c.unit = Unit::Count;
  c.categories = {"Prospecting", "Qualification", "Proposal", "Closed Won"};
  c.series = {{"deals", {200.0, 100.0, 50.0, 20.0}}};
  Node svg = parse(html::funnel_chart(c));
  expect_accessible(svg, "f", "Stage conversion");
  EXPECT_EQ(svg.attr("data-chart"), "funnel");
  auto stages = svg.all("rect", "stage");
  ASSERT_EQ(stages.size(), 4u);
  for (size_t i = 1; i < stages.size(); ++i)
    EXPECT_LT(std::stod(stages[i]->attr("width")), std::stod(stages[i - 1]->attr("width")));
  EXPECT_EQ(svg.all("polygon", "connector").size(), 3u);
  auto notes = texts(svg, "value");
  ASSERT_EQ(notes.size(), 4u);
  EXPECT_EQ(notes[0], "200");
  EXPECT_EQ(notes[1], "100 · 50% of previous");
  EXPECT_EQ(notes[3], "20 · 40% of previous · 10% of first");
  EXPECT_NE(svg.children[1].text.find("Overall conversion 10.0%"), std::string::npos) << svg.children[1].text;
}

TEST(FunnelChart, ZeroFirstStageIsNotADivisionByZero) {
  html::ChartData c;
  c.id = "z";
  c.title = "Empty funnel";
  c.x_name = "stage";
  c.unit = Unit::Count;
  c.categories = {"A", "B"};
  c.series = {{"deals", {0.0, 0.0}}};
  Node svg = parse(html::funnel_chart(c));
  auto notes = texts(svg, "value");
  EXPECT_EQ(notes[1], "0 · n/a of previous");
  for (auto* r : svg.all("rect", "stage")) EXPECT_TRUE(std::isfinite(std::stod(r->attr("width"))));
}

// ---- from a result table to the chart its hint asks for ----

TableView stage_table(Chart chart) {
  TableView t;
  t.name = "by_stage";
  t.title = "Pipeline by stage";
  t.chart = chart;
  t.chart_x = "stage";
  t.chart_ys = {"amount", "weighted_amount"};
  t.columns = {{"stage", Unit::Text},
               {"deals", Unit::Count},
               {"amount", Unit::Money},
               {"weighted_amount", Unit::Money},
               {"win_rate", Unit::Percent}};
  t.rows = {{std::string("Prospecting"), int64_t{10}, 1000.0, 100.0, 0.1},
            {std::string("Proposal"), int64_t{4}, 800.0, Value{}, 0.5}};
  return t;
}

TEST(ChartFromTable, HintPicksTheChart) {
  EXPECT_EQ(parse(html::chart_svg(stage_table(Chart::Bar), "a", "USD")).attr("data-chart"), "bar");
  EXPECT_EQ(parse(html::chart_svg(stage_table(Chart::StackedBar), "a", "USD")).attr("data-chart"),
            "stacked_bar");
  EXPECT_EQ(parse(html::chart_svg(stage_table(Chart::Line), "a", "USD")).attr("data-chart"), "line");
  EXPECT_EQ(parse(html::chart_svg(stage_table(Chart::Funnel), "a", "USD")).attr("data-chart"), "funnel");
  EXPECT_EQ(html::chart_svg(stage_table(Chart::None), "a", "USD"), "");
  auto empty = stage_table(Chart::Bar);
  empty.rows.clear();
  EXPECT_EQ(html::chart_svg(empty, "a", "USD"), "");
}

TEST(ChartFromTable, SeriesFollowTheHintInOneUnit) {
  auto c = html::chart_data(stage_table(Chart::Bar), "a", "USD", 30);
  ASSERT_EQ(c.series.size(), 2u);
  EXPECT_EQ(c.series[0].name, "amount");
  EXPECT_EQ(c.series[1].name, "weighted_amount");
  EXPECT_FALSE(c.series[1].values[1].has_value());
  EXPECT_EQ(c.unit, Unit::Money);
  EXPECT_EQ(c.categories, (std::vector<std::string>{"Prospecting", "Proposal"}));

  auto all = stage_table(Chart::Bar);
  all.chart_ys.clear();  // every numeric column, but only those in the first one's unit
  auto d = html::chart_data(all, "a", "USD", 30);
  ASSERT_EQ(d.series.size(), 1u);
  EXPECT_EQ(d.series[0].name, "deals");

  auto many = stage_table(Chart::Bar);
  for (int i = 0; i < 50; ++i)
    many.rows.push_back({std::string("s") + std::to_string(i), int64_t{1}, 1.0, 1.0, 0.1});
  auto cut = html::chart_data(many, "a", "USD", 30);
  EXPECT_EQ(cut.categories.size(), 30u);
  Node svg = parse(html::bar_chart(cut));
  EXPECT_NE(svg.children[1].text.find("Only the first 30 of 52 rows are drawn."), std::string::npos);
}

// ---- the page ----

tally::html::Document sample_document() {
  tally::html::Document doc;
  doc.title = "Q4 <review> & more";
  doc.period = {"2025-10-01", "2026-01-01"};
  doc.compare = tally::sdk::Period{"2025-07-01", "2025-10-01"};
  tally::sdk::MetricView pipeline;
  pipeline.name = "pipeline";
  pipeline.plugin = "pipeline";
  pipeline.title = "Pipeline";
  pipeline.kpis = {Kpi{.name = "open_pipeline",
                       .label = "Open pipeline",
                       .unit = Unit::Money,
                       .value = 1'250'000.0,
                       .previous = 1'000'000.0,
                       .target = 2'500'000.0}};
  pipeline.tables = {stage_table(Chart::Funnel)};
  tally::sdk::MetricView churn;
  churn.name = "churn";
  churn.plugin = "churn";
  churn.title = "Churn";
  churn.kpis = {Kpi{.name = "logo_churn",
                    .label = "Logo churn",
                    .unit = Unit::Percent,
                    .value = 0.05,
                    .previous = 0.04,
                    .target = 0.03,
                    .higher_is_better = false}};
  TableView none = stage_table(Chart::None);
  none.name = "plain";
  churn.tables = {none};
  tally::sdk::MetricView broken;
  broken.name = "broken";
  broken.plugin = "win_loss";
  broken.title = "Win/loss";
  broken.ok = false;
  broken.error = "no such column <x>";
  doc.metrics = {pipeline, churn, broken};
  return doc;
}

TEST(Page, SelfContainedWithNoRequests) {
  std::string page = tally::html::render(sample_document());
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(page.find("Content-Security-Policy\" content=\"default-src 'none'"), std::string::npos);
  // The SVG namespace is a name, not a request; nothing else may point outside.
  std::string without_ns = page;
  for (size_t at; (at = without_ns.find("http://www.w3.org/2000/svg")) != std::string::npos;)
    without_ns.erase(at, 26);
  EXPECT_EQ(without_ns.find("http:"), std::string::npos);
  EXPECT_EQ(without_ns.find("https:"), std::string::npos);
  EXPECT_EQ(without_ns.find(" src="), std::string::npos);
  EXPECT_EQ(without_ns.find("@import"), std::string::npos);
  EXPECT_EQ(without_ns.find("url("), std::string::npos);
  EXPECT_NE(page.find("@media print"), std::string::npos);
}

TEST(Page, HeaderCardsChartsTablesAndErrors) {
  std::string page = tally::html::render(sample_document());
  EXPECT_NE(page.find("<h1>Q4 &lt;review&gt; &amp; more</h1>"), std::string::npos);
  // The exclusive end shown inclusive, worded as in every report.
  EXPECT_NE(page.find("<time datetime=\"2025-10-01\">1 Oct 2025 – 31 Dec 2025 (inclusive)</time>"),
            std::string::npos);
  EXPECT_NE(
      page.find("compared with <time datetime=\"2025-07-01\">1 Jul 2025 – 30 Sep 2025 (inclusive)</time>"),
      std::string::npos);
  // KPI: value, change with arrow and colour, progress against target.
  EXPECT_NE(page.find("<div class=\"kpi-value\">$1,250,000</div>"), std::string::npos);
  EXPECT_NE(page.find("<div class=\"kpi-change good\"><span aria-hidden=\"true\">▲</span> +25.0%"),
            std::string::npos);
  EXPECT_NE(page.find("50% of target $2,500,000"), std::string::npos);
  EXPECT_NE(page.find("aria-valuenow=\"50\""), std::string::npos);
  // Churn went up: bad news in red, target missed.
  EXPECT_NE(page.find("<div class=\"kpi-change bad\"><span aria-hidden=\"true\">▲</span> +1.0 pp"),
            std::string::npos);
  EXPECT_NE(page.find("Target at most 3.0% · not met"), std::string::npos);
  // The funnel, followed by its table.
  size_t figure =
      page.find("<figure class=\"chart\" id=\"metric-pipeline-by-stage-figure\" data-chart=\"funnel\">");
  ASSERT_NE(figure, std::string::npos);
  size_t figure_end = page.find("</figure>", figure);
  EXPECT_EQ(page.compare(figure_end + 9, 26, "<div class=\"table-scroll\">"), 0);
  EXPECT_NE(page.find("<td class=\"num\" data-v=\"1000\">$1,000</td>"), std::string::npos);
  EXPECT_NE(page.find("<td class=\"num na\" data-v=\"\">n/a</td>"), std::string::npos);
  // Sortable, humanised headers; no plugin ids under headings.
  EXPECT_NE(
      page.find("<th scope=\"col\" class=\"num\"><button type=\"button\">Weighted amount</button></th>"),
      std::string::npos);
  EXPECT_EQ(page.find("class=\"plugin\""), std::string::npos);
  // No hint: table only.
  EXPECT_EQ(page.find("metric-churn-plain-figure"), std::string::npos);
  EXPECT_NE(page.find("id=\"metric-churn-plain-table\""), std::string::npos);
  // A failed metric says so, escaped.
  EXPECT_NE(page.find("data-metric=\"broken\" data-status=\"error\""), std::string::npos);
  EXPECT_NE(page.find("This metric failed: no such column &lt;x&gt;"), std::string::npos);
  EXPECT_NE(page.find("<div id=\"tally-self-check\" hidden></div>"), std::string::npos);
}

TEST(Page, EveryEmbeddedSvgIsWellFormed) {
  std::string page = tally::html::render(sample_document());
  size_t count = 0;
  for (size_t at = page.find("<svg"); at != std::string::npos; at = page.find("<svg", at + 1)) {
    size_t end = page.find("</svg>", at);
    ASSERT_NE(end, std::string::npos);
    EXPECT_NO_THROW(parse(page.substr(at, end + 6 - at)));
    ++count;
  }
  EXPECT_EQ(count, 1u);
}

TEST(Page, WarningsProvenanceNotesAndCompareStatus) {
  auto doc = sample_document();
  doc.warnings = {"config target <x> matches no KPI"};
  doc.facts = {{"data_source", "postgresql://ann:s3cret@db/sales"},
               {"data_from", "2024-01-02"},
               {"data_to", "2025-12-31"},
               {"generated_at", "2026-12-02T01:00:00Z"},
               {"tally_version", "0.1.0"}};
  doc.metrics[0].notes = {"Deals without stage history: 3."};
  doc.metrics[0].kpis[0].compare_status = TALLY_COMPARE_NO_DATA;
  doc.metrics[1].kpis[0].compare_status = TALLY_COMPARE_NOT_COMPARABLE;
  doc.metrics[1].kpis[0].note = "cohort still maturing";
  doc.metrics[1].kpis[0].target_source = "config";
  std::string page = tally::html::render(doc);
  size_t warnings = page.find("<section class=\"warnings\" role=\"alert\"");
  ASSERT_NE(warnings, std::string::npos);
  EXPECT_LT(warnings, page.find("<nav class=\"toc\""));  // at the top
  EXPECT_NE(page.find("<li>config target &lt;x&gt; matches no KPI</li>"), std::string::npos);
  EXPECT_NE(page.find("<dt>Data source</dt><dd>postgresql://ann@db/sales</dd>"), std::string::npos);
  EXPECT_EQ(page.find("s3cret"), std::string::npos);
  EXPECT_NE(page.find("<dt>Data covers</dt><dd>2 Jan 2024 – 31 Dec 2025</dd>"), std::string::npos);
  EXPECT_NE(page.find("<dt>Tally version</dt><dd>0.1.0</dd>"), std::string::npos);
  EXPECT_NE(page.find("<p class=\"note\"><strong>Note:</strong> Deals without stage history: 3.</p>"),
            std::string::npos);
  EXPECT_NE(page.find("<div class=\"kpi-change neutral\" data-compare=\"no_data\">no data to compare</div>"),
            std::string::npos);
  EXPECT_NE(
      page.find("data-compare=\"not_comparable\">not comparable</div><div class=\"kpi-note\">cohort still "
                "maturing</div>"),
      std::string::npos);
  EXPECT_NE(page.find("<span class=\"target-source\">(config)</span>"), std::string::npos);
  // Neither shows a change.
  EXPECT_EQ(page.find("+25.0%"), std::string::npos);
  EXPECT_EQ(page.find("+1.0 pp"), std::string::npos);
}

// ---- running totals ----

TEST(Waterfall, BridgeIsRecognisedFromItsSums) {
  EXPECT_TRUE(html::is_bridge({100.0, 20.0, -5.0, 115.0}));
  EXPECT_TRUE(html::is_bridge({100.0, 0.1, 0.2, 100.3}));  // float noise is not a difference
  EXPECT_FALSE(html::is_bridge({100.0, 20.0, -5.0, 120.0}));
  EXPECT_FALSE(html::is_bridge({100.0, 100.0}));
  EXPECT_FALSE(html::is_bridge({100.0, std::nullopt, 100.0}));
}

TEST(Waterfall, MovementsFloatFromTheRunningTotal) {
  // 40M start, +0.3M, -0.1M, 40.2M end: the movements sit at 40M, not at 0.
  auto bars = html::waterfall_bars({40e6, 0.3e6, -0.1e6, 40.2e6});
  ASSERT_EQ(bars.size(), 4u);
  EXPECT_TRUE(bars[0].total);
  EXPECT_EQ(bars[0].from, 0);
  EXPECT_EQ(bars[0].to, 40e6);
  EXPECT_FALSE(bars[1].total);
  EXPECT_EQ(bars[1].from, 40e6);
  EXPECT_EQ(bars[1].to, 40.3e6);
  EXPECT_EQ(bars[2].from, 40.3e6);
  EXPECT_DOUBLE_EQ(bars[2].to, 40.2e6);
  EXPECT_TRUE(bars[3].total);
  EXPECT_EQ(bars[3].from, 0);
  EXPECT_EQ(bars[3].to, 40.2e6);
}

TEST(Waterfall, AxisStartsNearTheTotalsWhenMovementsAreSmall) {
  // Ends at 40M, 40.3M, 40.2M: span 0.3M, a step of 0.1M; the axis starts at
  // floor((40M - 0.03M) / 0.1M) * 0.1M = 39.9M and ends at 40.3M.
  bool truncated = false;
  auto s = html::waterfall_scale(html::waterfall_bars({40e6, 0.3e6, -0.1e6, 40.2e6}), Unit::Money, truncated);
  EXPECT_TRUE(truncated);
  EXPECT_DOUBLE_EQ(s.step, 1e5);
  EXPECT_DOUBLE_EQ(s.lo, 39.9e6);
  EXPECT_DOUBLE_EQ(s.hi, 40.3e6);
  // Movements as large as the totals: from zero.
  auto z = html::waterfall_scale(html::waterfall_bars({10.0, 30.0, -5.0, 35.0}), Unit::Money, truncated);
  EXPECT_FALSE(truncated);
  EXPECT_EQ(z.lo, 0);
}

TEST(Waterfall, CumulativeRowsAreFoundAndTheRestKeptApart) {
  // forecast: closed 100, commit = 100 + 50, best case = 150 + 30, then a
  // pipeline figure that is not a running total.
  std::vector<std::optional<double>> forecast = {100.0, 150.0, 180.0, 400.0, std::nullopt};
  std::vector<std::optional<double>> amount = {100.0, 50.0, 30.0, 90.0, 10.0};
  EXPECT_EQ(html::cumulative_run(forecast, amount), 3u);
  EXPECT_EQ(html::cumulative_run({1.0, 5.0}, {1.0, 1.0}), 0u);
}

TableView bridge_table() {
  TableView t;
  t.name = "bridge";
  t.title = "ARR bridge";
  t.chart = Chart::Bar;
  t.chart_x = "step";
  t.chart_ys = {"arr"};
  t.columns = {{"step", Unit::Text}, {"arr", Unit::Money}};
  t.rows = {{std::string("Starting ARR"), 40e6},
            {std::string("New"), 0.3e6},
            {std::string("Churned"), -0.1e6},
            {std::string("Ending ARR"), 40.2e6}};
  return t;
}

TEST(Waterfall, TheArrBridgeIsDrawnAsAWaterfall) {
  tally::sdk::MetricView m;
  Node svg = parse(html::detail::pick_chart(bridge_table(), m, "w", "USD"));
  EXPECT_EQ(svg.attr("data-chart"), "waterfall");
  auto totals = svg.all("rect", "total");
  auto steps = svg.all("rect", "step");
  ASSERT_EQ(totals.size(), 2u);
  ASSERT_EQ(steps.size(), 2u);
  // The "New" step starts where the starting total ends.
  EXPECT_EQ(steps[0]->attr("x"), [&] {
    double x = std::stod(totals[0]->attr("x")) + std::stod(totals[0]->attr("width"));
    return html::num(x);
  }());
  EXPECT_EQ(steps[0]->attr("fill"), "#59a14f");  // a rise
  EXPECT_EQ(steps[1]->attr("fill"), "#e15759");  // a fall
  EXPECT_NE(svg.children[1].text.find("New +$300,000"), std::string::npos) << svg.children[1].text;
  EXPECT_NE(svg.children[1].text.find("The value axis starts at $39.9M"), std::string::npos)
      << svg.children[1].text;
  EXPECT_EQ(svg.all("path", "break").size(), 2u);  // both totals are cut at the axis
}

TEST(Charts, GoalLineWhereTheKpiHasATarget) {
  TableView t = stage_table(Chart::Bar);
  t.chart_ys = {"win_rate"};
  tally::sdk::MetricView m;
  m.kpis = {Kpi{.name = "win_rate", .label = "Win rate", .unit = Unit::Percent, .value = 0.3, .target = 0.4}};
  Node svg = parse(html::detail::pick_chart(t, m, "g", "USD"));
  auto goal = svg.all("g", "goal");
  ASSERT_EQ(goal.size(), 1u);
  EXPECT_NE(svg.children[1].text.find("Target 40.0% drawn as a dashed line"), std::string::npos);
  m.kpis[0].target.reset();
  EXPECT_TRUE(parse(html::detail::pick_chart(t, m, "g", "USD")).all("g", "goal").empty());
}

TEST(Charts, LabelsAreNeverCutSoFarThatTheyLookAlike) {
  auto labels = html::detail::distinct_labels(
      {"Competitive Battlecard: Sales Engineering", "Competitive Battlecard: Sales Leadership", "Short"}, 28);
  EXPECT_NE(labels[0], labels[1]);
  EXPECT_EQ(labels[2], "Short");
  EXPECT_EQ(labels[0].rfind("Competitive Battlecard: Sales E", 0), 0u) << labels[0];
  // The full text is on hover.
  TableView t = stage_table(Chart::Bar);
  t.rows[0][0] = std::string("Competitive Battlecard: Sales Engineering");
  t.rows[1][0] = std::string("Competitive Battlecard: Sales Leadership");
  Node svg = parse(html::chart_svg(t, "l", "USD"));
  auto cats = svg.all("text", "category");
  ASSERT_EQ(cats.size(), 2u);
  ASSERT_FALSE(cats[0]->children.empty());
  EXPECT_EQ(cats[0]->children[0].name, "title");
  EXPECT_EQ(cats[0]->children[0].text, "Competitive Battlecard: Sales Engineering");
}
