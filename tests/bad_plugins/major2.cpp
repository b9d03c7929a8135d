// Claims SDK 2.0, in its note and its version entry. The host must refuse it
// from the note, before the library is loaded: its static constructor would
// leave a marker file ($TALLY_TEST_REFUSED_MARKER) and its init aborts the
// process, so a test that gets a message and finds no marker proves that none
// of its code ran.
#include <tally/note.h>
#include <tally/plugin.h>

#include <cstdio>
#include <cstdlib>

TALLY_DETAIL_NOTE_ATTRIBUTES static const tally_note major2_note = {
    sizeof TALLY_NOTE_OWNER,
    sizeof(tally_note_desc),
    TALLY_NOTE_TYPE_PLUGIN,
    TALLY_NOTE_OWNER,
    {TALLY_NOTE_FORMAT, (2u << 16) | 0u, TALLY_KIND_METRIC, 0u, TALLY_PLUGIN_NAME, {0}}};

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
  return (2u << 16) | 0u;
}
extern "C" TALLY_PLUGIN_EXPORT int32_t tally_plugin_init(const tally_host_api*, tally_plugin_info*) {
  std::abort();
}
