// A shared library with the version symbol but no tally_plugin_init.
#include <tally/plugin.h>

extern "C" TALLY_PLUGIN_EXPORT uint32_t tally_plugin_sdk_version(void) { return TALLY_SDK_VERSION; }
