// The `deliver:` and `alerts:` sections of a report config (docs/delivery.md).
// Values may carry secrets from ${VAR}s, so no message here quotes a URL,
// header value, login or password: they name the key and what is wrong.
#include <algorithm>
#include <cmath>

#include "config/detail.hpp"
#include "util/url.hpp"

namespace tally::detail {

namespace {

using Entry = YamlReader::Entry;

const std::vector<std::string> kWebhookKeys = {"webhook", "format", "headers", "name", "timeout"};
const std::vector<std::string> kEmailItemKeys = {"email", "name", "timeout"};
const std::vector<std::string> kEmailKeys = {"to", "smtp", "from", "username", "password", "subject", "tls"};
const std::vector<std::string> kWebhookFormats = {"json", "slack"};
const std::vector<std::string> kTlsModes = {"when_offered", "required"};
const std::vector<std::string> kAlertKeys = {"kpi", "metric", "below", "above", "change_below"};

bool has_line_break(const std::string& text) {
  return text.find_first_of("\r\n") != std::string::npos;
}

// A mail address as SMTP takes it: local@domain, no spaces, brackets or line breaks.
bool plausible_address(const std::string& text) {
  const size_t at = text.find('@');
  return at != std::string::npos && at > 0 && at + 1 < text.size() &&
         text.find('@', at + 1) == std::string::npos &&
         std::none_of(text.begin(), text.end(), [](unsigned char c) {
           return c <= ' ' || c == '<' || c == '>' || c == ',' || c == 0x7f;
         });
}

class DeliveryReader {
 public:
  explicit DeliveryReader(YamlReader& yaml) : yaml_(yaml) {}

  void read_targets(const Entry& e, std::vector<config::DeliveryTarget>& out) {
    if (e.value.IsNull()) return;
    if (!e.value.IsSequence()) {
      yaml_.error(
          e.value_where,
          "deliver must be a list, like [{webhook: https://example.com/hook}, {email: {to: [a@b.com], "
          "smtp: smtp://mail.example.com, from: tally@b.com}}]");
      return;
    }
    int webhooks = 0, emails = 0;
    for (const auto& item : e.value) {
      const SourceLocation where = yaml_.at(item);
      if (!item.IsMap()) {
        yaml_.error(where, "each deliver target must be a map starting with `webhook:` or `email:`");
        continue;
      }
      const bool is_webhook = item["webhook"].IsDefined();
      const bool is_email = item["email"].IsDefined();
      if (is_webhook == is_email) {
        yaml_.error(where, is_webhook
                               ? "a deliver target is either `webhook:` or `email:`, not both"
                               : "a deliver target needs `webhook: URL` or `email: {to: ..., smtp: URL, "
                                 "from: ...}`");
        continue;
      }
      config::DeliveryTarget target;
      target.where = where;
      const size_t errors = yaml_.error_count();
      const auto entries = yaml_.entries(item, is_webhook ? &kWebhookKeys : &kEmailItemKeys,
                                         is_webhook ? "a webhook target" : "an email target");
      if (is_webhook) {
        target.kind = config::DeliveryTarget::Kind::Webhook;
        target.name = "webhook " + std::to_string(++webhooks);
        read_webhook(entries, target);
      } else {
        target.kind = config::DeliveryTarget::Kind::Email;
        target.name = "email " + std::to_string(++emails);
        if (auto* email = find_entry(entries, "email")) read_email(*email, target);
      }
      if (auto* name = find_entry(entries, "name")) {
        auto text = yaml_.text(*name, "name");
        if (text && (text->empty() || has_line_break(*text)))
          yaml_.error(name->value_where, "a target's name must be one non-empty line");
        else if (text)
          target.name = *text;
      }
      if (auto* timeout = find_entry(entries, "timeout")) read_timeout(*timeout, target);
      if (yaml_.error_count() == errors) out.push_back(std::move(target));
    }
    for (size_t i = 0; i < out.size(); ++i)
      for (size_t j = 0; j < i; ++j)
        if (out[i].name == out[j].name)
          yaml_.error(out[i].where, "deliver target name '" + out[i].name + "' is already used at line " +
                                        std::to_string(out[j].where.line) +
                                        "; give each target its own `name:`");
  }

  void read_alerts(const Entry& e, std::vector<config::Alert>& out) {
    if (e.value.IsNull()) return;
    if (!e.value.IsSequence()) {
      yaml_.error(e.value_where, "alerts must be a list, like [{kpi: win_rate, below: 0.25}]");
      return;
    }
    for (const auto& item : e.value) {
      const SourceLocation where = yaml_.at(item);
      if (!item.IsMap()) {
        yaml_.error(where, "each alert must be a map like {kpi: win_rate, below: 0.25}");
        continue;
      }
      config::Alert alert;
      alert.where = where;
      const size_t errors = yaml_.error_count();
      const auto entries = yaml_.entries(item, &kAlertKeys, "an alert");
      if (auto* kpi = find_entry(entries, "kpi")) alert.kpi = yaml_.text(*kpi, "kpi").value_or("");
      if (alert.kpi.empty() && yaml_.error_count() == errors)
        yaml_.error(where,
                    "an alert needs `kpi:` naming the KPI to watch, like {kpi: win_rate, below: 0.25}");
      if (auto* metric = find_entry(entries, "metric"))
        alert.metric = yaml_.text(*metric, "metric").value_or("");
      const Entry* condition = nullptr;
      for (const char* key : {"below", "above", "change_below"}) {
        const Entry* found = find_entry(entries, key);
        if (!found) continue;
        if (condition) {
          yaml_.error(found->key_where,
                      "an alert has one condition; `" + condition->key + "` is already given");
          continue;
        }
        condition = found;
      }
      if (!condition) {
        yaml_.error(where,
                    "an alert needs one condition: below: N, above: N or change_below: N (a relative "
                    "change against the comparison period, like -10%)");
      } else {
        alert.condition = condition->key == "below"   ? config::Alert::Condition::Below
                          : condition->key == "above" ? config::Alert::Condition::Above
                                                      : config::Alert::Condition::ChangeBelow;
        if (auto text = yaml_.text(*condition, condition->key)) {
          alert.threshold_text = *text;
          if (auto number = parse_threshold(*text))
            alert.threshold = *number;
          else
            yaml_.error(condition->value_where, condition->key +
                                                    " must be a number like 0.25 or a percentage "
                                                    "like 25%; got '" +
                                                    *text + "'");
        }
      }
      if (yaml_.error_count() == errors) out.push_back(std::move(alert));
    }
  }

 private:
  static std::optional<double> parse_threshold(const std::string& text) {
    if (!text.empty() && text.back() == '%') {
      auto number = parse_number(text.substr(0, text.size() - 1));
      if (number && std::isfinite(*number)) return *number / 100.0;
      return std::nullopt;
    }
    auto number = parse_number(text);
    if (number && std::isfinite(*number)) return number;
    return std::nullopt;
  }

  void read_timeout(const Entry& e, config::DeliveryTarget& target) {
    auto text = yaml_.text(e, "timeout");
    if (!text) return;
    auto seconds = parse_int(*text);
    if (seconds && *seconds >= 1 && *seconds <= 600)
      target.timeout_seconds = static_cast<int>(*seconds);
    else
      yaml_.error(e.value_where, "timeout must be whole seconds from 1 to 600; got '" + *text + "'");
  }

  // Checks a URL's form; the message names `what` and the rule, never the URL.
  std::optional<UrlParts> read_url(const Entry& e, const std::string& what,
                                   const std::vector<std::string>& schemes) {
    auto text = yaml_.text(e, what);
    if (!text) return std::nullopt;
    if (text->empty()) {
      yaml_.error(e.value_where, what + " is empty (is its ${VAR} set to an empty value?)");
      return std::nullopt;
    }
    auto url = split_url(*text);
    if (!url) {
      yaml_.error(e.value_where,
                  what + " is not a URL of the form " + schemes.front() +
                      "://host[:port][/path] (no spaces; the value is not shown, it may hold a "
                      "secret)");
      return std::nullopt;
    }
    if (std::find(schemes.begin(), schemes.end(), url->scheme) == schemes.end()) {
      yaml_.error(e.value_where,
                  what + " must start with " + join(schemes, ":// or ") + "://, not " + url->scheme + "://");
      return std::nullopt;
    }
    return url;
  }

  void read_webhook(const std::vector<Entry>& entries, config::DeliveryTarget& target) {
    const Entry* webhook = find_entry(entries, "webhook");
    if (read_url(*webhook, "webhook", {"https", "http"})) target.url = *yaml_.text(*webhook, "webhook");
    if (auto* format = find_entry(entries, "format")) {
      auto text = yaml_.text(*format, "format");
      if (text && std::find(kWebhookFormats.begin(), kWebhookFormats.end(), *text) == kWebhookFormats.end())
        yaml_.error(format->value_where, "unknown webhook format '" + *text + "'; " +
                                             did_you_mean(*text, kWebhookFormats) +
                                             "valid: " + join(kWebhookFormats));
      else if (text)
        target.slack = *text == "slack";
    }
    if (auto* headers = find_entry(entries, "headers")) {
      if (!headers->value.IsMap()) {
        yaml_.error(headers->value_where, "headers must be a map, like {Authorization: \"Bearer ${TOKEN}\"}");
        return;
      }
      for (const auto& header : yaml_.entries(headers->value, nullptr, "headers")) {
        const bool token =
            !header.key.empty() && std::all_of(header.key.begin(), header.key.end(), [](char c) {
              return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
            });
        if (!token) {
          yaml_.error(header.key_where,
                      "header name '" + header.key + "' may hold only letters, digits, - and _");
          continue;
        }
        auto value = yaml_.text(header, "header " + header.key);
        if (!value) continue;
        if (has_line_break(*value)) {
          yaml_.error(header.value_where, "header " + header.key + " must be one line");
          continue;
        }
        target.headers.emplace_back(header.key, *value);
      }
    }
  }

  void read_email(const Entry& e, config::DeliveryTarget& target) {
    if (!e.value.IsMap()) {
      yaml_.error(e.value_where,
                  "email must be a map, like {to: [a@example.com], smtp: smtp://mail.example.com:587, from: "
                  "tally@example.com}");
      return;
    }
    const auto entries = yaml_.entries(e.value, &kEmailKeys, "email");
    auto address = [&](const Entry& field, const std::string& text) {
      if (plausible_address(text)) return true;
      yaml_.error(field.value_where,
                  field.key + ": '" + text + "' is not a mail address like name@example.com");
      return false;
    };
    if (auto* to = find_entry(entries, "to")) {
      if (auto list = yaml_.text_list(*to, "to")) {
        for (const auto& a : *list)
          if (address(*to, a)) target.to.push_back(a);
        if (list->empty()) yaml_.error(to->value_where, "to needs at least one address");
      }
    } else {
      yaml_.error(e.key_where, "email needs `to:` with at least one address");
    }
    if (auto* from = find_entry(entries, "from")) {
      if (auto text = yaml_.text(*from, "from"); text && address(*from, *text)) target.from = *text;
    } else {
      yaml_.error(e.key_where, "email needs `from:`, the sender's address");
    }
    if (auto* smtp = find_entry(entries, "smtp")) {
      if (auto url = read_url(*smtp, "smtp", {"smtp", "smtps"})) {
        target.smtp = *yaml_.text(*smtp, "smtp");
        if (!url->rest.empty() && url->rest != "/")
          yaml_.error(smtp->value_where,
                      "smtp is a server, like smtp://mail.example.com:587, without a path");
      }
    } else {
      yaml_.error(e.key_where, "email needs `smtp:`, the server's URL, like smtp://mail.example.com:587");
    }
    for (const char* key : {"username", "password"}) {
      const Entry* field = find_entry(entries, key);
      if (!field) continue;
      auto text = yaml_.text(*field, key);
      if (!text) continue;
      if (has_line_break(*text)) {
        yaml_.error(field->value_where, std::string(key) + " must be one line");
        continue;
      }
      (std::string(key) == "username" ? target.username : target.password) = *text;
    }
    if (auto* subject = find_entry(entries, "subject")) {
      auto text = yaml_.text(*subject, "subject");
      if (text && has_line_break(*text))
        yaml_.error(subject->value_where, "subject must be one line");
      else if (text)
        target.subject = *text;
    }
    if (auto* tls = find_entry(entries, "tls")) {
      auto text = yaml_.text(*tls, "tls");
      if (text && std::find(kTlsModes.begin(), kTlsModes.end(), *text) == kTlsModes.end())
        yaml_.error(tls->value_where, "unknown tls mode '" + *text + "'; " + did_you_mean(*text, kTlsModes) +
                                          "valid: " + join(kTlsModes));
      else if (text)
        target.require_tls = *text == "required";
    }
  }

  YamlReader& yaml_;
};

}  // namespace

void read_delivery_targets(YamlReader& yaml, const YamlReader::Entry& entry,
                           std::vector<config::DeliveryTarget>& out) {
  DeliveryReader(yaml).read_targets(entry, out);
}

void read_alerts(YamlReader& yaml, const YamlReader::Entry& entry, const config::Config& config,
                 std::vector<config::Alert>& out) {
  DeliveryReader(yaml).read_alerts(entry, out);
  std::vector<std::string> metric_names;
  for (const auto& m : config.metrics) metric_names.push_back(m.name);
  for (const auto& alert : out) {
    if (!alert.metric.empty() &&
        std::find(metric_names.begin(), metric_names.end(), alert.metric) == metric_names.end())
      yaml.error(alert.where, "alert names metric '" + alert.metric + "', which this config does not run; " +
                                  did_you_mean(alert.metric, metric_names) +
                                  "metrics: " + join(metric_names));
    if (alert.condition == config::Alert::Condition::ChangeBelow &&
        config.compare == config::CompareMode::None)
      yaml.error(alert.where,
                 "change_below compares with the comparison period, but the config has none: add `compare: "
                 "previous_period` (or previous_year) to period:");
  }
}

}  // namespace tally::detail
