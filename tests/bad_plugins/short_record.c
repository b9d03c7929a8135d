/* A source plugin that hands back its tally_record with a struct_size shorter
 * than SDK 1.0's (8, as a plugin that rebuilt the record and set a wrong size
 * would): the host must refuse it naming the function, the type and both
 * sizes. The location says where: "columns" (at once) or "next" (the first
 * record). */
#include <tally/note.h>
#include <tally/plugin.h>

#include <string.h>

TALLY_PLUGIN_NOTE(TALLY_KIND_SOURCE);

static const tally_str kColumn = {"id", 2};
static int short_in_columns; /* one reader at a time in the tests */

static void* open_reader(tally_ctx* ctx, tally_str location) {
  (void)ctx;
  short_in_columns = location.size == 7 && memcmp(location.data, "columns", 7) == 0;
  return &short_in_columns;
}

static void fill(tally_record* out, uint32_t struct_size) {
  out->struct_size = struct_size;
  out->line = 1;
  out->field_count = 1;
  out->fields = &kColumn;
}

static int32_t columns(void* reader, tally_ctx* ctx, tally_record* out) {
  (void)reader;
  (void)ctx;
  fill(out, short_in_columns ? 8 : (uint32_t)sizeof *out);
  return 0;
}

static int32_t next(void* reader, tally_ctx* ctx, tally_record* out) {
  (void)reader;
  (void)ctx;
  fill(out, 8);
  return 1;
}

static void progress(void* reader, uint64_t* done, uint64_t* total) {
  (void)reader;
  *done = *total = 0;
}

static void close_reader(void* reader) {
  (void)reader;
}

static const tally_source_api api = {
    sizeof(tally_source_api), open_reader, columns, next, progress, close_reader};

TALLY_PLUGIN_EXPORT uint32_t tally_plugin_sdk_version(void) {
  return TALLY_SDK_VERSION;
}

TALLY_PLUGIN_EXPORT int32_t tally_plugin_init(const tally_host_api* host, tally_plugin_info* info) {
  (void)host;
  info->kind = TALLY_KIND_SOURCE;
  info->source = &api;
  return 0;
}
