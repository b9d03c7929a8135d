// A source plugin seen as a RecordSource: the plugin reads the format, the
// host maps the records.
#include <stdexcept>
#include <string>

#include "import/source.hpp"
#include "plugins/entry_checks.hpp"
#include "plugins/registry.hpp"
#include "run/context.hpp"

namespace tally::import {

namespace {

class PluginRecordSource final : public RecordSource {
 public:
  PluginRecordSource(std::shared_ptr<plugins::LoadedPlugin> plugin, const std::string& location)
      : plugin_(std::move(plugin)), api_(*plugin_->info().source), location_(location) {
    ctx_.plugin = plugin_->manifest().name;
    ctx_.name = ctx_.plugin;
    ctx_.manifest = &plugin_->manifest();
    // Sources get their manifest defaults as params.
    for (const auto& spec : plugin_->manifest().params)
      if (spec.default_value) params_[spec.name] = *spec.default_value;
    ctx_.params = &params_;
    reader_ = api_.open(&ctx_, tally_str{location.data(), location.size()});
    if (!reader_) throw std::runtime_error(error_text());
    tally_record record{};
    record.struct_size = sizeof record;
    if (api_.columns(reader_, &ctx_, &record) != TALLY_OK) throw std::runtime_error(error_text());
    check_size("columns", record);
    for (uint32_t i = 0; i < record.field_count; ++i)
      columns_.emplace_back(record.fields[i].data, record.fields[i].size);
  }
  ~PluginRecordSource() override {
    if (reader_) api_.close(reader_);
  }

  const std::vector<std::string>& columns() const override { return columns_; }

  bool next(Record& out) override {
    tally_record record{};
    record.struct_size = sizeof record;
    int32_t rc = api_.next(reader_, &ctx_, &record);
    if (rc < 0) throw std::runtime_error(error_text());
    if (rc == 0) return false;
    check_size("next", record);
    out.line = record.line;
    out.fields.resize(record.field_count);
    for (uint32_t i = 0; i < record.field_count; ++i)
      out.fields[i].assign(record.fields[i].data, record.fields[i].size);
    return true;
  }

  void progress(uint64_t& done, uint64_t& total) override {
    done = total = 0;
    if (api_.progress) api_.progress(reader_, &done, &total);
  }

 private:
  // The record as the plugin handed it back: shorter than SDK 1.0's (the
  // struct has not grown since) means it set struct_size wrongly, and its
  // fields cannot be trusted.
  void check_size(const char* function, const tally_record& record) const {
    if (record.struct_size >= sizeof(tally_record)) return;
    throw std::runtime_error(
        "source plugin '" + ctx_.plugin + "': " +
        plugins::short_struct_text(function, "tally_record", record.struct_size, sizeof(tally_record)));
  }

  std::string error_text() const {
    std::string message = !ctx_.plugin_error.empty() ? ctx_.plugin_error : ctx_.last_error;
    if (message.empty()) message = "source plugin '" + ctx_.plugin + "' failed without a message";
    return message;
  }

  std::shared_ptr<plugins::LoadedPlugin> plugin_;
  const tally_source_api& api_;
  std::string location_;
  std::map<std::string, plugins::ParamValue> params_;
  tally_ctx ctx_;
  void* reader_ = nullptr;
  std::vector<std::string> columns_;
};

}  // namespace

std::unique_ptr<RecordSource> open_source(plugins::Registry& registry, const std::string& plugin,
                                          const std::string& location) {
  auto loaded = registry.load(plugin);
  if (loaded->manifest().kind != plugins::Kind::Source)
    throw std::runtime_error("plugin '" + plugin + "' is not a source plugin");
  return std::make_unique<PluginRecordSource>(std::move(loaded), location);
}

}  // namespace tally::import
