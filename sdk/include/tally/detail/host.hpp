// The host's function table as each plugin library holds it, and the
// (pointer, length) string helpers every SDK header uses. Internal.
#pragma once

#include <tally/plugin.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace tally::sdk {

namespace detail {
// The host's function table, set once by tally_plugin_init. Each plugin
// library has its own copy (hidden visibility, RTLD_LOCAL).
inline const tally_host_api*& host_slot() {
  static const tally_host_api* host = nullptr;
  return host;
}
inline const tally_host_api& host() {
  return *host_slot();
}
// Whether the host's table reaches the entry at `offset` (entries added in a
// later minor are absent from an older host).
inline bool host_has(size_t offset) {
  return host_slot() && host_slot()->struct_size > offset;
}

inline tally_str str_c(std::string_view s) {
  return tally_str{s.data(), s.size()};
}
inline std::string str_of(tally_str s) {
  return s.data ? std::string(s.data, s.size) : std::string();
}
}  // namespace detail

}  // namespace tally::sdk
