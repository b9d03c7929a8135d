// Source plugins: a Source reads records from outside data and the host
// maps them into the store; TALLY_SOURCE registers one.
#pragma once

#include <tally/context.hpp>
#include <tally/detail/guard.hpp>
#include <tally/detail/host.hpp>
#include <tally/value.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tally::sdk {

// A source reads records (rows) from outside data; the host maps them.
class Source {
 public:
  virtual ~Source() = default;
  // The column names, called once before the first next().
  virtual std::vector<std::string> columns() = 0;
  // Fills `fields` and `line` with the next record; false at the end.
  // Throws sdk::Error naming the line for malformed input.
  virtual bool next(std::vector<std::string>& fields, uint64_t& line) = 0;
  virtual void progress(uint64_t& done, uint64_t& total) {
    done = 0;
    total = 0;
  }
};

namespace detail {
// Holds a Source and the storage the last record's fields point into.
struct SourceReader {
  tally_ctx* ctx;
  std::unique_ptr<Source> source;
  std::vector<std::string> fields;
  std::vector<tally_str> views;
  uint64_t line = 0;

  void expose(tally_record* out) {
    views.resize(fields.size());
    for (size_t i = 0; i < fields.size(); ++i) views[i] = str_c(fields[i]);
    out->line = line;
    out->field_count = static_cast<uint32_t>(views.size());
    out->fields = views.data();
  }
};

template <typename S>
void* source_open(tally_ctx* ctx, tally_str location) noexcept {
  SourceReader* reader = nullptr;
  int32_t rc = guarded(ctx, [&] {
    auto r = std::make_unique<SourceReader>();
    r->ctx = ctx;
    BaseContext c(ctx);
    r->source = std::make_unique<S>(c, str_of(location));
    reader = r.release();
  });
  return rc == TALLY_OK ? reader : nullptr;
}

inline int32_t source_columns(void* handle, tally_ctx* ctx, tally_record* out) noexcept {
  auto* r = static_cast<SourceReader*>(handle);
  return guarded(ctx, [&] {
    r->fields = r->source->columns();
    r->line = 1;
    r->expose(out);
  });
}

inline int32_t source_next(void* handle, tally_ctx* ctx, tally_record* out) noexcept {
  auto* r = static_cast<SourceReader*>(handle);
  bool more = false;
  int32_t rc = guarded(ctx, [&] {
    more = r->source->next(r->fields, r->line);
    if (more) r->expose(out);
  });
  if (rc != TALLY_OK) return -1;
  return more ? 1 : 0;
}

inline void source_progress(void* handle, uint64_t* done, uint64_t* total) noexcept {
  auto* r = static_cast<SourceReader*>(handle);
  try {
    r->source->progress(*done, *total);
  } catch (...) {
    *done = 0;
    *total = 0;
  }
}

inline void source_close(void* handle) noexcept {
  delete static_cast<SourceReader*>(handle);
}
}  // namespace detail
}  // namespace tally::sdk

// ClassName must be constructible from (tally::sdk::BaseContext&, std::string location).
#define TALLY_SOURCE(ClassName)                                                         \
  TALLY_DETAIL_EXPORT_VERSION                                                           \
  TALLY_PLUGIN_NOTE(TALLY_KIND_SOURCE);                                                 \
  extern "C" TALLY_PLUGIN_EXPORT int32_t tally_plugin_init(const tally_host_api* host,  \
                                                           tally_plugin_info* info) {   \
    static const tally_source_api api = {sizeof(tally_source_api),                      \
                                         &::tally::sdk::detail::source_open<ClassName>, \
                                         &::tally::sdk::detail::source_columns,         \
                                         &::tally::sdk::detail::source_next,            \
                                         &::tally::sdk::detail::source_progress,        \
                                         &::tally::sdk::detail::source_close};          \
    if (!::tally::sdk::detail::host_is_usable(host) || !info) return TALLY_FAILED;      \
    ::tally::sdk::detail::host_slot() = host;                                           \
    info->kind = TALLY_KIND_SOURCE;                                                     \
    info->source = &api;                                                                \
    return TALLY_OK;                                                                    \
  }
