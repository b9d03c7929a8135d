// Splitting URLs into their parts, enough to validate delivery targets and to
// show them without the parts that carry secrets (login, path, query).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tally {

struct UrlParts {
  std::string scheme;    // lowercase, without "://"
  std::string userinfo;  // "user:password", without '@'; may be empty
  std::string host;      // without brackets for IPv6
  std::string port;      // digits, or empty
  std::string rest;      // path, query and fragment, from the first '/', '?' or '#'
};

// nullopt when the text is not `scheme://[userinfo@]host[:port][rest]` with
// a non-empty host and a numeric port, or holds spaces or control characters.
std::optional<UrlParts> split_url(std::string_view text);

// "https://hooks.example.com/…": scheme, host and port only, so a token in the
// login, path or query never reaches a log line.
std::string url_for_display(const UrlParts& url);

// %XX decoding of a URL's userinfo part.
std::string percent_decode(std::string_view text);

}  // namespace tally
