// A shared library with the note and the version symbol but no tally_plugin_init.
#include <tally/note.h>
#include <tally/plugin.h>

TALLY_PLUGIN_NOTE(TALLY_KIND_METRIC);

extern "C" TALLY_PLUGIN_EXPORT uint32_t tally_plugin_sdk_version(void) {
  return TALLY_SDK_VERSION;
}
