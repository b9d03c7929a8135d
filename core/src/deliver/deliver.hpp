// Delivery after a run (`tally run --deliver`) and from the outbox
// (`tally deliver --retry`): alerts decide whether to send, each target gets
// its payload, failures are retried with backoff and then kept in the outbox.
#pragma once

#include <string>

#include "config/config.hpp"
#include "plugins/registry.hpp"
#include "run/result.hpp"
#include "store/backend.hpp"

namespace tally::deliver {

struct RetryPolicy {
  int retries = 3;           // after the first attempt
  double delay_seconds = 5;  // before the first retry; doubled each time
  double max_delay_seconds = 300;
};

struct DeliverOptions {
  std::string outbox;  // folder; default_outbox() when empty
  RetryPolicy retry;
  std::string config_arg;  // the config as given on the command line (for the drill-down hint)
  // The run's data: an alert that holds lists the records behind its number
  // (none without it).
  store::Backend* backend = nullptr;
};

// Sends the run to every `deliver:` target of `config` when no alert is
// configured or at least one holds. Returns false when something could not
// be delivered (it is then in the outbox) or an alert could not be checked
// for a reason in the config (a KPI no metric reports).
bool deliver_run(const config::Config& config, const run::RunResult& result, plugins::Registry& registry,
                 const DeliverOptions& options);

// Sends every outbox entry again (each gets the retry policy); delivered
// entries are removed. Returns false when any is still undelivered.
bool retry_outbox(const DeliverOptions& options);

// Prints the outbox's entries (no secrets) to stdout; returns how many.
size_t list_outbox(const DeliverOptions& options);

}  // namespace tally::deliver
