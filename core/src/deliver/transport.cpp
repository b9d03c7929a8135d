#include "deliver/transport.hpp"

#include <curl/curl.h>

#include <cstring>
#include <memory>
#include <mutex>

#include "util/url.hpp"

namespace tally::deliver {

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct ListDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Curl = std::unique_ptr<CURL, CurlDeleter>;
using List = std::unique_ptr<curl_slist, ListDeleter>;

List append(List list, const std::string& item) {
  curl_slist* raw = curl_slist_append(list.get(), item.c_str());
  if (!raw) throw std::bad_alloc();
  (void)list.release();
  return List(raw);
}

size_t discard(char*, size_t size, size_t count, void*) {
  return size * count;
}

struct Upload {
  const std::string* data;
  size_t offset = 0;
};

size_t read_upload(char* buffer, size_t size, size_t count, void* user) {
  auto* up = static_cast<Upload*>(user);
  const size_t n = std::min(size * count, up->data->size() - up->offset);
  std::memcpy(buffer, up->data->data() + up->offset, n);
  up->offset += n;
  return n;
}

Curl new_handle(const config::DeliveryTarget& target, char* error_buffer) {
  global_init();
  Curl curl(curl_easy_init());
  if (!curl) throw std::runtime_error("cannot start libcurl");
  error_buffer[0] = '\0';
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT,
                   static_cast<long>(std::min(target.timeout_seconds, 30)));
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, static_cast<long>(target.timeout_seconds));
  return curl;
}

SendResult failure(CURLcode code, const char* error_buffer) {
  SendResult r;
  r.error = error_buffer[0] ? std::string(error_buffer) : std::string(curl_easy_strerror(code));
  r.permanent = code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL ||
                code == CURLE_LOGIN_DENIED || code == CURLE_USE_SSL_FAILED;
  return r;
}

}  // namespace

SendResult post_webhook(const config::DeliveryTarget& target, const std::string& body) {
  char error_buffer[CURL_ERROR_SIZE];
  Curl curl = new_handle(target, error_buffer);
  curl_easy_setopt(curl.get(), CURLOPT_URL, target.url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl.get(), CURLOPT_POST, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(curl.get(), CURLOPT_USERAGENT, "tally/" TALLY_VERSION);
  List headers = append(nullptr, "Content-Type: application/json; charset=utf-8");
  for (const auto& [name, value] : target.headers) headers = append(std::move(headers), name + ": " + value);
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  const CURLcode code = curl_easy_perform(curl.get());
  if (code != CURLE_OK) return failure(code, error_buffer);
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  SendResult r;
  if (status >= 200 && status < 300) {
    r.ok = true;
    return r;
  }
  r.error = "the server answered HTTP " + std::to_string(status);
  r.permanent = status >= 400 && status < 500 && status != 408 && status != 429;
  return r;
}

SendResult send_email(const config::DeliveryTarget& target, const std::string& message) {
  char error_buffer[CURL_ERROR_SIZE];
  Curl curl = new_handle(target, error_buffer);
  // The login goes as options, not in the URL, so curl's messages cannot quote it.
  auto url = split_url(target.smtp);
  if (!url) {
    SendResult r;
    r.permanent = true;
    r.error = "the smtp URL is not valid";
    return r;
  }
  std::string username = target.username, password = target.password;
  if (!url->userinfo.empty()) {
    const size_t colon = url->userinfo.find(':');
    if (username.empty()) username = percent_decode(url->userinfo.substr(0, colon));
    if (password.empty() && colon != std::string::npos)
      password = percent_decode(url->userinfo.substr(colon + 1));
  }
  const std::string server = url->scheme + "://" +
                             (url->host.find(':') != std::string::npos ? "[" + url->host + "]" : url->host) +
                             (url->port.empty() ? "" : ":" + url->port);
  curl_easy_setopt(curl.get(), CURLOPT_URL, server.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  if (!username.empty()) curl_easy_setopt(curl.get(), CURLOPT_USERNAME, username.c_str());
  if (!password.empty()) curl_easy_setopt(curl.get(), CURLOPT_PASSWORD, password.c_str());
  // smtp://: STARTTLS when the server offers it; required with `tls: required`
  // and whenever a password would otherwise cross the network in clear text
  // to anything but this machine.
  const bool local = url->host == "127.0.0.1" || url->host == "localhost" || url->host == "::1";
  const bool need_tls = target.require_tls || (!password.empty() && !local);
  if (url->scheme == "smtp")
    curl_easy_setopt(curl.get(), CURLOPT_USE_SSL, need_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY);
  const std::string from = "<" + target.from + ">";
  curl_easy_setopt(curl.get(), CURLOPT_MAIL_FROM, from.c_str());
  List recipients;
  for (const auto& to : target.to) recipients = append(std::move(recipients), "<" + to + ">");
  curl_easy_setopt(curl.get(), CURLOPT_MAIL_RCPT, recipients.get());
  Upload upload{&message};
  curl_easy_setopt(curl.get(), CURLOPT_READFUNCTION, read_upload);
  curl_easy_setopt(curl.get(), CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl.get(), CURLOPT_UPLOAD, 1L);
  const CURLcode code = curl_easy_perform(curl.get());
  if (code != CURLE_OK) return failure(code, error_buffer);
  SendResult r;
  r.ok = true;
  return r;
}

}  // namespace tally::deliver
