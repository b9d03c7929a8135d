// ClickHouse over HTTP (libcurl): URLs, literals, requests and answers.
// (Over 400 lines: the whole wire to one server, from the URL to the rows.)
#include "store/clickhouse/http.hpp"

#include <curl/curl.h>

#include <tally/format.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <mutex>

#include "store/engine_error.hpp"

namespace tally::store::clickhouse {

namespace {

bool identifier(const std::string& s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s)
    if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
      return false;
  return true;
}

// %XX escapes of a URL part; a malformed one is kept as written.
std::string percent_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned value = 0;
    if (s[i] == '%' && i + 2 < s.size()) {
      const auto [end, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, value, 16);
      if (ec == std::errc() && end == s.data() + i + 3) {
        out += static_cast<char>(value);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::vector<std::string> split(const std::string& s, char separator) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t end = std::min(s.find(separator, start), s.size());
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// "Code: 60, e.displayText() = DB::Exception: Table x doesn't exist., e.what() = DB::Exception"
// becomes "Table x doesn't exist. (code 60)"; a message with a log of
// nested errors (a shard that cannot be reached) is one line, with the
// first of them.
std::string server_message(const std::string& body) {
  std::string text = body;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  const size_t display = text.find("e.displayText() = ");
  if (display == std::string::npos) {
    for (char& c : text)
      if (c == '\n') c = ' ';
    return text.empty() ? "no message" : text;
  }
  std::string code;
  if (text.rfind("Code: ", 0) == 0) code = text.substr(6, text.find(',') - 6);
  std::string rest = text.substr(display + 18);
  const size_t cut = std::min(rest.find(", e.what() = "), rest.find('\n'));
  std::string message = rest.substr(0, cut);
  rest = cut == std::string::npos ? "" : rest.substr(cut);
  for (const char* prefix : {"DB::Exception: ", "DB::NetException: "})
    if (message.rfind(prefix, 0) == 0) message = message.substr(std::string(prefix).size());
  while (!message.empty() && message.back() == ' ') message.pop_back();
  if (message.size() >= 4 && message.compare(message.size() - 4, 4, "Log:") == 0) {
    message.resize(message.size() - 4);
    while (!message.empty() && (message.back() == ' ' || message.back() == '.')) message.pop_back();
    if (const size_t nested = rest.find("Code: "); nested != std::string::npos) {
      std::string inner = server_message(rest.substr(nested));
      if (const size_t paren = inner.rfind(" (code "); paren != std::string::npos) inner.resize(paren);
      message += ": " + inner;
    }
  }
  return message + (code.empty() ? "" : " (code " + code + ")");
}

size_t append_body(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

}  // namespace

Url parse_url(const std::string& source) {
  Url url;
  url.source = source;
  const std::string shown = format::redact_source(source);
  const std::string form =
      "; write it as clickhouse://HOST:PORT/DATABASE?cluster=NAME (PORT: the HTTP port, 8123 by default)";
  if (source.rfind("clickhouse://", 0) != 0)
    throw StoreError("data source '" + shown + "' is not clickhouse://" + form);
  std::string rest = source.substr(13);
  std::string options;
  if (const size_t q = rest.find('?'); q != std::string::npos) options = rest.substr(q + 1), rest.resize(q);
  const size_t slash = rest.find('/');
  if (slash == std::string::npos) throw StoreError("data source '" + shown + "' names no database" + form);
  url.database = rest.substr(slash + 1);
  std::string authority = rest.substr(0, slash);
  if (const size_t at = authority.rfind('@'); at != std::string::npos) {
    const std::string user = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const size_t colon = user.find(':');
    url.user = percent_decode(user.substr(0, colon));
    if (colon != std::string::npos) url.password = percent_decode(user.substr(colon + 1));
  }
  const size_t colon = authority.rfind(':');
  url.host = authority.substr(0, colon);
  if (colon != std::string::npos) {
    const std::string port = authority.substr(colon + 1);
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), url.port);
    if (ec != std::errc() || end != port.data() + port.size() || url.port < 1 || url.port > 65535)
      throw StoreError("data source '" + shown + "': '" + port + "' is not a port" + form);
  }
  if (url.host.empty()) throw StoreError("data source '" + shown + "' names no host" + form);
  if (!identifier(url.database))
    throw StoreError("data source '" + shown + "': database '" + url.database +
                     "' must be a name of letters, digits and _" + form);
  for (const auto& option : split(options, '&')) {
    if (option.empty()) continue;
    const size_t eq = option.find('=');
    const std::string key = option.substr(0, eq),
                      value = eq == std::string::npos ? "" : percent_decode(option.substr(eq + 1));
    if (key == "cluster") {
      url.cluster = value;
    } else if (key == "shards") {
      url.shards = split(value, ',');
    } else if (key == "user") {
      url.user = value;
    } else if (key == "password") {
      url.password = value;
    } else {
      throw StoreError("data source '" + shown + "': unknown option '" + key +
                       "' (cluster, shards, user, password)");
    }
  }
  if (!identifier(url.cluster))
    throw StoreError("data source '" + shown +
                     "': say which cluster of the server's remote_servers holds the data, " +
                     "e.g. ?cluster=tally" + form);
  return url;
}

std::string literal(const Value& value) {
  if (is_null(value)) return "NULL";
  if (const auto* i = std::get_if<int64_t>(&value)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&value)) {
    if (std::isnan(*d)) return "nan";
    if (std::isinf(*d)) return *d > 0 ? "inf" : "-inf";
    char buf[32];
    const auto end = std::to_chars(buf, buf + sizeof buf, *d).ptr;
    std::string number(buf, end);
    if (number.find_first_of(".e") == std::string::npos) number += ".0";  // a Float64, not an integer
    return number;
  }
  const auto& text = std::get<std::string>(value);
  std::string out = "'";
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\'' || c == '\\' || c < 0x20 || c >= 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "'";
}

std::string inline_params(const std::string& sql, const std::vector<Value>& params) {
  std::string out;
  size_t next = 0;
  char quote = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote) {
      out += c;
      if (c == '\\' && i + 1 < sql.size())
        out += sql[++i];
      else if (c == quote)
        quote = 0;
    } else if (c == '\'' || c == '`' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '?') {
      if (next >= params.size())
        throw StoreError("the query has more placeholders than its " + std::to_string(params.size()) +
                         " values");
      out += literal(params[next++]);
    } else {
      out += c;
    }
  }
  if (next != params.size())
    throw StoreError("the query has " + std::to_string(next) + " placeholders for " +
                     std::to_string(params.size()) + " values");
  return out;
}

// ---- answers ----

namespace {

// One TSV line's fields, unescaped; `null` marks \N.
bool read_line(const std::string& body, size_t& pos, std::vector<std::string>& fields,
               std::vector<bool>& null) {
  fields.clear();
  null.clear();
  if (pos >= body.size()) return false;
  std::string field;
  bool is_null = false;
  for (; pos < body.size(); ++pos) {
    const char c = body[pos];
    if (c == '\t' || c == '\n') {
      fields.push_back(std::move(field));
      null.push_back(is_null);
      field.clear();
      is_null = false;
      if (c == '\n') {
        ++pos;
        return true;
      }
    } else if (c == '\\' && pos + 1 < body.size()) {
      const char e = body[++pos];
      switch (e) {
        case 'N': is_null = true; break;
        case 't': field += '\t'; break;
        case 'n': field += '\n'; break;
        case 'r': field += '\r'; break;
        case 'b': field += '\b'; break;
        case 'f': field += '\f'; break;
        case '0': field += '\0'; break;
        default: field += e;
      }
    } else {
      field += c;
    }
  }
  fields.push_back(std::move(field));
  null.push_back(is_null);
  return true;
}

char kind_of(std::string type) {
  if (type.rfind("Nullable(", 0) == 0) type = type.substr(9, type.size() - 10);
  if (type.rfind("Int", 0) == 0 || type.rfind("UInt", 0) == 0) return 'i';
  if (type.rfind("Float", 0) == 0) return 'f';
  if (type == "Nothing") return 'n';
  return 's';
}

}  // namespace

TsvCursor::TsvCursor(std::string body) : body_(std::move(body)) {
  std::vector<std::string> types;
  std::vector<bool> null;
  if (!read_line(body_, pos_, names_, null) || !read_line(body_, pos_, types, null) ||
      types.size() != names_.size())
    throw StoreError("ClickHouse answered without column names and types: " + shorten_sql(body_, 200));
  for (const auto& t : types) kinds_.push_back(kind_of(t));
}

bool TsvCursor::next() {
  std::vector<std::string> fields;
  std::vector<bool> null;
  if (!read_line(body_, pos_, fields, null)) return false;
  if (fields.size() != names_.size())
    throw StoreError("ClickHouse answered a row of " + std::to_string(fields.size()) + " fields for " +
                     std::to_string(names_.size()) + " columns");
  row_.assign(fields.size(), Value{});
  for (size_t i = 0; i < fields.size(); ++i) {
    if (null[i] || kinds_[i] == 'n') continue;
    const std::string& f = fields[i];
    if (kinds_[i] == 'i') {
      int64_t v = 0;
      const auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
      if (ec != std::errc() || end != f.data() + f.size())
        throw StoreError("ClickHouse answered '" + f + "' for the integer column '" + names_[i] + "'");
      row_[i] = v;
    } else if (kinds_[i] == 'f') {
      if (f == "nan" || f == "-nan")
        row_[i] = std::nan("");
      else if (f == "inf" || f == "+inf")
        row_[i] = HUGE_VAL;
      else if (f == "-inf")
        row_[i] = -HUGE_VAL;
      else {
        double v = 0;
        const auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
        if (ec != std::errc() || end != f.data() + f.size())
          throw StoreError("ClickHouse answered '" + f + "' for the number column '" + names_[i] + "'");
        row_[i] = v;
      }
    } else {
      row_[i] = f;
    }
  }
  return true;
}

Value TsvCursor::get(size_t i) const {
  if (i >= row_.size()) throw StoreError("column " + std::to_string(i) + " out of range");
  return row_[i];
}

// ---- requests ----

struct Client::Impl {
  CURL* curl = nullptr;
  ~Impl() {
    if (curl) curl_easy_cleanup(curl);
  }
};

Client::Client(const Url& url, std::string address, int timeout_ms)
    : impl_(std::make_unique<Impl>()), url_(url), address_(std::move(address)), timeout_ms_(timeout_ms) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  impl_->curl = curl_easy_init();
  if (!impl_->curl) throw StoreError("cannot start an HTTP client (libcurl)");
}

Client::~Client() = default;

std::string Client::where() const {
  return "ClickHouse database '" + url_.database + "' on " + address_;
}

std::string Client::post(const std::string& sql, const std::string& data, const std::string& doing) {
  CURL* c = impl_->curl;
  curl_easy_reset(c);
  // No enable_optimize_predicate_expression: 18.16 moves a condition on a LEFT JOIN's right
  // table into that table's subquery, so `closed_at IS NULL` passed every row whose deal it
  // removed (wrong counts); the dialect moves only conditions that keep the same rows
  // (dialect_clickhouse.cpp). max_ast_elements: a drill-down's list of record ids is inlined
  // (18.16 has no server-side parameters), and at scale 100 a KPI's 45,000 ids passed the
  // default 50,000 AST elements. No `database=`: every table Tally names is qualified (the
  // dialect and the store do it), and a missing database then gets Tally's own message instead
  // of failing every request.
  std::string target = "http://" + address_ +
                       "/?join_use_nulls=1&distributed_product_mode=global&max_query_size=67108864" +
                       "&max_ast_elements=10000000&max_expanded_ast_elements=10000000";
  if (timeout_ms_ > 0) target += "&max_execution_time=" + std::to_string((timeout_ms_ + 999) / 1000);
  std::string body = sql;
  if (!data.empty()) {
    char* escaped = curl_easy_escape(c, sql.c_str(), static_cast<int>(sql.size()));
    target += "&query=" + std::string(escaped);
    curl_free(escaped);
    body = data;
  }
  std::string answer;
  curl_easy_setopt(c, CURLOPT_URL, target.c_str());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &append_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  // The server stops the query at max_execution_time; the client waits a little longer for its answer.
  if (timeout_ms_ > 0) curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms_) + 15000L);
  curl_easy_setopt(c, CURLOPT_USERNAME, url_.user.c_str());
  curl_easy_setopt(c, CURLOPT_PASSWORD, url_.password.c_str());
  const std::string prefix = doing.empty() ? "" : doing + ": ";
  const CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST)
    throw StoreError(prefix + "cannot reach a ClickHouse server on " + address_ + " (" +
                     curl_easy_strerror(rc) + "); is it running and listening there?");
  if (rc == CURLE_OPERATION_TIMEDOUT)
    throw StoreError(prefix + "the ClickHouse server on " + address_ + " did not answer within " +
                     std::to_string(timeout_ms_ / 1000 + 15) + " s");
  if (rc != CURLE_OK)
    throw StoreError(prefix + "the request to the ClickHouse server on " + address_ +
                     " failed: " + curl_easy_strerror(rc));
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200)
    throw StoreError(prefix + "ClickHouse on " + address_ + " says: " + server_message(answer));
  // An error after the first rows is appended to the body (status 200 already sent).
  if (answer.find("\nCode: ") != std::string::npos && answer.find("e.displayText() = ") != std::string::npos)
    throw StoreError(prefix + "ClickHouse on " + address_ +
                     " says: " + server_message(answer.substr(answer.rfind("\nCode: ") + 1)));
  return answer;
}

std::unique_ptr<TsvCursor> Client::query(const std::string& sql, const std::string& doing) {
  return std::make_unique<TsvCursor>(post(sql + " FORMAT TabSeparatedWithNamesAndTypes", "", doing));
}

std::string Client::scalar(const std::string& sql, const std::string& doing) {
  auto cursor = query(sql, doing);
  if (!cursor->next()) return "";
  const Value v = cursor->get(0);
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  return is_null(v) ? "" : std::to_string(std::get<double>(v));
}

}  // namespace tally::store::clickhouse
