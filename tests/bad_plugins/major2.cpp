// Claims SDK 2.0. The host must refuse it before calling tally_plugin_init,
// so init aborts the process: a test that gets here fails loudly.
#include <tally/plugin.h>

#include <cstdlib>

extern "C" TALLY_PLUGIN_EXPORT uint32_t tally_plugin_sdk_version(void) { return (2u << 16) | 0u; }
extern "C" TALLY_PLUGIN_EXPORT int32_t tally_plugin_init(const tally_host_api*, tally_plugin_info*) { std::abort(); }
