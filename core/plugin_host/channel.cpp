#include "channel.hpp"

#include <unistd.h>

#include <atomic>
#include <cstring>

namespace tally::plugin_host {

wire::FrameReader reader(kSocket);

namespace {

// Written under the call mutex; `outbox_used` counts whole frames only, and
// `outbox_busy` keeps the out-of-memory handler from sending it twice.
constexpr size_t kOutboxSize = 64 * 1024;
char outbox[kOutboxSize];
std::atomic<size_t> outbox_used{0};
std::atomic<bool> outbox_busy{false};

void enqueue(uint32_t op, const std::string& payload) {
  const size_t size = 8 + payload.size();
  if (outbox_used + size > kOutboxSize) flush_outbox();
  if (size > kOutboxSize) {
    if (!wire::send_frame(kSocket, op, payload)) lost();
    return;
  }
  char* at = outbox + outbox_used.load();
  wire::frame_header(at, op, payload.size());
  std::memcpy(at + 8, payload.data(), payload.size());
  outbox_used += size;
}

}  // namespace

void lost() {
  _exit(70);
}

bool send_outbox() {
  if (outbox_busy.exchange(true)) return true;
  const size_t used = outbox_used.load();
  const bool sent = used == 0 || wire::send_all(kSocket, outbox, used);
  outbox_used = 0;
  outbox_busy = false;
  return sent;
}

void flush_outbox() {
  if (!send_outbox()) lost();
}

void call(uint32_t op, const wire::Writer& w, std::string* reply) {
  enqueue(op, w.data());
  if (!reply) return;
  flush_outbox();
  uint32_t got = 0;
  auto r = reader.next(got, *reply, wire::FrameReader::kForever);
  if (r != wire::Received::Frame || got != wire::kReply) lost();
}

}  // namespace tally::plugin_host
