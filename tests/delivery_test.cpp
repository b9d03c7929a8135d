// `tally run --deliver` against servers the test starts on 127.0.0.1: an SMTP
// sink (Debian's python3-aiosmtpd, writing a maildir) and a webhook receiver
// (tests/delivery/http_receiver.py). Checks what arrives (subject, bodies,
// attachments, the Slack body, alerts), the retries and the outbox with the
// receiver down, `tally deliver --retry`, and that no secret reaches stderr
// or the outbox's metadata. Values are worked out by hand on the store below.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "support/command.hpp"
#include "support/fixture.hpp"
#include "support/servers.hpp"

using namespace tally::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kScripts = std::string(TALLY_SOURCE_DIR) + "/tests/delivery/";

// Closed in Q1 2025: 1 won, 2 lost, 3 won -> win rate 2/3 (66.7%), won 2, closed 3.
// Closed in Q4 2024: 5 lost, 6 won -> 1/2. Relative change +33.3%.
void seed(const StoreFixture& f) {
  f.exec(
      "INSERT INTO reps(id,name,region) VALUES (1,'Ann','EMEA'),(2,'Bob','EMEA'),(3,'Cid','NA');"
      "INSERT INTO opportunities(id,owner_id,amount,source,status,created_at,closed_at) VALUES"
      " (1,1,100,'web','won','2024-11-01','2025-01-10'),"
      " (2,1,100,'web','lost','2025-01-02','2025-02-01'),"
      " (3,2,100,'referral','won','2025-01-03','2025-03-01 15:00:00'),"
      " (4,3,100,'web','open','2025-02-01',NULL),"
      " (5,3,100,'web','lost','2024-10-05','2024-12-01'),"
      " (6,2,100,'web','won','2024-10-10','2024-11-10'),"
      " (7,1,100,'web','won','2025-03-10','2025-05-01')");
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A config on the store: win_rate over Q1 2025 against Q4 2024, plus `extra` (deliver:, alerts:).
std::string config_text(const StoreFixture& f, const std::string& extra, const std::string& period = "") {
  return "title: Win review\n"
         "data: " +
         f.db_path() + "\n" +
         (period.empty() ? "period: {from: 2025-01-01, to: 2025-04-01, compare: previous_period}\n"
                         : period) +
         "metrics:\n  - use: win_rate\n" + extra;
}

// The webhook receiver; requests land in dir/requests/N.json.
class Receiver {
 public:
  Receiver(const TempDir& dir, int port = 0, int fail_first = 0)
      : out_(dir.file("requests")), port_file_(dir.file("receiver.port")) {
    fs::create_directories(out_);
    fs::remove(port_file_);
    server_ = std::make_unique<ServerProcess>(
        std::vector<std::string>{system_python(), kScripts + "http_receiver.py", "--port",
                                 std::to_string(port), "--port-file", port_file_, "--out", out_,
                                 "--fail-first", std::to_string(fail_first)},
        dir.file("receiver.log"));
    for (int i = 0; i < 300 && !fs::exists(port_file_); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    port_ = std::stoi(slurp(port_file_));
    if (!server_->wait_for_port(port_)) throw std::runtime_error("the webhook receiver did not start");
  }
  int port() const { return port_; }
  std::string url(const std::string& path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<json> requests() const {
    std::vector<json> all;
    for (int i = 1; fs::exists(out_ + "/" + std::to_string(i) + ".json"); ++i)
      all.push_back(json::parse(slurp(out_ + "/" + std::to_string(i) + ".json")));
    return all;
  }

 private:
  std::string out_, port_file_;
  int port_ = 0;
  std::unique_ptr<ServerProcess> server_;
};

// The SMTP sink: aiosmtpd's Mailbox handler writes every message into a maildir.
class SmtpSink {
 public:
  explicit SmtpSink(const TempDir& dir) : maildir_(dir.file("maildir")), port_(free_port()) {
    server_ =
        std::make_unique<ServerProcess>(std::vector<std::string>{system_python(), "-m", "aiosmtpd", "-n",
                                                                 "-l", "127.0.0.1:" + std::to_string(port_),
                                                                 "-c", "aiosmtpd.handlers.Mailbox", maildir_},
                                        dir.file("smtp.log"));
    if (!server_->wait_for_port(port_))
      throw std::runtime_error("the SMTP sink did not start (is python3-aiosmtpd installed?): " +
                               slurp(dir.file("smtp.log")));
  }
  int port() const { return port_; }
  json messages() const {
    auto r = run_shell(system_python() + " '" + kScripts + "mail_summary.py' '" + maildir_ + "'");
    if (r.exit_code != 0) throw std::runtime_error("mail_summary.py: " + r.err);
    return json::parse(r.out);
  }

 private:
  std::string maildir_;
  int port_;
  std::unique_ptr<ServerProcess> server_;
};

CommandResult tally_in_env(const std::string& env, const std::string& args) {
  return run_shell(env + " '" + std::string(TALLY_EXE) + "' " + args);
}

}  // namespace

TEST(Delivery, EmailHasSubjectHtmlBodyTextAndCsvAttachments) {
  StoreFixture f;
  seed(f);
  TempDir d;
  SmtpSink smtp(d);
  const std::string config = d.write(
      "review.yaml", config_text(f,
                                 "deliver:\n  - email:\n      to: [ann@example.com, bob@example.com]\n"
                                 "      from: tally@example.com\n      smtp: smtp://127.0.0.1:" +
                                     std::to_string(smtp.port()) + "\n"));
  auto r = run_tally("run '" + config + "' --deliver --outbox '" + d.file("outbox") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(
      contains(r.err, "delivered to email 'email 1' (smtp://127.0.0.1:" + std::to_string(smtp.port()) + ")"))
      << r.err;
  json messages = smtp.messages();
  ASSERT_EQ(messages.size(), 1u) << messages.dump();
  const json& m = messages[0];
  EXPECT_EQ(m["subject"], "Win review: 1 Jan 2025 – 31 Mar 2025 (inclusive)");
  EXPECT_EQ(m["from"], "tally@example.com");
  EXPECT_EQ(m["to"], "ann@example.com, bob@example.com");
  const std::string html = m["html"];
  EXPECT_TRUE(contains(html, "<html")) << html.substr(0, 200);
  EXPECT_TRUE(contains(html, "66.7%")) << "the html report's win rate";
  const std::string text = m["text"];
  EXPECT_TRUE(contains(text, "Win rate: 66.7% (+16.7 pp vs 50.0%)")) << text;
  std::map<std::string, std::string> attachments;
  for (const auto& a : m["attachments"]) {
    EXPECT_EQ(a["type"], "text/csv");
    attachments[a["name"]] = a["content"];
  }
  ASSERT_TRUE(attachments.count("kpis.csv")) << m["attachments"].dump();
  // The same file the csv report writes: the win rate unformatted.
  EXPECT_TRUE(contains(attachments["kpis.csv"], "win_rate,win_rate,")) << attachments["kpis.csv"];
  EXPECT_TRUE(contains(attachments["kpis.csv"], "0.6666666666666")) << attachments["kpis.csv"];
  EXPECT_FALSE(fs::exists(d.file("outbox")));
}

TEST(Delivery, WebhookPostsExactlyTheRunJson) {
  StoreFixture f;
  seed(f);
  TempDir d;
  Receiver receiver(d);
  const std::string config = d.write(
      "review.yaml",
      config_text(f, "deliver:\n  - webhook: " + receiver.url() + "\n    headers: {X-Team: sales}\n"));
  auto r = run_tally("run '" + config + "' --deliver --format json --outbox '" + d.file("outbox") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0]["path"], "/hook");
  EXPECT_TRUE(contains(requests[0]["headers"]["Content-Type"], "application/json"));
  EXPECT_EQ(requests[0]["headers"]["X-Team"], "sales");
  json posted = json::parse(requests[0]["body"].get<std::string>());
  json printed = json::parse(r.out);
  EXPECT_EQ(posted["metrics"], printed["metrics"]);
  EXPECT_EQ(posted["period"], printed["period"]);
  EXPECT_FALSE(posted.contains("alerts")) << "no alerts: configured, so the body is the run's JSON as it is";
  EXPECT_DOUBLE_EQ(posted["metrics"][0]["kpis"][0]["value"].get<double>(), 2.0 / 3.0);
}

TEST(Delivery, SlackBodyCarriesTheHeadlineKpis) {
  StoreFixture f;
  seed(f);
  TempDir d;
  Receiver receiver(d);
  const std::string config =
      d.write("review.yaml", config_text(f, "deliver:\n  - webhook: " + receiver.url("/services/T1/B2/abc") +
                                                "\n    format: slack\n    name: sales channel\n"));
  auto r = run_tally("run '" + config + "' --deliver --outbox '" + d.file("outbox") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "delivered to webhook 'sales channel' (http://127.0.0.1:" +
                                  std::to_string(receiver.port()) + "/…)"))
      << r.err;
  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  json body = json::parse(requests[0]["body"].get<std::string>());
  EXPECT_EQ(body["text"], "Win review (1 Jan 2025 – 31 Mar 2025 (inclusive))");
  ASSERT_TRUE(body["blocks"].is_array());
  EXPECT_EQ(body["blocks"][0]["type"], "header");
  EXPECT_EQ(body["blocks"][0]["text"]["text"], "Win review");
  std::vector<std::string> fields;
  for (const auto& block : body["blocks"])
    if (block.contains("fields"))
      for (const auto& field : block["fields"]) fields.push_back(field["text"]);
  EXPECT_NE(std::find(fields.begin(), fields.end(), "Win rate: 66.7% (+16.7 pp vs 50.0%)"), fields.end())
      << body.dump(1);
  EXPECT_NE(std::find(fields.begin(), fields.end(), "Deals won: 2 (+100.0% vs 1)"), fields.end())
      << body.dump(1);
}

TEST(Delivery, AlertThatHoldsSendsValueThresholdAndDrillDown) {
  StoreFixture f;
  seed(f);
  TempDir d;
  Receiver receiver(d);
  SmtpSink smtp(d);
  const std::string config = d.write(
      "review.yaml",
      config_text(f, "deliver:\n  - webhook: " + receiver.url() +
                         "\n  - email: {to: [ann@example.com], from: "
                         "tally@example.com, smtp: 'smtp://127.0.0.1:" +
                         std::to_string(smtp.port()) +
                         "'}\nalerts:\n  - {kpi: win_rate, below: 70%}\n  - {kpi: win_rate, above: 0.9}\n"));
  auto r = run_tally("run '" + config + "' --deliver --outbox '" + d.file("outbox") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string explain = "tally explain " + config + " --metric win_rate --kpi win_rate";
  EXPECT_TRUE(
      contains(r.err, "alert: Win rate is 66.7%, below the threshold 70.0% (records: " + explain + ")"))
      << r.err;
  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  json body = json::parse(requests[0]["body"].get<std::string>());
  ASSERT_EQ(body["alerts"].size(), 1u) << "only the alert that holds";
  EXPECT_EQ(body["alerts"][0]["kpi"], "win_rate");
  EXPECT_EQ(body["alerts"][0]["condition"], "below");
  EXPECT_DOUBLE_EQ(body["alerts"][0]["threshold"].get<double>(), 0.7);
  EXPECT_DOUBLE_EQ(body["alerts"][0]["value"].get<double>(), 2.0 / 3.0);
  EXPECT_EQ(body["alerts"][0]["explain"], explain);
  json messages = smtp.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0]["subject"], "Alert: Win review: 1 Jan 2025 – 31 Mar 2025 (inclusive)");
  EXPECT_TRUE(contains(messages[0]["html"], "Win rate is 66.7%, below the threshold 70.0%"));
  EXPECT_TRUE(contains(messages[0]["html"], "<code>" + explain + "</code>"));
  EXPECT_TRUE(contains(messages[0]["text"], "records behind the number: " + explain));

  // The list itself: the numerator's records (the deals won in Q1: 1 and 3), id, name, amount, date.
  const json& records = body["alerts"][0]["records"];
  EXPECT_EQ(records["dataset"], "opportunities");
  EXPECT_EQ(records["total"], 2);
  EXPECT_EQ(records["more"], 0);
  EXPECT_EQ(records["columns"], json({"id", "name", "amount", "closed_at"}));
  ASSERT_EQ(records["records"].size(), 2u);
  EXPECT_EQ(records["records"][0]["id"], 1);
  EXPECT_EQ(records["records"][1]["id"], 3);
  EXPECT_DOUBLE_EQ(records["records"][1]["amount"].get<double>(), 100.0);
  EXPECT_EQ(records["records"][1]["closed_at"], "2025-03-01 15:00:00");
  const std::string html = messages[0]["html"];
  EXPECT_TRUE(contains(html, "2 record(s) from opportunities:")) << html.substr(0, 3000);
  EXPECT_TRUE(contains(html, "<table class=\"alert-records\"")) << html.substr(0, 3000);
  EXPECT_TRUE(contains(html, ">closed_at</th>")) << html.substr(0, 3000);
  EXPECT_TRUE(contains(html, ">2025-03-01</td>")) << html.substr(0, 3000);
  EXPECT_FALSE(contains(html, "more (tally explain")) << "every record is listed";
  EXPECT_TRUE(contains(messages[0]["text"], "    2 record(s) from opportunities:\n    1  n/a  "))
      << messages[0]["text"];
}

// More records than an alert lists: the first 20, then "and K more" with the command, in the JSON
// webhook, the Slack body and the email.
TEST(Delivery, AnAlertListsTheFirstTwentyRecordsAndHowManyMore) {
  StoreFixture f;
  seed(f);
  std::string deals;
  for (int i = 100; i < 123; ++i)
    deals += std::string(deals.empty() ? "" : ",") + "(" + std::to_string(i) + ",1,'Deal " +
             std::to_string(i) + "'," + std::to_string(i * 10) + ",'won','2025-01-05','2025-02-" +
             std::to_string(i - 95) + "')";
  f.exec("INSERT INTO opportunities(id,owner_id,name,amount,status,created_at,closed_at) VALUES " + deals);
  TempDir d;
  Receiver receiver(d);
  SmtpSink smtp(d);
  const std::string config = d.write(
      "review.yaml",
      config_text(
          f, "deliver:\n  - webhook: " + receiver.url() + "\n  - webhook: " + receiver.url("/slack") +
                 "\n    format: slack\n  - email: {to: [ann@example.com], from: tally@example.com, smtp: "
                 "'smtp://127.0.0.1:" +
                 std::to_string(smtp.port()) + "'}\nalerts:\n  - {kpi: won, above: 10}\n"));
  auto r = run_tally("run '" + config + "' --deliver --outbox '" + d.file("outbox") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string explain = "tally explain " + config + " --metric win_rate --kpi won";
  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 2u);
  // Won in Q1: deals 1 and 3, and the 23 added (ids 100..122): 25.
  const json webhook = json::parse(requests[0]["body"].get<std::string>());
  const json& records = webhook["alerts"][0]["records"];
  EXPECT_EQ(records["total"], 25);
  EXPECT_EQ(records["more"], 5);
  ASSERT_EQ(records["records"].size(), 20u);
  EXPECT_EQ(records["records"][2]["id"], 100);
  EXPECT_EQ(records["records"][2]["name"], "Deal 100");
  EXPECT_EQ(records["records"][19]["id"], 117);

  const json slack = json::parse(requests[1]["body"].get<std::string>());
  std::string texts;
  for (const auto& block : slack["blocks"])
    if (block.contains("text")) texts += block["text"]["text"].get<std::string>() + "\n";
  EXPECT_TRUE(contains(texts, "25 record(s) from opportunities:")) << slack.dump(1);
  EXPECT_TRUE(contains(texts, "117  Deal 117  ")) << slack.dump(1);
  EXPECT_FALSE(contains(texts, "118  Deal 118")) << "only the first 20";
  EXPECT_TRUE(contains(texts, "and 5 more (" + explain + ")")) << slack.dump(1);

  json messages = smtp.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_TRUE(contains(messages[0]["html"], "and 5 more (" + explain + ")"));
  EXPECT_TRUE(contains(messages[0]["html"], ">Deal 117</td>"));
  EXPECT_FALSE(contains(messages[0]["html"], ">Deal 118</td>"));
  EXPECT_TRUE(contains(messages[0]["text"], "and 5 more (" + explain + ")"));
}

TEST(Delivery, NoAlertHoldsNothingIsSent) {
  StoreFixture f;
  seed(f);
  TempDir d;
  Receiver receiver(d);
  // 66.7% is not below 60%; +33.3% is not a change below 0.
  const std::string config = d.write(
      "review.yaml", config_text(f, "deliver:\n  - webhook: " + receiver.url() +
                                        "\nalerts:\n  - {kpi: win_rate, below: 0.6}\n  - {kpi: win_rate, "
                                        "change_below: 0}\n"));
  auto r = run_tally("run '" + config + "' --deliver --outbox '" + d.file("outbox") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "no alert condition holds: nothing delivered")) << r.err;
  EXPECT_TRUE(receiver.requests().empty());
}

TEST(Delivery, ChangeBelowComparesWithThePreviousPeriod) {
  StoreFixture f;
  seed(f);
  TempDir d;
  Receiver receiver(d);
  const std::string config =
      d.write("review.yaml", config_text(f, "deliver:\n  - webhook: " + receiver.url() +
                                                "\nalerts:\n  - {kpi: win_rate, change_below: 50%}\n"));
  auto r = run_tally("run '" + config + "' --deliver --outbox '" + d.file("outbox") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  json alert = json::parse(requests[0]["body"].get<std::string>())["alerts"][0];
  EXPECT_NEAR(alert["value"].get<double>(), 1.0 / 3.0, 1e-12);  // (2/3 - 1/2) / (1/2)
  EXPECT_EQ(
      alert["message"],
      "Win rate changed +33.3% against the comparison period (50.0% -> 66.7%), below the threshold +50.0%");
}

TEST(Delivery, AlertOnAnNaValueIsAWarningAndSendsNothing) {
  StoreFixture f;
  seed(f);
  TempDir d;
  Receiver receiver(d);
  // Nothing closed in June 2025: the win rate is n/a (0 / 0).
  const std::string config = d.write(
      "review.yaml",
      config_text(f,
                  "deliver:\n  - webhook: " + receiver.url() + "\nalerts:\n  - {kpi: win_rate, below: 0.5}\n",
                  "period: {from: 2025-06-01, to: 2025-07-01}\n"));
  auto r = run_tally("run '" + config + "' --deliver --outbox '" + d.file("outbox") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, config + ":9:5: alert on win_rate: Win rate is n/a")) << r.err;
  EXPECT_TRUE(contains(r.err, "cannot be checked")) << r.err;
  EXPECT_TRUE(receiver.requests().empty());
}

TEST(Delivery, AlertOnAKpiNoMetricReportsFailsTheRun) {
  StoreFixture f;
  seed(f);
  TempDir d;
  Receiver receiver(d);
  const std::string config =
      d.write("review.yaml", config_text(f, "deliver:\n  - webhook: " + receiver.url() +
                                                "\nalerts:\n  - {kpi: win_rat, below: 0.5}\n"));
  auto r = run_tally("run '" + config + "' --deliver --outbox '" + d.file("outbox") + "'");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "no metric of this run reports KPI 'win_rat'; KPIs: win_rate.win_rate"))
      << r.err;
}

TEST(Delivery, ReceiverDownRetriesThenKeepsItInTheOutboxAndRetryDeliversIt) {
  StoreFixture f;
  seed(f);
  TempDir d;
  const int port = free_port();  // nothing listens there yet
  const std::string config =
      d.write("review.yaml",
              config_text(f, "deliver:\n  - webhook: http://127.0.0.1:" + std::to_string(port) + "/hook\n"));
  const std::string outbox = d.file("outbox");
  auto r =
      run_tally("run '" + config + "' --deliver --retries 2 --retry-delay 0.1 --outbox '" + outbox + "'");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "attempt 1 of 3 failed")) << r.err;
  EXPECT_TRUE(contains(r.err, "retrying in 0.1 s")) << r.err;
  EXPECT_TRUE(contains(r.err, "attempt 2 of 3 failed")) << r.err;
  EXPECT_TRUE(contains(r.err, "retrying in 0.2 s")) << r.err;
  EXPECT_TRUE(contains(r.err, "failed after 3 attempt(s)")) << r.err;
  EXPECT_TRUE(contains(r.err, "tally deliver --retry")) << r.err;
  std::vector<fs::path> entries;
  for (const auto& e : fs::directory_iterator(outbox)) entries.push_back(e.path());
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(fs::status(entries[0]).permissions() & fs::perms::all, fs::perms::owner_all);
  json meta = json::parse(slurp((entries[0] / "meta.json").string()));
  EXPECT_EQ(meta["attempts"], 3);
  EXPECT_EQ(meta["target_name"], "webhook 1");
  EXPECT_EQ(meta["config"], config);
  const std::string payload = slurp((entries[0] / "payload").string());
  EXPECT_DOUBLE_EQ(json::parse(payload)["metrics"][0]["kpis"][0]["value"].get<double>(), 2.0 / 3.0);

  auto listed = run_tally("deliver --list --outbox '" + outbox + "'");
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_TRUE(contains(listed.out, "webhook 'webhook 1' (http://127.0.0.1:" + std::to_string(port) + "/…)"))
      << listed.out;

  // Still down: --retry fails again and keeps it.
  auto again = run_tally("deliver --retry --retries 0 --outbox '" + outbox + "'");
  EXPECT_EQ(again.exit_code, 1) << again.err;
  EXPECT_TRUE(fs::exists(entries[0]));
  EXPECT_EQ(json::parse(slurp((entries[0] / "meta.json").string()))["attempts"], 4);

  Receiver receiver(d, port);
  auto retried = run_tally("deliver --retry --outbox '" + outbox + "'");
  EXPECT_EQ(retried.exit_code, 0) << retried.err;
  EXPECT_TRUE(contains(retried.err, "from the outbox")) << retried.err;
  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0]["body"], payload);
  EXPECT_FALSE(fs::exists(entries[0]));
  auto empty = run_tally("deliver --retry --outbox '" + outbox + "'");
  EXPECT_EQ(empty.exit_code, 0);
  EXPECT_TRUE(contains(empty.err, "is empty")) << empty.err;
}

TEST(Delivery, ServerErrorsAreRetriedWithBackoffUntilTheyPass) {
  StoreFixture f;
  seed(f);
  TempDir d;
  Receiver receiver(d, 0, /*fail_first=*/2);
  const std::string config =
      d.write("review.yaml", config_text(f, "deliver:\n  - webhook: " + receiver.url() + "\n"));
  auto r = run_tally("run '" + config + "' --deliver --retries 3 --retry-delay 0.05 --outbox '" +
                     d.file("outbox") + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "attempt 1 of 4 failed: the server answered HTTP 503")) << r.err;
  EXPECT_TRUE(contains(r.err, "attempt 2 of 4 failed: the server answered HTTP 503")) << r.err;
  EXPECT_FALSE(contains(r.err, "attempt 3 of 4 failed")) << r.err;
  EXPECT_EQ(receiver.requests().size(), 1u);
  EXPECT_FALSE(fs::exists(d.file("outbox")));
}

TEST(Delivery, SecretsNeverReachStderrNorTheOutboxMetadata) {
  StoreFixture f;
  seed(f);
  TempDir d;
  const int web_port = free_port(), smtp_port = free_port();
  const std::string config =
      d.write("review.yaml",
              config_text(f,
                          "deliver:\n"
                          "  - webhook: http://127.0.0.1:" +
                              std::to_string(web_port) +
                              "/services/${HOOK_TOKEN}?key=${HOOK_KEY}\n"
                              "    headers: {Authorization: 'Bearer ${BEARER}'}\n"
                              "  - email:\n      to: [ann@example.com]\n      from: tally@example.com\n"
                              "      smtp: smtp://mailer:${SMTP_PASSWORD}@127.0.0.1:" +
                              std::to_string(smtp_port) + "\n      password: ${SMTP_PASSWORD2}\n"));
  const std::string env =
      "HOOK_TOKEN=T00000000-sekrit-hook HOOK_KEY=k3y-sekrit-value BEARER=b3arer-sekrit-token "
      "SMTP_PASSWORD=smtp-sekrit-pass SMTP_PASSWORD2=other-sekrit-pass";
  const std::string outbox = d.file("outbox");
  auto r = tally_in_env(
      env, "-vv run '" + config + "' --deliver --retries 1 --retry-delay 0 --outbox '" + outbox + "'");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "webhook 'webhook 1' (http://127.0.0.1:" + std::to_string(web_port) + "/…)"))
      << r.err;
  EXPECT_TRUE(contains(r.err, "email 'email 1' (smtp://127.0.0.1:" + std::to_string(smtp_port) + ")"))
      << r.err;
  auto listed = tally_in_env(env, "deliver --list --outbox '" + outbox + "'");
  auto retried = tally_in_env(env, "-vv deliver --retry --retries 0 --outbox '" + outbox + "'");
  EXPECT_EQ(retried.exit_code, 1);
  std::string metadata;
  for (const auto& e : fs::directory_iterator(outbox)) metadata += slurp((e.path() / "meta.json").string());
  EXPECT_TRUE(contains(metadata, "webhook 1") && contains(metadata, "email 1")) << metadata;
  for (const char* secret : {"sekrit", "mailer:"}) {
    EXPECT_FALSE(contains(r.err, secret)) << r.err;
    EXPECT_FALSE(contains(r.out, secret));
    EXPECT_FALSE(contains(listed.out + listed.err, secret)) << listed.out;
    EXPECT_FALSE(contains(retried.err, secret)) << retried.err;
    EXPECT_FALSE(contains(metadata, secret)) << metadata;
  }
}

TEST(Delivery, NothingIsSentWhenAMetricFailed) {
  StoreFixture f;
  seed(f);
  TempDir d;
  Receiver receiver(d);
  // A filter on a dimension win_rate's dataset cannot express fails the metric.
  const std::string config =
      d.write("review.yaml", "title: Win review\ndata: " + f.db_path() +
                                 "\nperiod: {from: 2025-01-01, to: 2025-04-01}\nmetrics:\n  - use: win_rate\n"
                                 "  - use: churn\nfilters: {source: [web]}\ndeliver:\n  - webhook: " +
                                 receiver.url() + "\n");
  auto r = run_tally("run '" + config + "' --deliver --outbox '" + d.file("outbox") + "'");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "nothing delivered: a metric or report failed")) << r.err;
  EXPECT_TRUE(receiver.requests().empty());
}

TEST(Delivery, DeliverWithoutTargetsIsACommandLineError) {
  StoreFixture f;
  seed(f);
  TempDir d;
  const std::string config = d.write("review.yaml", config_text(f, ""));
  auto r = run_tally("run '" + config + "' --deliver");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, config + ": --deliver, but the config has no `deliver:` targets")) << r.err;
}

TEST(DeliveryConfig, EveryProblemWithFileLineColumnAndNoSecretQuoted) {
  StoreFixture f;
  TempDir d;
  const std::string config = d.write(
      "bad.yaml", "title: x\ndata: " + f.db_path() +
                      "\nperiod: {from: 2025-01-01, to: 2025-04-01}\n"
                      "metrics:\n  - use: win_rate\n"
                      "deliver:\n"
                      "  - webhook: ftp://user:hunter2-sekrit@host/x\n"  // line 7
                      "  - webhook: https://hooks.example.com/x\n"
                      "    format: slak\n"  // line 9
                      "  - email: {to: [not-an-address], smtp: smtp://mail.example.com, form: a@b.c}\n"
                      "  - {webhook: 'https://a.example.com', email: {}}\n"  // line 11
                      "alerts:\n"
                      "  - {kpi: win_rate, metric: win_rat, below: 0.3}\n"  // line 13
                      "  - {kpi: win_rate, change_below: -10%}\n"
                      "  - {kpi: win_rate, below: low, above: 2}\n");  // line 15
  auto r = run_tally("check '" + config + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, config + ":7:14: webhook must start with https:// or http://, not ftp://"))
      << r.err;
  EXPECT_TRUE(contains(
      r.err, config + ":9:13: unknown webhook format 'slak'; did you mean 'slack'? valid: json, slack"))
      << r.err;
  EXPECT_TRUE(contains(r.err, config + ":10:17: to: 'not-an-address' is not a mail address")) << r.err;
  EXPECT_TRUE(contains(r.err, config + ":10:66: unknown key 'form' in email; did you mean 'from'?")) << r.err;
  EXPECT_TRUE(contains(r.err, config + ":10:5: email needs `from:`")) << r.err;
  EXPECT_TRUE(contains(r.err, config + ":11:5: a deliver target is either `webhook:` or `email:`, not both"))
      << r.err;
  EXPECT_TRUE(
      contains(r.err, config + ":13:5: alert names metric 'win_rat', which this config does not run; did you "
                               "mean 'win_rate'?"))
      << r.err;
  EXPECT_TRUE(
      contains(r.err, config + ":14:5: change_below compares with the comparison period, but the config has "
                               "none"))
      << r.err;
  EXPECT_TRUE(contains(
      r.err, config + ":15:28: below must be a number like 0.25 or a percentage like 25%; got 'low'"))
      << r.err;
  EXPECT_TRUE(contains(r.err, config + ":15:33: an alert has one condition; `below` is already given"))
      << r.err;
  EXPECT_FALSE(contains(r.err, "sekrit")) << r.err;
  EXPECT_FALSE(contains(r.err, "alerts decide when")) << "deliver: is there, its items are wrong";
}

TEST(DeliveryConfig, AlertsWithoutDeliverTargets) {
  StoreFixture f;
  TempDir d;
  const std::string config = d.write("c.yaml", "title: x\ndata: " + f.db_path() +
                                                   "\nperiod: {from: 2025-01-01, to: 2025-04-01}\nmetrics: "
                                                   "[win_rate]\nalerts:\n  - {kpi: win_rate, below: 0.3}\n");
  auto r = run_tally("check '" + config + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(
      contains(r.err, config + ":6:5: alerts decide when the deliver: targets are sent, but the config has "
                               "none"))
      << r.err;
}

TEST(DeliveryConfig, UnsetSecretVariableIsAConfigError) {
  StoreFixture f;
  TempDir d;
  const std::string config = d.write(
      "c.yaml",
      "title: x\ndata: " + f.db_path() +
          "\nperiod: {from: 2025-01-01, to: 2025-04-01}\nmetrics: [win_rate]\ndeliver:\n"
          "  - email: {to: [a@example.com], from: t@example.com, smtp: 'smtps://mail.example.com', password: "
          "'${TALLY_TEST_UNSET_PASSWORD}'}\n");
  auto r = run_tally("check '" + config + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, config + ":6:")) << r.err;
  EXPECT_TRUE(contains(r.err, "TALLY_TEST_UNSET_PASSWORD")) << r.err;
}
