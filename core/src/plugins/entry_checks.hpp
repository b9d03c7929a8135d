// The checks made on a plugin library once it is open, shared by the host's
// loader (plugins/registry.cpp) and the child process of `isolation: process`
// (core/plugin_host/), so both refuse the same libraries with the same words.
// Depends on nothing but the C boundary.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <tally/plugin.h>

namespace tally::plugins {

std::string version_text(uint32_t version);  // "1.2"

// The SDK version of the host's function table: TALLY_SDK_VERSION, or, for
// the ABI tests only, an older 1.x minor named by $TALLY_HOST_SDK_VERSION
// ("1.0", "1.1"): the table then ends where that minor's ended.
uint32_t host_sdk_version();
// Bytes of the host table at `version` (the entries that minor defined).
size_t host_api_size(uint32_t version);

// Why a library reporting `library_version` (tally_plugin_sdk_version) is
// refused by a host at `host_version` whose manifest says `manifest_version`;
// "" when it is accepted. `where` is the manifest's path.
std::string library_version_refusal(const std::string& name, uint32_t library_version,
                                    uint32_t manifest_version, uint32_t host_version,
                                    const std::string& where);

// Why the table tally_plugin_init filled is refused ("" when fine): another
// kind than the manifest's, or a table lacking SDK 1.0's entries.
std::string plugin_info_refusal(const std::string& name, const tally_plugin_info& info, int32_t expected_kind,
                                const std::string& kind_name);

// A versioned struct a plugin handed over shorter than the SDK 1.0 layout its
// fields need (the host's table entries and the source-plugin reader say it
// the same way): "FUNCTION: the plugin's TYPE has struct_size GOT, SDK 1.0's
// is NEED bytes; ...".
std::string short_struct_text(const char* function, const char* type, uint32_t got, size_t need);

}  // namespace tally::plugins
