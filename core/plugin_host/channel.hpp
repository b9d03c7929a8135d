// The child's end of the socket to tally (fd 3): calls out, replies in.
// Calls that need no reply and whose loss no one could see (query_free,
// rows_free, query_use_period, and the deferred query_new, add_note and
// add_drilldown of main.cpp: if the plugin dies, tally drops its results
// anyway) wait in an outbox and go in one write with the next call that needs
// a reply, or with Done. Logs and set_error are sent at once (flush_outbox),
// so a plugin that crashes, hangs or calls _exit() right after loses nothing.
#pragma once

#include <cstdint>
#include <string>

#include "plugins/wire.hpp"

namespace tally::plugin_host {

constexpr int kSocket = 3;

// The reader of tally's messages.
extern wire::FrameReader reader;

// Ends the child: tally is gone or spoke nonsense, nothing to report to.
[[noreturn]] void lost();

// Queues a call and, when `reply` is given, sends what waits and reads the
// reply. The caller holds the call mutex.
void call(uint32_t op, const wire::Writer& w, std::string* reply = nullptr);

// Sends what waits; false when tally is gone. Async-signal-safe (send() only).
bool send_outbox();
// The same; ends the child (lost()) when tally is gone.
void flush_outbox();

}  // namespace tally::plugin_host
