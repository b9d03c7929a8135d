// Sending over the network with libcurl: HTTP(S) POSTs for webhooks and SMTP
// (STARTTLS or implicit TLS) for email. The only place that names curl.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace tally::deliver {

struct SendResult {
  bool ok = false;
  // A failure that a retry will not fix with the same target (a 4xx other
  // than 408/429, a refused login, a malformed URL): no backoff.
  bool permanent = false;
  std::string error;  // may hold a secret: pass it through a Scrubber
};

// POSTs `body` as application/json (Slack's and plain webhooks alike) with
// the target's headers. 2xx is success.
SendResult post_webhook(const config::DeliveryTarget& target, const std::string& body);

// Sends the RFC 5322 `message` to the target's recipients.
SendResult send_email(const config::DeliveryTarget& target, const std::string& message);

}  // namespace tally::deliver
