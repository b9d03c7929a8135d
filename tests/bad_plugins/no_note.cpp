// A library with both entry points but no Tally note, as a plugin built
// without the SDK's registration macros would be. Refused from the file
// alone: its static constructor would leave a marker file
// ($TALLY_TEST_REFUSED_MARKER).
#include <tally/plugin.h>

#include <cstdio>
#include <cstdlib>

namespace {
[[gnu::constructor]] void leave_marker() {
  if (const char* path = std::getenv("TALLY_TEST_REFUSED_MARKER"))
    if (std::FILE* f = std::fopen(path, "w")) {
      std::fputs("refused code ran\n", f);
      std::fclose(f);
    }
}
}  // namespace

extern "C" TALLY_PLUGIN_EXPORT uint32_t tally_plugin_sdk_version(void) {
  return TALLY_SDK_VERSION;
}
extern "C" TALLY_PLUGIN_EXPORT int32_t tally_plugin_init(const tally_host_api*, tally_plugin_info*) {
  std::abort();
}
