// Delivery targets carry secrets: SMTP passwords, tokens in webhook URLs and
// headers. Everything a target says about itself in logs, errors and the
// outbox's metadata goes through here.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace tally::deliver {

// "webhook 'alerts' (https://hooks.example.com/…)" or "email 'weekly' (smtp://mail.example.com:587)":
// the name, scheme, host and port; never a login, path, query or header.
std::string describe(const config::DeliveryTarget& target);

// Replaces every secret of the targets found in `text` by "***".
class Scrubber {
 public:
  explicit Scrubber(const std::vector<config::DeliveryTarget>& targets);
  void add(const config::DeliveryTarget& target);
  std::string operator()(std::string text) const;

 private:
  void add_secret(const std::string& secret);
  std::vector<std::string> secrets_;  // longest first
};

}  // namespace tally::deliver
