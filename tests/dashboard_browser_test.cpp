// The dashboard in a real browser: `tally serve` on the demo database, then
// Debian's chromium, headless, opens it (the approach of browser_test.cpp)
// with #tally-test, which makes the page change the period, then a filter,
// then click a KPI card, then a table row, as a user would. The test then reads the DOM:
//  - every KPI card's value equals the JSON API's for the same inputs,
//  - the drill-down list opened by the card has as many rows as the KPI,
//  - the one opened by the row as many as the row's count cell,
//  - the page logged nothing to the console.
// A screenshot is kept in the build dir (docs/images/dashboard.png is a copy).
// Without chromium this test FAILS: run scripts/install-deps.sh test.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "support/command.hpp"
#include "support/fixture.hpp"
#include "support/served.hpp"

using namespace tally::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A query parameter's value, percent-encoded.
std::string encoded(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

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

std::string browser_command(const std::string& browser, const std::string& profile) {
  return "timeout 240 '" + browser +
         "' --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking"
         " --disable-component-update --disable-sync --hide-scrollbars --user-data-dir='" +
         profile + "' --virtual-time-budget=30000";
}

struct Dashboard {
  TempDir dir;
  std::string config;
  Dashboard() {
    config = dir.write("dash.yaml",
                       "title: Sales dashboard\n"
                       "data: " +
                           demo_database() +
                           "\nas_of: 2026-01-01\n"
                           "period: {last: quarter, compare: previous_period}\n"
                           "metrics:\n"
                           "  - use: win_loss\n"
                           "  - use: pipeline\n"
                           "    params: {group_by: region}\n"
                           "  - use: new_opportunities\n");
  }
};

}  // namespace

TEST(DashboardBrowser, PeriodAndFilterChangesMatchTheApiAndAClickListsTheKpisRecords) {
  const std::string browser = chromium();
  ASSERT_FALSE(browser.empty()) << "chromium is not installed; run scripts/install-deps.sh test";
  Dashboard d;
  Served server("'" + d.config + "'");
  ASSERT_TRUE(server.ok()) << server.errors();
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(120, 0);

  // A region the data has, as the filter bar offers it.
  auto configs = c.Get("/api/configs");
  ASSERT_TRUE(configs && configs->status == 200);
  const auto regions = json::parse(configs->body)["configs"][0]["dimensions"]["region"];
  ASSERT_FALSE(regions.empty());
  const std::string region = regions[0];

  const std::string steps = "#tally-test;period=last:year;filter=region:" + region +
                            ";click=win_loss.won_deals;clickrow=pipeline.by_region";
  TempDir profile;
  auto r =
      run_shell(browser_command(browser, profile.path()) + " --enable-logging=stderr --v=0 --dump-dom '" +
                server.url("/?config=dash") + steps + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream err(r.err);
  for (std::string line; std::getline(err, line);) {
    EXPECT_EQ(line.find(":CONSOLE"), std::string::npos) << line;
    EXPECT_EQ(line.find("Refused to"), std::string::npos) << line;
  }
  const std::string dom = r.out;
  ASSERT_NE(dom.find("id=\"dashboard-test\" hidden=\"\" data-status=\"done\""), std::string::npos)
      << "the page's test steps did not finish:\n"
      << dom.substr(0, 3000) << "\n"
      << server.errors();
  EXPECT_EQ(dom.find("problem: "), std::string::npos) << dom.substr(dom.find("dashboard-test"), 500);
  EXPECT_NE(dom.find("open=true"), std::string::npos);
  EXPECT_NE(dom.find("data-loads=\"3\""), std::string::npos) << "expected 3 loads: start, period, filter";

  // The JSON API for the inputs the page ended on.
  const std::string filters = json{{"region", {region}}}.dump();
  auto api = c.Get(("/api/report?config=dash&period=last:year&filters=" + encoded(filters)).c_str());
  ASSERT_TRUE(api && api->status == 200);
  const json report = json::parse(api->body);  // named: a loop over a temporary's member dangles
  for (const auto& m : report["metrics"]) EXPECT_EQ(m["status"], "ok") << m.dump();
  std::map<std::string, std::optional<double>> expected;
  for (const auto& m : report["metrics"])
    for (const auto& k : m["kpis"])
      expected[m["name"].get<std::string>() + "." + k["name"].get<std::string>()] =
          k["value"].is_null() ? std::nullopt : std::optional<double>(k["value"].get<double>());
  ASSERT_FALSE(expected.empty());

  // Every card on the page shows the API's value.
  const std::regex card(
      R"re(class="kpi[^"]*" data-metric="([^"]+)" data-kpi="([^"]+)" data-value="([^"]*)")re");
  size_t cards = 0;
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), card); it != std::sregex_iterator(); ++it) {
    const std::string key = (*it)[1].str() + "." + (*it)[2].str();
    ASSERT_TRUE(expected.count(key)) << "a card the API does not have: " << key;
    const std::string shown = (*it)[3];
    if (!expected[key]) {
      EXPECT_EQ(shown, "") << key;
    } else {
      ASSERT_FALSE(shown.empty()) << key << " is n/a on the page";
      EXPECT_NEAR(std::stod(shown), *expected[key], 1e-9 * std::max(1.0, std::fabs(*expected[key]))) << key;
    }
    ++cards;
  }
  EXPECT_GE(cards, expected.size()) << "every KPI has its card (and the headlines a second one)";

  // The click opened the drill-down of won deals: one row per deal.
  const auto won = expected["win_loss.won_deals"];
  ASSERT_TRUE(won.has_value());
  EXPECT_GT(*won, 0) << "pick a region and period with won deals";
  std::smatch clicked;
  ASSERT_TRUE(
      std::regex_search(dom, clicked, std::regex(R"(clicked win_loss\.won_deals open=true records=(\d+))")))
      << dom.substr(dom.find("dashboard-test"), 500);
  EXPECT_EQ(std::stod(clicked[1]), *won);

  // Then a click on a table row (the pipeline's first region): its list has as many records as the
  // row's deals cell (region | deals | amount | share).
  std::smatch row;
  ASSERT_TRUE(std::regex_search(
      dom, row,
      std::regex(
          R"(clicked row pipeline\.by_region \[([^\]]*)\] open=true records=(\d+) cells=([^|]*)\|(\d+)\|)")))
      << dom.substr(dom.find("dashboard-test"), 500);
  EXPECT_EQ(row[1].str(), row[3].str()) << "the row's key is its first cell";
  EXPECT_EQ(row[2].str(), row[4].str()) << "the row's records are as many as its deals";
  EXPECT_GT(std::stoi(row[2]), 0);
  const size_t table = dom.find("id=\"drill-records\"");
  ASSERT_NE(table, std::string::npos);
  const std::string records = dom.substr(table, dom.find("</table>", table) - table);
  size_t rows = 0;
  for (size_t at = records.find("<tr class=\"record\""); at != std::string::npos;
       at = records.find("<tr class=\"record\"", at + 1))
    ++rows;
  EXPECT_EQ(std::to_string(rows), row[2].str());
  EXPECT_NE(dom.find("data-count=\"" + row[2].str() + "\""), std::string::npos);

  // The screenshot: the dashboard with the drill-down open.
  const fs::path shot = fs::path(TALLY_BINARY_DIR) / "browser-test" / "dashboard.png";
  fs::create_directories(shot.parent_path());
  fs::remove(shot);
  TempDir profile2;
  auto s = run_shell(browser_command(browser, profile2.path()) + " --window-size=1400,1000 --screenshot='" +
                     shot.string() + "' '" + server.url("/?config=dash") + steps + "'");
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_TRUE(fs::exists(shot)) << s.err;
  EXPECT_GT(fs::file_size(shot), 1400u * 1000u / 80u) << "the screenshot looks empty";
}
