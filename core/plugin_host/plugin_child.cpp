#include "plugin_child.hpp"

#include <dlfcn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <new>
#include <string>

#include "channel.hpp"
#include "host_table.hpp"
#include "plugins/entry_checks.hpp"
#include "plugins/wire.hpp"

namespace tally::plugin_host {

namespace {

// Memory the plugin asked for beyond its limit: tally is told before the
// process ends, so the run says "ran out of its memory limit".
void out_of_memory() {
  send_outbox();
  static const uint32_t frame[2] = {4, wire::kOutOfMemory};
  [[maybe_unused]] auto n = ::send(kSocket, frame, sizeof frame, MSG_NOSIGNAL);
  _exit(71);
}

void send_or_die(uint32_t op, const wire::Writer& w) {
  if (!wire::send_frame(kSocket, op, w.data())) lost();
}

}  // namespace

int run_plugin(uint64_t memory_bytes) {
  std::set_new_handler(&out_of_memory);

  uint32_t op = 0;
  std::string payload;
  const auto forever = wire::FrameReader::kForever;
  if (reader.next(op, payload, forever) != wire::Received::Frame || op != wire::kLoad) lost();
  wire::Reader in(payload);
  const std::string name = in.str();
  const uint32_t manifest_version = in.u32();
  const uint32_t host_version = in.u32();
  const int32_t kind = in.i32();
  set_metric_kind(kind == TALLY_KIND_METRIC);
  const std::string kind_name = in.str();
  const std::string where = in.str();
  const bool deepbind = in.u8() != 0;
  const std::string library_path = in.str();  // for messages: the bytes come from fd 4
  if (!in.ok()) lost();

  auto refuse = [&](const std::string& message) {
    send_or_die(wire::kLoaded, wire::Writer().u8(0).str(message).i64(0));
    return 0;
  };
  if (memory_bytes > 0) {
    rlimit limit{memory_bytes, memory_bytes};
    if (::setrlimit(RLIMIT_AS, &limit) != 0) return refuse("cannot set its memory limit");
  }
  const std::string path = "/proc/self/fd/" + std::to_string(kLibraryFd);
  void* library = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | (deepbind ? RTLD_DEEPBIND : 0));
  ::close(kLibraryFd);
  if (!library) {
    const char* why = ::dlerror();
    return refuse("plugin '" + name + "': cannot load library '" + library_path +
                  "': " + (why ? why : "unknown error"));
  }
  auto version_fn =
      reinterpret_cast<tally_plugin_sdk_version_fn>(::dlsym(library, TALLY_PLUGIN_SDK_VERSION_SYMBOL));
  if (!version_fn)
    return refuse("plugin '" + name + "': '" + library_path + "' is not a Tally plugin (no " +
                  TALLY_PLUGIN_SDK_VERSION_SYMBOL + " entry point)");
  const uint32_t version = version_fn();
  if (auto why = plugins::library_version_refusal(name, version, manifest_version, host_version, where);
      !why.empty())
    return refuse(why);
  auto init = reinterpret_cast<tally_plugin_init_fn>(::dlsym(library, TALLY_PLUGIN_INIT_SYMBOL));
  if (!init)
    return refuse("plugin '" + name + "': '" + library_path + "' has no " + TALLY_PLUGIN_INIT_SYMBOL +
                  " entry point");

  static tally_host_api table = forwarding_table();
  table.sdk_version = host_version;
  table.struct_size = static_cast<uint32_t>(plugins::host_api_size(host_version));
  if (table.struct_size <= offsetof(tally_host_api, add_note)) table.add_note = nullptr;
  if (table.struct_size <= offsetof(tally_host_api, add_drilldown)) table.add_drilldown = nullptr;
  tally_plugin_info info{};
  info.struct_size = sizeof info;
  if (const int32_t rc = init(&table, &info); rc != TALLY_OK)
    return refuse("plugin '" + name + "': initialisation failed (code " + std::to_string(rc) + ")");
  if (auto why = plugins::plugin_info_refusal(name, info, kind, kind_name); !why.empty()) return refuse(why);
  // When it was ready, on the steady clock tally reads too (for `tally -v`).
  const int64_t ready = std::chrono::steady_clock::now().time_since_epoch().count();
  send_or_die(wire::kLoaded, wire::Writer().u8(1).str("").i64(ready));

  for (;;) {
    const auto got = reader.next(op, payload, forever);
    if (got == wire::Received::Closed) return 0;  // tally is done with this plugin
    if (got != wire::Received::Frame || op != wire::kRun) lost();
    wire::Reader run(payload);
    if (!begin_invocation(run)) lost();
    tally_ctx* ctx = invocation_context();
    end_invocation(kind == TALLY_KIND_METRIC ? info.metric->run(ctx) : info.report->render(ctx));
  }
}

}  // namespace tally::plugin_host
