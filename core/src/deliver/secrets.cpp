#include "deliver/secrets.hpp"

#include <algorithm>

#include "util/url.hpp"

namespace tally::deliver {

std::string describe(const config::DeliveryTarget& target) {
  const bool webhook = target.kind == config::DeliveryTarget::Kind::Webhook;
  auto url = split_url(webhook ? target.url : target.smtp);
  return std::string(webhook ? "webhook" : "email") + " '" + target.name + "' (" +
         (url ? url_for_display(*url) : std::string("invalid URL")) + ")";
}

Scrubber::Scrubber(const std::vector<config::DeliveryTarget>& targets) {
  for (const auto& t : targets) add(t);
}

void Scrubber::add_secret(const std::string& secret) {
  // Short strings would mask ordinary words; they are no protection anyway.
  if (secret.size() < 4) return;
  if (std::find(secrets_.begin(), secrets_.end(), secret) != secrets_.end()) return;
  secrets_.push_back(secret);
  std::sort(secrets_.begin(), secrets_.end(),
            [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

void Scrubber::add(const config::DeliveryTarget& target) {
  add_secret(target.password);
  for (const auto& [name, value] : target.headers) add_secret(value);
  for (const std::string* text : {&target.url, &target.smtp}) {
    auto url = split_url(*text);
    if (!url) {
      add_secret(*text);
      continue;
    }
    if (!url->userinfo.empty()) {
      add_secret(url->userinfo);
      add_secret(percent_decode(url->userinfo));
      if (auto colon = url->userinfo.find(':'); colon != std::string::npos) {
        add_secret(url->userinfo.substr(colon + 1));
        add_secret(percent_decode(url->userinfo.substr(colon + 1)));
      }
    }
    if (!url->rest.empty() && url->rest != "/") {
      add_secret(url->rest);
      // Tokens travel as path segments (Slack's /services/T../B../XXXX) and query values.
      size_t start = 0;
      while (start < url->rest.size()) {
        size_t end = url->rest.find_first_of("/?&=#", start);
        if (end == std::string::npos) end = url->rest.size();
        if (end - start >= 8) add_secret(url->rest.substr(start, end - start));
        start = end + 1;
      }
    }
  }
}

std::string Scrubber::operator()(std::string text) const {
  for (const auto& secret : secrets_)
    for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3))
      text.replace(at, secret.size(), "***");
  return text;
}

}  // namespace tally::deliver
