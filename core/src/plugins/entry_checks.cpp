#include "plugins/entry_checks.hpp"

#include <cstdlib>
#include <cstring>

namespace tally::plugins {

std::string version_text(uint32_t version) {
  return std::to_string(TALLY_SDK_MAJOR_OF(version)) + "." + std::to_string(TALLY_SDK_MINOR_OF(version));
}

uint32_t host_sdk_version() {
  // Read each time (a plugin load, not a hot path), so a test can change it between runs.
  const char* env = std::getenv("TALLY_HOST_SDK_VERSION");
  if (!env) return TALLY_SDK_VERSION;
  for (uint32_t minor = 0; minor <= TALLY_SDK_VERSION_MINOR; ++minor)
    if (std::string(env) == std::to_string(TALLY_SDK_VERSION_MAJOR) + "." + std::to_string(minor))
      return static_cast<uint32_t>((TALLY_SDK_VERSION_MAJOR << 16) | minor);
  return TALLY_SDK_VERSION;  // anything else: the real version
}

size_t host_api_size(uint32_t version) {
  switch (TALLY_SDK_MINOR_OF(version)) {
    case 0: return offsetof(tally_host_api, add_note);
    case 1: return offsetof(tally_host_api, add_drilldown);
    default: return sizeof(tally_host_api);
  }
}

std::string library_version_refusal(const std::string& name, uint32_t library_version,
                                    uint32_t manifest_version, uint32_t host_version,
                                    const std::string& where) {
  if (TALLY_SDK_MAJOR_OF(library_version) != TALLY_SDK_MAJOR_OF(host_version) ||
      TALLY_SDK_MINOR_OF(library_version) > TALLY_SDK_MINOR_OF(host_version))
    return "plugin '" + name + "': library is built against SDK " + version_text(library_version) +
           ", this tally has SDK " + version_text(host_version) + "; refused";
  if (library_version != manifest_version)
    return "plugin '" + name + "': library says SDK " + version_text(library_version) +
           " but its manifest says " + version_text(manifest_version) + "; refused (" + where + ")";
  return {};
}

std::string plugin_info_refusal(const std::string& name, const tally_plugin_info& info, int32_t expected_kind,
                                const std::string& kind_name) {
  if (info.kind != expected_kind)
    return "plugin '" + name + "': library registers a different kind than its manifest's '" + kind_name +
           "'";
  // Each table must hold at least the entries SDK 1.0 defined; later ones are optional.
  constexpr size_t metric_1_0 = offsetof(tally_metric_api, run) + sizeof(void*);
  constexpr size_t report_1_0 = offsetof(tally_report_api, render) + sizeof(void*);
  constexpr size_t source_1_0 = offsetof(tally_source_api, close) + sizeof(void*);
  bool table_ok = (info.kind == TALLY_KIND_METRIC && info.metric && info.metric->struct_size >= metric_1_0 &&
                   info.metric->run) ||
                  (info.kind == TALLY_KIND_REPORT && info.report && info.report->struct_size >= report_1_0 &&
                   info.report->render) ||
                  (info.kind == TALLY_KIND_SOURCE && info.source && info.source->struct_size >= source_1_0 &&
                   info.source->open && info.source->columns && info.source->next && info.source->close);
  if (!table_ok) return "plugin '" + name + "': library returned an incomplete function table";
  return {};
}

std::string short_struct_text(const char* function, const char* type, uint32_t got, size_t need) {
  return std::string(function) + ": the plugin's " + type + " has struct_size " + std::to_string(got) +
         ", SDK 1.0's is " + std::to_string(need) +
         " bytes; set struct_size = sizeof, or rebuild the plugin "
         "against the SDK";
}

}  // namespace tally::plugins
