// The html report in a real browser: the demo database, the demo metrics, an
// html (plus markdown and csv) report written by `tally run`, then Debian's
// chromium, headless, opens the page from disk (file://, no network) and
//  - the page logs nothing to the console (no error, no blocked request),
//  - the page's own inline self-check finds every chart an accessible SVG
//    followed by its table, and every metric with its charts and tables,
//  - at 1400 px and at 400 px (a phone), opened with #tally-test, the page's
//    self-check finds nothing wider than the viewport outside a scrolling
//    box, no text under 11 px, and a click on a column header sorts its
//    table,
//  - screenshots at both widths are taken into the build dir
//    (docs/images/demo-report.png and demo-report-phone.png are copies).
// Without chromium these tests FAIL: run scripts/install-deps.sh test.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "support/command.hpp"
#include "support/fixture.hpp"

using namespace tally::testing;
namespace fs = std::filesystem;

namespace {

// The metrics of configs/demo.yaml, plus the stage funnel, the ARR bridge
// (a waterfall) and the forecast (a running total) so every chart type but
// stacked bars is on the page.
const char* kMetrics = R"(metrics:
  - use: pipeline
    params: {group_by: region, top_n: 10}
  - use: win_loss
    params: {group_by: reason}
  - use: churn
    params: {group_by: segment, trend: month}
  - use: collateral_usage
    params: {unused_months: 3, top_n: 15}
  - use: stage_conversion
  - use: arr
  - use: forecast
)";
const std::vector<std::string> kMetricNames = {"pipeline",         "win_loss", "churn",   "collateral_usage",
                                               "stage_conversion", "arr",      "forecast"};

std::string trimmed(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

std::string chromium() {
  for (const char* name : {"chromium", "chromium-browser"}) {
    auto r = run_shell(std::string("command -v ") + name);
    if (r.exit_code == 0 && !trimmed(r.out).empty()) return trimmed(r.out);
  }
  return {};
}

#define REQUIRE_CHROMIUM(var)                                                               \
  const std::string var = chromium();                                                       \
  ASSERT_FALSE(var.empty()) << "chromium is not installed; the browser tests need it: run " \
                               "scripts/install-deps.sh test (Debian package 'chromium')"

// One run of the demo config with html, markdown and csv reports.
struct DemoRun {
  TempDir dir;
  std::string html, markdown, csv_dir;

  DemoRun() {
    std::string db = dir.file("demo.db");
    auto demo = run_tally("demo --db '" + db + "'");
    if (demo.exit_code != 0) ADD_FAILURE() << "tally demo failed: " << demo.err;
    html = dir.file("out/demo.html");
    markdown = dir.file("out/demo.md");
    csv_dir = dir.file("out/csv");
    std::string config = dir.write("demo.yaml",
                                   "title: Tally demo — sales review\n"
                                   "data: " +
                                       db +
                                       "\n"
                                       "as_of: 2026-01-01\n"
                                       "period: {last: quarter, compare: previous_period}\n" +
                                       std::string(kMetrics) +
                                       "reports:\n"
                                       "  - use: html\n    path: out/demo.html\n"
                                       "  - use: markdown\n    path: out/demo.md\n"
                                       "  - use: " +
                                       std::string("csv") + "\n    dir: out/csv\n");
    auto run = run_tally("run '" + config + "' --out '" + dir.path() + "'");
    if (run.exit_code != 0) ADD_FAILURE() << "tally run failed (" << run.exit_code << "): " << run.err;
  }
};

std::string browser_flags(const std::string& profile) {
  return " --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking"
         " --disable-component-update --disable-sync --hide-scrollbars --user-data-dir='" +
         profile + "'";
}

// Lines "name status=ok charts=N tables=M" of the page's self-check.
std::map<std::string, std::string> self_check_lines(const std::string& dom) {
  std::map<std::string, std::string> out;
  size_t at = dom.find("id=\"tally-self-check\"");
  if (at == std::string::npos) return out;
  size_t start = dom.find('>', at) + 1, end = dom.find("</div>", start);
  std::istringstream lines(dom.substr(start, end - start));
  for (std::string line; std::getline(lines, line);) out[line.substr(0, line.find(' '))] = line;
  return out;
}

int count(const std::string& line, const std::string& key) {
  size_t at = line.find(" " + key + "=");
  return at == std::string::npos ? -1 : std::stoi(line.substr(at + key.size() + 2));
}

}  // namespace

TEST(Browser, DemoReportOpensFromDiskWithoutConsoleErrorsAndEveryMetricHasChartAndTable) {
  REQUIRE_CHROMIUM(browser);
  DemoRun demo;
  ASSERT_TRUE(fs::exists(demo.html)) << demo.html;
  TempDir profile;
  auto r = run_shell("timeout 180 '" + browser + "'" + browser_flags(profile.path()) +
                     " --enable-logging=stderr --v=0 --virtual-time-budget=5000 --dump-dom 'file://" +
                     demo.html + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Chromium logs every console message (errors, uncaught exceptions,
  // requests the page's Content-Security-Policy refused) as ":CONSOLE"; a
  // healthy report logs nothing.
  std::istringstream err(r.err);
  for (std::string line; std::getline(err, line);) {
    EXPECT_EQ(line.find(":CONSOLE"), std::string::npos) << line;
    EXPECT_EQ(line.find("Uncaught"), std::string::npos) << line;
    EXPECT_EQ(line.find("Refused to"), std::string::npos) << line;
  }
  const std::string& dom = r.out;
  ASSERT_NE(dom.find("</html>"), std::string::npos) << "no DOM dumped:\n" << r.err;
  // The inline script ran and found nothing wrong.
  EXPECT_NE(dom.find("id=\"tally-self-check\" hidden=\"\" data-status=\"ok\""), std::string::npos)
      << dom.substr(dom.find("tally-self-check"), 2000);
  auto lines = self_check_lines(dom);
  for (const auto& name : kMetricNames) {
    ASSERT_TRUE(lines.count(name)) << "no section for metric " << name;
    const std::string& line = lines[name];
    EXPECT_NE(line.find("status=ok"), std::string::npos) << line;
    EXPECT_GE(count(line, "charts"), 1) << line;
    EXPECT_GE(count(line, "tables"), count(line, "charts")) << line;
  }
  // The chart each metric's hint asks for.
  EXPECT_NE(dom.find("id=\"metric-stage-conversion-funnel-figure\" data-chart=\"funnel\""),
            std::string::npos);
  EXPECT_NE(dom.find("id=\"metric-churn-trend-figure\" data-chart=\"line\""), std::string::npos);
  EXPECT_NE(dom.find("id=\"metric-pipeline-by-stage-figure\" data-chart=\"bar\""), std::string::npos);
  // Header: title and period.
  EXPECT_NE(dom.find("<h1>Tally demo — sales review</h1>"), std::string::npos);
  EXPECT_NE(dom.find("1 Oct 2025 – 31 Dec 2025 (inclusive)</time> · compared with"), std::string::npos);
  // Charts that fit their data.
  EXPECT_NE(dom.find("data-chart=\"waterfall\""), std::string::npos);
  EXPECT_NE(dom.find("data-chart=\"cumulative\""), std::string::npos);
  // Provenance in the header.
  EXPECT_NE(dom.find("<dt>Data source</dt>"), std::string::npos);
  EXPECT_NE(dom.find("<dt>Tally version</dt>"), std::string::npos);
}

// The page at one viewport width, opened with #tally-test so its self-check
// also checks the layout and sorting; returns the self-check's "layout"
// line. Headless chromium's --dump-dom lays a page out at least 500 px wide
// whatever --window-size says, so the page is opened in an <iframe> of the
// exact width (its own viewport: media queries and the self-check see that
// width), and a small page around it copies the iframe's outcome into its
// own DOM (--allow-file-access-from-files lets it read the file's frame).
std::string layout_check(const std::string& browser, const std::string& html, int width) {
  TempDir profile, here;
  const std::string frame = here.write(
      "frame.html",
      "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>body{margin:0}iframe{border:0;width:" +
          std::to_string(width) +
          "px;height:2000px;display:block}</style></head><body>"
          "<iframe id=\"frame\" src=\"file://" +
          html +
          "#tally-test\"></iframe><div id=\"outcome\"></div><script>"
          "document.getElementById('frame').addEventListener('load', function () {"
          "  var check = this.contentDocument.getElementById('tally-self-check');"
          "  var out = document.getElementById('outcome');"
          "  out.setAttribute('data-status', check.getAttribute('data-status'));"
          "  out.textContent = check.textContent;"
          "});</script></body></html>");
  auto r =
      run_shell("timeout 180 '" + browser + "'" + browser_flags(profile.path()) +
                " --allow-file-access-from-files --enable-logging=stderr --v=0 --virtual-time-budget=5000"
                " --window-size=" +
                std::to_string(width + 100) + ",2000 --dump-dom 'file://" + frame + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::istringstream err(r.err);
  for (std::string line; std::getline(err, line);)
    EXPECT_EQ(line.find(":CONSOLE"), std::string::npos) << line;
  const std::string& dom = r.out;
  size_t at = dom.find("id=\"outcome\"");
  if (at == std::string::npos) {
    ADD_FAILURE() << "no outcome in the DOM:\n" << r.err;
    return {};
  }
  size_t start = dom.find('>', at) + 1, end = dom.find("</div>", start);
  const std::string outcome = dom.substr(start, end - start);
  EXPECT_NE(dom.find("id=\"outcome\" data-status=\"ok\""), std::string::npos) << outcome;
  std::istringstream lines(outcome);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("layout ", 0) == 0) return line;
  return {};
}

TEST(Browser, DemoReportFitsDesktopAndPhoneAndSortsOnAClick) {
  REQUIRE_CHROMIUM(browser);
  DemoRun demo;
  ASSERT_TRUE(fs::exists(demo.html)) << demo.html;
  for (int width : {1400, 400}) {
    SCOPED_TRACE("window width " + std::to_string(width));
    std::string line = layout_check(browser, demo.html, width);
    ASSERT_FALSE(line.empty()) << "the self-check did not check the layout";
    EXPECT_EQ(count(line, "width"), width) << line;
    EXPECT_GT(count(line, "texts"), 100) << line;  // it looked at the page's text
    EXPECT_EQ(count(line, "too_wide"), 0) << line;
    EXPECT_EQ(count(line, "too_small"), 0) << line;
    EXPECT_NE(line.find(" sort=ok"), std::string::npos) << line;
  }
}

// A PNG of the page at a window size: width and height from its header, and
// not blank (a blank page compresses to a few KB).
void screenshot(const std::string& browser, const std::string& html, const std::string& name, int width,
                int height) {
  const fs::path shot = fs::path(TALLY_BINARY_DIR) / "browser-test" / name;
  fs::create_directories(shot.parent_path());
  fs::remove(shot);
  TempDir profile;
  auto r = run_shell("timeout 180 '" + browser + "'" + browser_flags(profile.path()) +
                     " --virtual-time-budget=5000 --window-size=" + std::to_string(width) + "," +
                     std::to_string(height) + " --screenshot='" + shot.string() + "' 'file://" + html + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(fs::exists(shot)) << r.err;
  std::string png = slurp(shot.string());
  ASSERT_GT(png.size(), 24u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  auto be32 = [&](size_t at) {
    return (static_cast<uint32_t>(static_cast<unsigned char>(png[at])) << 24) |
           (static_cast<uint32_t>(static_cast<unsigned char>(png[at + 1])) << 16) |
           (static_cast<uint32_t>(static_cast<unsigned char>(png[at + 2])) << 8) |
           static_cast<uint32_t>(static_cast<unsigned char>(png[at + 3]));
  };
  EXPECT_EQ(be32(16), static_cast<uint32_t>(width));
  EXPECT_EQ(be32(20), static_cast<uint32_t>(height));
  EXPECT_GT(png.size(), static_cast<size_t>(width) * height / 60) << "screenshot looks empty: " << shot;
}

TEST(Browser, DemoReportScreenshots) {
  REQUIRE_CHROMIUM(browser);
  DemoRun demo;
  ASSERT_TRUE(fs::exists(demo.html)) << demo.html;
  screenshot(browser, demo.html, "demo-report.png", 1400, 4000);
  screenshot(browser, demo.html, "demo-report-phone.png", 400, 2400);
}

TEST(Browser, DemoReportIsSelfContained) {
  DemoRun demo;
  std::string page = slurp(demo.html);
  ASSERT_FALSE(page.empty());
  // The SVG namespace is a name, not a request; nothing else may point outside the file.
  for (size_t at; (at = page.find("http://www.w3.org/2000/svg")) != std::string::npos;) page.erase(at, 26);
  EXPECT_EQ(page.find("http:"), std::string::npos);
  EXPECT_EQ(page.find("https:"), std::string::npos);
  EXPECT_EQ(page.find(" src="), std::string::npos);
  EXPECT_EQ(page.find("url("), std::string::npos);
  EXPECT_EQ(page.find("@import"), std::string::npos);
  EXPECT_NE(page.find("Content-Security-Policy"), std::string::npos);
  EXPECT_NE(page.find("@media print"), std::string::npos);
}

TEST(Browser, SameRunWritesMarkdownAndCsv) {
  DemoRun demo;
  std::string md = slurp(demo.markdown);
  EXPECT_EQ(md.rfind("# Tally demo — sales review\n", 0), 0u) << md.substr(0, 200);
  EXPECT_NE(md.find("\n| Stage | Deals | Amount |"), std::string::npos);
  EXPECT_NE(md.find("\n- **Win rate**: "), std::string::npos);
  std::string kpis = slurp(demo.csv_dir + "/kpis.csv");
  EXPECT_EQ(
      kpis.rfind("metric,kpi,label,unit,value,previous,change,target,compare_status,note,target_source\r\n",
                 0),
      0u)
      << kpis.substr(0, 200);
  EXPECT_NE(kpis.find("\r\nwin_loss,win_rate,"), std::string::npos);
  std::string run = slurp(demo.csv_dir + "/run.csv");
  EXPECT_NE(run.find("\r\nperiod,1 Oct 2025 – 31 Dec 2025 (inclusive)\r\n"), std::string::npos) << run;
  EXPECT_NE(run.find("\r\ntally_version,"), std::string::npos) << run;
  std::string stages = slurp(demo.csv_dir + "/pipeline__by_stage.csv");
  EXPECT_EQ(stages.rfind("stage,deals,amount,", 0), 0u) << stages.substr(0, 200);
  for (const auto& name : kMetricNames) {
    bool any = false;
    for (const auto& entry : fs::directory_iterator(demo.csv_dir))
      any = any || entry.path().filename().string().rfind(name + "__", 0) == 0;
    EXPECT_TRUE(any) << "no CSV for " << name;
  }
}
