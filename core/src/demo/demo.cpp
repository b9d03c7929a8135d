#include "demo/demo.hpp"

#include <chrono>
#include <stdexcept>

#include "demo/generator.hpp"
#include "store/store.hpp"

namespace tally::demo {

DemoSummary generate(const DemoOptions& opts, const std::function<void(const std::string&)>& progress) {
  if (opts.scale < 1)
    throw std::invalid_argument("demo scale must be at least 1, got " + std::to_string(opts.scale));
  const auto started = std::chrono::steady_clock::now();
  auto store = store::create_replacement(opts.db_path);
  DemoSummary summary;
  {
    // Its statements end before the store is published (SQLite closes the file then).
    generation::Generator generator(*store, opts, progress);
    summary = generator.run();
  }
  store->sync_id_sequences();
  store->publish();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary;
}

}  // namespace tally::demo
