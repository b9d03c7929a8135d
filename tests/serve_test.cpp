// `tally serve` for real: a child process on 127.0.0.1 and a free port,
// driven over HTTP. /api/report returns exactly what `tally run --format
// json` prints for the same inputs; bad requests get 4xx JSON with the
// message `tally check` gives; /api/explain lists a KPI's records; the page
// is served while a slow metric runs; the store is never written.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/command.hpp"
#include "support/fixture.hpp"
#include "support/served.hpp"

using namespace tally::testing;
using nlohmann::json;

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

void seed(const StoreFixture& f) {
  f.exec(
      "INSERT INTO teams(id,name,region) VALUES (1,'Alpha','EMEA'),(2,'Beta','NA');"
      "INSERT INTO reps(id,name,region,team_id) VALUES "
      "(1,'Ann','EMEA',1),(2,'Bob','EMEA',1),(3,'Cid','NA',2);"
      "INSERT INTO "
      "opportunities(id,name,owner_id,amount,source,stage,status,created_at,closed_at,loss_reason)"
      " VALUES (1,'Deal 1',1,100,'web','Closed Won','won','2024-11-01','2025-01-10',NULL),"
      " (2,'Deal 2',1,200,'web','Closed Lost','lost','2025-01-02','2025-02-01','Price'),"
      " (3,'Deal 3',2,300,'referral','Closed Won','won','2025-01-03','2025-03-01',NULL),"
      " (4,'Deal 4',3,400,'web','Proposal','open','2025-02-01',NULL,NULL),"
      " (5,'Deal 5',3,500,'web','Closed Won','won','2025-01-20','2025-02-20',NULL),"
      " (6,'Deal 6',3,600,'partner','Closed Lost','lost','2024-12-01','2025-03-10','Timing');");
}

const char* kMetrics =
    "metrics:\n"
    "  - use: win_loss\n"
    "  - use: pipeline\n"
    "  - use: new_opportunities\n"
    "    params: {group_by: source}\n";

// The run's JSON without the moment it was made.
json without_clock(json doc) {
  if (doc.contains("provenance")) doc["provenance"].erase("generated_at");
  return doc;
}

class Serve : public ::testing::Test {
 protected:
  void SetUp() override {
    seed(f);
    q1 = f.dir().write("q1.yaml", "title: Q1 review\ndata: " + f.db_path() + "\nas_of: 2025-04-15\n" +
                                      "period: {from: 2025-01-01, to: 2025-04-01}\n" + kMetrics);
  }

  json get_json(httplib::Client& c, const std::string& path, int expected_status = 200) {
    auto res = c.Get(path.c_str());
    if (!res) {
      ADD_FAILURE() << "no answer to " << path;
      return {};
    }
    EXPECT_EQ(res->status, expected_status) << path << ": " << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json") << path;
    return json::parse(res->body);
  }

  StoreFixture f;
  std::string q1;
};

}  // namespace

TEST_F(Serve, ApiReportIsExactlyWhatTallyRunPrintsForTheSameInputs) {
  const std::string before = slurp(f.db_path());
  Served server("'" + q1 + "'");
  ASSERT_TRUE(server.ok()) << server.errors();
  EXPECT_NE(server.output().find("at http://127.0.0.1:"), std::string::npos) << server.output();
  httplib::Client c("127.0.0.1", server.port());

  // Without parameters: the first config as written.
  auto run = run_tally("run '" + q1 + "' --format json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(without_clock(get_json(c, "/api/report")), without_clock(json::parse(run.out)));

  // Another period, a comparison and a filter: the same as a config saying so.
  const std::string same =
      f.dir().write("q1-na.yaml", "title: Q1 review\ndata: " + f.db_path() + "\nas_of: 2025-04-15\n" +
                                      "period: {from: 2025-02-01, to: 2025-04-01, compare: previous_period}\n"
                                      "filters: {region: [NA]}\n" +
                                      kMetrics);
  auto run_na = run_tally("run '" + same + "' --format json");
  ASSERT_EQ(run_na.exit_code, 0) << run_na.err;
  const std::string query =
      "/api/report?config=q1&period=2025-02-01..2025-04-01&compare=previous_period&filters=" +
      encoded(R"({"region":["NA"]})");
  json api = get_json(c, query);
  EXPECT_EQ(without_clock(api), without_clock(json::parse(run_na.out)));
  EXPECT_EQ(api["period"]["from"], "2025-02-01");

  // A relative period resolves against the config's as_of, as in a config.
  const std::string last =
      f.dir().write("q1-last.yaml", "title: Q1 review\ndata: " + f.db_path() +
                                        "\nas_of: 2025-04-15\nperiod: {last: month}\n" + kMetrics);
  auto run_last = run_tally("run '" + last + "' --format json");
  EXPECT_EQ(without_clock(get_json(c, "/api/report?period=last:month")),
            without_clock(json::parse(run_last.out)));

  // Nothing a request does writes to the store.
  EXPECT_EQ(slurp(f.db_path()), before);
}

TEST_F(Serve, BadRequestsGetA4xxJsonErrorWithTheMessageTallyCheckGives) {
  Served server("'" + q1 + "'");
  ASSERT_TRUE(server.ok()) << server.errors();
  httplib::Client c("127.0.0.1", server.port());

  auto unknown = get_json(c, "/api/report?config=q2", 404);
  EXPECT_EQ(unknown["error"], "unknown config 'q2'; did you mean 'q1'?; served: q1");

  // The messages `tally check` prints for a config saying the same.
  auto backwards = get_json(c, "/api/report?period=2025-04-01..2025-01-01", 400);
  const std::string bad_period =
      f.dir().write("bad-period.yaml",
                    "data: " + f.db_path() + "\nperiod: {from: 2025-04-01, to: 2025-01-01}\n" + kMetrics);
  auto check = run_tally("check '" + bad_period + "'");
  EXPECT_EQ(check.exit_code, 2);
  ASSERT_TRUE(backwards["error"].is_string());
  EXPECT_NE(check.err.find(backwards["error"].get<std::string>()), std::string::npos)
      << backwards["error"] << " vs " << check.err;
  EXPECT_NE(backwards["error"].get<std::string>().find("must be after from"), std::string::npos);

  auto dimension = get_json(c, "/api/report?filters=" + encoded(R"({"regoin":["NA"]})"), 400);
  const std::string bad_filter =
      f.dir().write("bad-filter.yaml",
                    "data: " + f.db_path() + "\nperiod: {last: month}\nfilters: {regoin: [NA]}\n" + kMetrics);
  auto check_filter = run_tally("check '" + bad_filter + "'");
  EXPECT_NE(check_filter.err.find(dimension["error"].get<std::string>()), std::string::npos)
      << dimension["error"] << " vs " << check_filter.err;

  auto value = get_json(c, "/api/report?filters=" + encoded(R"({"region":["Mars"]})"), 400);
  EXPECT_EQ(value["error"], "unknown value 'Mars' for filter region; values in the data: EMEA, NA");
  auto not_json = get_json(c, "/api/report?filters=region%3DNA", 400);
  EXPECT_NE(not_json["error"].get<std::string>().find("filters must be a JSON object"), std::string::npos);
  auto period_word = get_json(c, "/api/report?period=yesterday", 400);
  EXPECT_NE(period_word["error"].get<std::string>().find("period must be last:UNIT"), std::string::npos);
  auto unit = get_json(c, "/api/report?period=last:fortnight", 400);
  EXPECT_NE(unit["error"].get<std::string>().find("unknown period 'fortnight'"), std::string::npos);
  get_json(c, "/api/nothing", 404);

  // Still serving.
  get_json(c, "/api/report");
}

TEST_F(Serve, ExplainListsAsManyRecordsAsTheCountKpiAndThePageIsTheHtmlReport) {
  Served server("'" + q1 + "'");
  ASSERT_TRUE(server.ok()) << server.errors();
  httplib::Client c("127.0.0.1", server.port());
  const std::string filters = encoded(R"({"region":["EMEA"]})");
  json report = get_json(c, "/api/report?filters=" + filters);
  double won = -1;
  for (const auto& m : report["metrics"])
    for (const auto& k : m["kpis"])
      if (m["name"] == "win_loss" && k["name"] == "won_deals") won = k["value"].get<double>();
  EXPECT_EQ(won, 2);  // deals 1 and 3
  json e = get_json(c, "/api/explain?metric=win_loss&kpi=won_deals&filters=" + filters);
  EXPECT_EQ(e["record_count"], 2);
  EXPECT_EQ(e["records"][0]["id"], 1);
  EXPECT_EQ(e["records"][1]["id"], 3);
  EXPECT_EQ(e["formula"], "count of deals won with closed_at in the period");
  get_json(c, "/api/explain?metric=win_los&kpi=won_deals", 404);
  // Every shipped KPI lists records; a misspelt one is a 404 that names the KPI meant.
  auto no_kpi = get_json(c, "/api/explain?metric=pipeline&kpi=deals_neded", 404);
  EXPECT_NE(no_kpi["error"].get<std::string>().find("did you mean 'deals_needed'?"), std::string::npos)
      << no_kpi.dump();

  auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<script src=\"/dashboard.js\""), std::string::npos);
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("default-src 'none'"), std::string::npos);
  auto script = c.Get("/dashboard.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->status, 200);
  auto html = c.Get("/report?filters=" + filters);
  ASSERT_TRUE(html);
  EXPECT_EQ(html->status, 200);
  EXPECT_NE(html->body.find("<meta name=\"generator\" content=\"Tally html report\">"), std::string::npos);
  EXPECT_NE(html->body.find("data-metric=\"win_loss\" data-kpi=\"won_deals\" data-value=\"2\""),
            std::string::npos);
  auto drills = json::parse(html->get_header_value("X-Tally-Drilldowns"));
  EXPECT_NE(std::find(drills["win_loss"].begin(), drills["win_loss"].end(), "won_deals"),
            drills["win_loss"].end());

  json configs = get_json(c, "/api/configs");
  EXPECT_EQ(configs["configs"][0]["config"], "q1");
  EXPECT_EQ(configs["configs"][0]["dimensions"]["region"], json({"EMEA", "NA"}));
  EXPECT_EQ(configs["configs"][0]["dimensions"]["source"], json({"partner", "referral", "web"}));
}

TEST_F(Serve, ASlowMetricDoesNotBlockThePageNorOtherConfigs) {
  const std::string slow = f.dir().write(
      "slow.yaml", "data: " + f.db_path() + "\nplugin_paths: ['" + std::string(TALLY_TEST_BAD_PLUGIN_DIR) +
                       "']\nperiod: {from: 2025-01-01, to: 2025-04-01}\nmetrics:\n"
                       "  - use: slow_metric\n    params: {mode: '4000'}\n");
  Served server("'" + slow + "' '" + q1 + "' --max-runs 2");
  ASSERT_TRUE(server.ok()) << server.errors();
  std::atomic<bool> slow_done{false};
  int slow_status = 0;
  std::thread slow_request([&] {
    httplib::Client c("127.0.0.1", server.port());
    c.set_read_timeout(60, 0);
    auto res = c.Get("/api/report?config=slow");
    slow_status = res ? res->status : -1;
    slow_done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let the slow run start
  httplib::Client c("127.0.0.1", server.port());
  auto page = c.Get("/");
  auto configs = c.Get("/api/configs");
  auto other = c.Get("/api/report?config=q1");
  const bool slow_still_running = !slow_done;
  slow_request.join();
  ASSERT_TRUE(page && configs && other);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(configs->status, 200);
  EXPECT_EQ(other->status, 200);
  EXPECT_TRUE(slow_still_running) << "the slow report finished before the others were answered";
  EXPECT_EQ(slow_status, 200);
}

TEST_F(Serve, RefusesAnInvalidConfigBeforeListening) {
  const std::string bad = f.dir().write("bad.yaml", "data: " + f.db_path() +
                                                        "\nperiod: {last: month}\n"
                                                        "metrics:\n  - use: win_los\n");
  auto r = run_tally("serve '" + bad + "' --port 0");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("did you mean 'win_loss'"), std::string::npos) << r.err;
}
