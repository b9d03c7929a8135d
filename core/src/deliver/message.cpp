#include "deliver/message.hpp"

#include <nlohmann/json.hpp>
#include <tally/format.hpp>

namespace tally::deliver {

using nlohmann::json;

namespace {

bool any_holds(const std::vector<AlertOutcome>& alerts) {
  for (const auto& a : alerts)
    if (a.holds) return true;
  return false;
}

std::string period_text(const run::RunResult& result) {
  return format::period(sdk::Period{result.period_from, result.period_to});
}

// One KPI as people read it: "Win rate: 31.3% (+3.0 pp vs 28.3%)".
std::string kpi_line(const run::Kpi& k, const std::string& currency) {
  const auto unit = static_cast<sdk::Unit>(k.unit);
  std::string line = (k.label.empty() ? k.name : k.label) + ": " + format::optional(k.value, unit, currency);
  if (k.value && k.previous) {
    sdk::Kpi s;
    s.unit = unit;
    s.value = k.value;
    s.previous = k.previous;
    line +=
        " (" + format::change(s, currency) + " vs " + format::with_unit(*k.previous, unit, currency) + ")";
  }
  if (!k.note.empty()) line += " [" + k.note + "]";
  return line;
}

std::string slack_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else
      out += c;
  }
  return out;
}

std::string html_escape(const std::string& text) {
  std::string out = slack_escape(text);
  std::string quoted;
  for (char c : out) quoted += c == '"' ? std::string("&quot;") : std::string(1, c);
  return quoted;
}

std::string cut(const std::string& text, size_t max) {
  if (text.size() <= max) return text;
  size_t end = max - 3;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;  // whole UTF-8 characters
  return text.substr(0, end) + "...";
}

// RFC 2047 for a header holding non-ASCII text: encoded words of at most 45
// bytes (75 characters encoded), cut between UTF-8 characters, on folded lines.
std::string header_text(const std::string& text) {
  const bool ascii =
      std::all_of(text.begin(), text.end(), [](unsigned char c) { return c >= 0x20 && c < 0x7f; });
  if (ascii) return text;
  std::string out;
  for (size_t start = 0; start < text.size();) {
    size_t end = std::min(text.size(), start + 45);
    while (end < text.size() && end > start + 1 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
      --end;
    out += (out.empty() ? "" : "\r\n ") + std::string("=?UTF-8?B?") +
           base64(text.substr(start, end - start)) + "?=";
    start = end;
  }
  return out;
}

std::string wrapped_base64(const std::string& bytes) {
  const std::string encoded = base64(bytes);
  std::string out;
  for (size_t i = 0; i < encoded.size(); i += 76) out += encoded.substr(i, 76) + "\r\n";
  return out;
}

// The records behind an alert's number: how many, a small table of the
// first ones, "and K more".
std::string records_html(const AlertOutcome& a) {
  if (!a.records)
    return a.records_problem.empty() ? "" : "<br><small>" + html_escape(a.records_problem) + "</small>";
  std::string s = "<p style=\"margin:6px 0 2px\">" + std::to_string(a.record_total) + " record(s) from " +
                  html_escape(a.records->dataset) + (a.record_total ? ":" : ".") + "</p>";
  const auto cells = alert_record_cells(a);
  if (cells.size() > 1) {
    s += "<table class=\"alert-records\" style=\"border-collapse:collapse;font-size:13px\">";
    for (size_t r = 0; r < cells.size(); ++r) {
      s += "<tr>";
      for (const auto& cell : cells[r])
        s += (r == 0 ? "<th style=\"text-align:left;padding:2px 8px\">" : "<td style=\"padding:2px 8px\">") +
             html_escape(cell) + (r == 0 ? "</th>" : "</td>");
      s += "</tr>";
    }
    s += "</table>";
  }
  if (const std::string more = alert_records_more(a); !more.empty())
    s += "<p><small>" + html_escape(more) + "</small></p>";
  return s;
}

// The same as lines of text, each starting with `indent`.
std::string records_text(const AlertOutcome& a, const std::string& indent) {
  if (!a.records) return a.records_problem.empty() ? "" : indent + a.records_problem + "\n";
  std::string s = indent + std::to_string(a.record_total) + " record(s) from " + a.records->dataset +
                  (a.record_total ? ":" : ".") + "\n";
  const auto cells = alert_record_cells(a);
  for (size_t r = 1; r < cells.size(); ++r) {
    std::string line;
    for (const auto& cell : cells[r]) line += (line.empty() ? "" : "  ") + cell;
    s += indent + line + "\n";
  }
  if (const std::string more = alert_records_more(a); !more.empty()) s += indent + more + "\n";
  return s;
}

// The html report's page with the alerts that hold in a box at the top of the body.
std::string html_with_alerts(const std::string& html, const std::vector<AlertOutcome>& alerts) {
  if (!any_holds(alerts)) return html;
  std::string box =
      "<div role=\"alert\" style=\"border:2px solid #b3261e;padding:8px "
      "12px;margin:8px;font-family:sans-serif\">"
      "<strong>Alert</strong><ul>";
  for (const auto& a : alerts)
    if (a.holds)
      box += "<li>" + html_escape(a.message) + "<br><small>Records behind the number: <code>" +
             html_escape(a.explain) + "</code></small>" + records_html(a) + "</li>";
  box += "</ul></div>";
  size_t body = html.find("<body");
  size_t insert_at = body == std::string::npos ? std::string::npos : html.find('>', body);
  if (insert_at == std::string::npos) return box + html;
  return html.substr(0, insert_at + 1) + box + html.substr(insert_at + 1);
}

}  // namespace

std::string base64(const std::string& bytes) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += table[(n >> 18) & 63];
    out += table[(n >> 12) & 63];
    out += table[(n >> 6) & 63];
    out += table[n & 63];
  }
  if (i < bytes.size()) {
    uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += table[(n >> 18) & 63];
    out += table[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? table[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

namespace {

// {"dataset", "total", "columns", "records": [{column: value}] (the first
// kAlertRecords), "more"}, or null with "records_problem" beside it.
json records_json(const AlertOutcome& a) {
  if (!a.records) return nullptr;
  const auto columns = alert_columns(*a.records);
  json records = json::array();
  for (const auto& row : a.records->rows) {
    json record = json::object();
    for (size_t c : columns) {
      const Value& v = c < row.size() ? row[c] : Value{};
      const std::string& name = a.records->columns[c];
      if (auto* i = std::get_if<int64_t>(&v))
        record[name] = *i;
      else if (auto* d = std::get_if<double>(&v))
        record[name] = *d;
      else if (auto* text = std::get_if<std::string>(&v))
        record[name] = *text;
      else
        record[name] = nullptr;
    }
    records.push_back(std::move(record));
  }
  json names = json::array();
  for (size_t c : columns) names.push_back(a.records->columns[c]);
  return {{"dataset", a.records->dataset},
          {"total", a.record_total},
          {"columns", std::move(names)},
          {"records", std::move(records)},
          {"more", a.record_total - a.records->rows.size()}};
}

}  // namespace

std::string webhook_body(const std::string& run_json, const std::vector<AlertOutcome>& alerts,
                         bool has_alerts) {
  if (!has_alerts) return run_json;
  json body = json::parse(run_json);
  json list = json::array();
  for (const auto& a : alerts) {
    if (!a.holds) continue;
    list.push_back({{"kpi", a.kpi},
                    {"metric", a.metric},
                    {"label", a.label},
                    {"condition", a.condition},
                    {"threshold", a.threshold},
                    {"value", a.value ? json(*a.value) : json(nullptr)},
                    {"message", a.message},
                    {"explain", a.explain},
                    {"records", records_json(a)}});
  }
  body["alerts"] = std::move(list);
  return body.dump(2) + "\n";
}

std::string plain_summary(const run::RunResult& result, const std::vector<AlertOutcome>& alerts) {
  std::string text = result.title + "\n" + period_text(result) + "\n";
  if (any_holds(alerts)) {
    text += "\nALERT\n";
    for (const auto& a : alerts)
      if (a.holds)
        text +=
            "- " + a.message + "\n  records behind the number: " + a.explain + "\n" + records_text(a, "    ");
  }
  for (const auto& w : result.warnings) text += "\nWarning: " + w + "\n";
  for (const auto& m : result.metrics) {
    text += "\n" + (m.title.empty() ? m.name : m.title) + "\n";
    if (!m.ok) text += "  failed: " + m.error + "\n";
    for (const auto& k : m.kpis) text += "  " + kpi_line(k, result.currency) + "\n";
    for (const auto& n : m.notes) text += "  Note: " + n + "\n";
  }
  return text;
}

std::string slack_body(const run::RunResult& result, const std::vector<AlertOutcome>& alerts) {
  // Slack's limits: 50 blocks a message, 10 fields a section, 150 characters a header, 2,000 a field.
  constexpr size_t kMaxBlocks = 50, kMaxFields = 10;
  json blocks = json::array();
  blocks.push_back(
      {{"type", "header"}, {"text", {{"type", "plain_text"}, {"text", cut(result.title, 150)}}}});
  blocks.push_back(
      {{"type", "context"},
       {"elements", json::array({{{"type", "mrkdwn"}, {"text", slack_escape(period_text(result))}}})}});
  std::string fallback = result.title + " (" + period_text(result) + ")";
  if (any_holds(alerts)) {
    std::string text = ":rotating_light: *Alert*";
    for (const auto& a : alerts)
      if (a.holds)
        text += "\n• " + slack_escape(a.message) + "\n   records: `" + slack_escape(a.explain) + "`";
    blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", cut(text, 3000)}}}});
    // Each alert's records in a block of their own, as preformatted lines.
    for (const auto& a : alerts) {
      const std::string records = a.holds ? records_text(a, "") : "";
      if (records.empty()) continue;
      blocks.push_back(
          {{"type", "section"},
           {"text",
            {{"type", "mrkdwn"},
             {"text", cut("*" + slack_escape(a.label) + "*\n```" + slack_escape(records) + "```", 3000)}}}});
    }
    fallback = "Alert: " + fallback;
  }
  for (const auto& w : result.warnings)
    blocks.push_back({{"type", "context"},
                      {"elements", json::array({{{"type", "mrkdwn"},
                                                 {"text", cut(":warning: " + slack_escape(w), 2000)}}})}});
  size_t left_out = 0;
  for (const auto& m : result.metrics) {
    if (blocks.size() + 1 >= kMaxBlocks) {
      left_out += std::max<size_t>(m.kpis.size(), 1);
      continue;
    }
    json section = {
        {"type", "section"},
        {"text",
         {{"type", "mrkdwn"}, {"text", "*" + slack_escape(m.title.empty() ? m.name : m.title) + "*"}}}};
    if (!m.ok)
      section["text"]["text"] =
          section["text"]["text"].get<std::string>() + "\nfailed: " + slack_escape(m.error);
    json fields = json::array();
    for (const auto& k : m.kpis) {
      if (fields.size() == kMaxFields) {
        ++left_out;
        continue;
      }
      fields.push_back({{"type", "mrkdwn"}, {"text", cut(slack_escape(kpi_line(k, result.currency)), 2000)}});
    }
    if (!fields.empty()) section["fields"] = std::move(fields);
    blocks.push_back(std::move(section));
  }
  if (left_out > 0)
    blocks.push_back(
        {{"type", "context"},
         {"elements",
          json::array({{{"type", "mrkdwn"},
                        {"text", std::to_string(left_out) + " more KPI(s) in the full report"}}})}});
  json body = {{"text", fallback}, {"blocks", std::move(blocks)}};
  return body.dump() + "\n";
}

std::string email_subject(const config::DeliveryTarget& target, const run::RunResult& result,
                          const std::vector<AlertOutcome>& alerts) {
  std::string subject =
      !target.subject.empty()
          ? target.subject
          : result.title + ": " + format::period(sdk::Period{result.period_from, result.period_to});
  for (char& c : subject)
    if (c == '\r' || c == '\n') c = ' ';
  return any_holds(alerts) ? "Alert: " + subject : subject;
}

std::string email_message(const config::DeliveryTarget& target, const run::RunResult& result,
                          const RenderedRun& rendered, const std::vector<AlertOutcome>& alerts,
                          const std::string& date, const std::string& message_id) {
  const std::string mixed = "tally-mixed-" + message_id.substr(0, message_id.find('@'));
  const std::string alternative = "tally-alt-" + message_id.substr(0, message_id.find('@'));
  std::string to;
  for (const auto& a : target.to) to += (to.empty() ? "" : ", ") + a;
  std::string m;
  m += "From: " + target.from + "\r\n";
  m += "To: " + to + "\r\n";
  m += "Subject: " + header_text(email_subject(target, result, alerts)) + "\r\n";
  m += "Date: " + date + "\r\n";
  m += "Message-ID: <" + message_id + ">\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "X-Mailer: tally " TALLY_VERSION "\r\n";
  m += "Content-Type: multipart/mixed; boundary=\"" + mixed + "\"\r\n\r\n";
  m += "--" + mixed + "\r\nContent-Type: multipart/alternative; boundary=\"" + alternative + "\"\r\n\r\n";
  m += "--" + alternative +
       "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  m += wrapped_base64(plain_summary(result, alerts));
  m += "--" + alternative +
       "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  m += wrapped_base64(html_with_alerts(rendered.html, alerts));
  m += "--" + alternative + "--\r\n";
  for (const auto& [name, contents] : rendered.csv_files) {
    m += "--" + mixed + "\r\nContent-Type: text/csv; charset=utf-8; name=\"" + name +
         "\"\r\nContent-Disposition: attachment; filename=\"" + name +
         "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n";
    m += wrapped_base64(contents);
  }
  m += "--" + mixed + "--\r\n";
  return m;
}

}  // namespace tally::deliver
