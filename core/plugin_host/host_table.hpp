// The forwarding host table of a plugin's child process (host_table.cpp) and
// the invocation state behind it.
#pragma once

#include <cstdint>

#include <tally/plugin.h>

#include "plugins/wire.hpp"

namespace tally::plugin_host {

// The table handed to the plugin's init: the SDK's layout, every entry
// answered from the snapshot or forwarded to tally.
const tally_host_api& forwarding_table();

// A metric plugin (queries, results) rather than a report: decides which
// calls the child may take as done without asking tally.
void set_metric_kind(bool metric);

// Takes Run's snapshot for the invocation that starts; false when malformed.
bool begin_invocation(wire::Reader& run);
// The context handed to run() or render().
tally_ctx* invocation_context();
// Tells tally the invocation returned `status` (with whatever calls wait).
void end_invocation(int32_t status);

}  // namespace tally::plugin_host
