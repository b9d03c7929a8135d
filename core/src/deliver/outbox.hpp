// Deliveries that failed after their retries wait in an outbox folder for
// `tally deliver --retry`. Each is a folder (0700) holding the exact payload
// and meta.json (0600): the config's path and the target's position and
// name, which --retry reads again from the config, so no URL, login or token
// is ever written to disk by Tally.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace tally::deliver {

// --outbox, else $TALLY_OUTBOX, else $XDG_STATE_HOME/tally/outbox, else
// ~/.local/state/tally/outbox.
std::string default_outbox();

struct OutboxEntry {
  std::string dir;          // the entry's folder
  std::string config;       // absolute path of the config
  int target_index = 0;     // position in the config's deliver: list (0-based)
  std::string target_name;  // its name, checked again on retry
  std::string target;       // describe() of the target: no secrets
  std::string kind;         // webhook | email
  std::string created;      // UTC, ISO 8601
  std::string title, period;
  int attempts = 0;
  std::string last_error;  // scrubbed
  std::string payload;     // the body or the message, read on demand
};

// Writes a new entry; returns its folder. Throws std::runtime_error with the OS reason.
std::string outbox_add(const std::string& outbox, const OutboxEntry& entry);
// Every entry, oldest first. Broken entries (no meta.json, bad JSON) are
// returned with `last_error` saying so and an empty config.
std::vector<OutboxEntry> outbox_list(const std::string& outbox);
std::string outbox_payload(const OutboxEntry& entry);
// Records another failed attempt.
void outbox_update(const OutboxEntry& entry);
void outbox_remove(const OutboxEntry& entry);

}  // namespace tally::deliver
