// The trampolines' exception barrier and the registration pieces shared by
// TALLY_METRIC, TALLY_REPORT and TALLY_SOURCE. Internal.
#pragma once

#include <tally/note.h>
#include <tally/plugin.h>
#include <tally/detail/host.hpp>

#include <cstddef>
#include <exception>
#include <string_view>

namespace tally::sdk {

namespace detail {
inline void report_error(tally_ctx* ctx, const char* what) {
  host().set_error(ctx, str_c(what ? std::string_view(what) : std::string_view("unknown error")));
}

// Runs `body`, turning every exception into a host error. Returns 0 or 1.
template <typename Body>
int32_t guarded(tally_ctx* ctx, Body&& body) noexcept {
  try {
    body();
    return TALLY_OK;
  } catch (const std::exception& e) {
    report_error(ctx, e.what());
  } catch (...) {
    report_error(ctx, "plugin threw a non-standard exception");
  }
  return TALLY_FAILED;
}

inline bool host_is_usable(const tally_host_api* host) {
  return host && host->struct_size >= offsetof(tally_host_api, output_is_tty) + sizeof(host->output_is_tty) &&
         TALLY_SDK_MAJOR_OF(host->sdk_version) == TALLY_SDK_VERSION_MAJOR;
}
}  // namespace detail
}  // namespace tally::sdk

// Registration: exactly one per plugin library.
#define TALLY_DETAIL_EXPORT_VERSION                                        \
  extern "C" TALLY_PLUGIN_EXPORT uint32_t tally_plugin_sdk_version(void) { \
    return TALLY_SDK_VERSION;                                              \
  }
