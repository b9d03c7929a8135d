/* A plugin as built against SDK 1.0, in plain C: its note and
 * tally_plugin_sdk_version say 1.0, it uses only the 1.0 entries of the host
 * table and hands over SDK 1.0's tally_kpi (ending at higher_is_better). Its
 * KPI `host_minor` is the minor of the host table it was given, so the ABI
 * tests see which table it got. */
#include <tally/plugin.h>
#undef TALLY_SDK_VERSION_MINOR
#define TALLY_SDK_VERSION_MINOR 0
#include <tally/note.h>

#include <stddef.h>
#include <string.h>

TALLY_PLUGIN_NOTE(TALLY_KIND_METRIC);

static const tally_host_api* host;

static int32_t run(tally_ctx* ctx) {
  tally_kpi k;
  memset(&k, 0, sizeof k);
  k.struct_size = (uint32_t)offsetof(tally_kpi, compare_status); /* 1.0's size */
  k.name.data = "host_minor";
  k.name.size = 10;
  k.unit = TALLY_UNIT_COUNT;
  k.has_value = 1;
  k.value = (double)TALLY_SDK_MINOR_OF(host->sdk_version);
  k.higher_is_better = 1;
  return host->add_kpi(ctx, &k);
}

static const tally_metric_api api = {sizeof(tally_metric_api), run};

TALLY_PLUGIN_EXPORT uint32_t tally_plugin_sdk_version(void) {
  return TALLY_SDK_VERSION;
}

TALLY_PLUGIN_EXPORT int32_t tally_plugin_init(const tally_host_api* h, tally_plugin_info* info) {
  if (h->struct_size < offsetof(tally_host_api, add_note)) return 1; /* not even a 1.0 table */
  host = h;
  info->kind = TALLY_KIND_METRIC;
  info->metric = &api;
  return 0;
}
