// What is sent: the webhook's JSON, a Slack-compatible body, and a MIME email
// (HTML body from the html report, a plain-text part, CSV attachments).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "deliver/alerts.hpp"
#include "run/result.hpp"

namespace tally::deliver {

// The reports of one run, rendered once for every target.
struct RenderedRun {
  std::string json;  // exactly `tally run --format json`
  std::string html;  // the html report's page; empty when no email target needs it
  std::vector<std::pair<std::string, std::string>> csv_files;  // file name, contents
};

// The run's JSON; with alerts in the config, an "alerts" list is added
// (only the ones that hold): {"kpi", "metric", "label", "condition", "threshold", "value", "message",
// "explain"}.
std::string webhook_body(const std::string& run_json, const std::vector<AlertOutcome>& alerts,
                         bool has_alerts);

// A Slack incoming-webhook body: {"text": fallback, "blocks": [...]} with the
// title, the period, the alerts that hold and every metric's headline KPIs.
std::string slack_body(const run::RunResult& result, const std::vector<AlertOutcome>& alerts);

// The same facts as plain text lines (the email's text part).
std::string plain_summary(const run::RunResult& result, const std::vector<AlertOutcome>& alerts);

// The subject: the target's `subject:`, else "TITLE: PERIOD"; "Alert: " first when an alert holds.
std::string email_subject(const config::DeliveryTarget& target, const run::RunResult& result,
                          const std::vector<AlertOutcome>& alerts);

// A complete RFC 5322 message with MIME parts. `date` is an RFC 5322 date
// and `message_id` the id without brackets.
std::string email_message(const config::DeliveryTarget& target, const run::RunResult& result,
                          const RenderedRun& rendered, const std::vector<AlertOutcome>& alerts,
                          const std::string& date, const std::string& message_id);

std::string base64(const std::string& bytes);

}  // namespace tally::deliver
