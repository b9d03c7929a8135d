// Records from a source plugin (CSV and other connectors), seen from the host.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tally::plugins {
class Registry;
}

namespace tally::import {

struct Record {
  uint64_t line = 0;  // where the record starts in its file, 1-based
  std::vector<std::string> fields;
};

// One opened input. Errors (unreadable file, malformed or non-UTF-8 input)
// are thrown as std::runtime_error whose message names the file and line.
class RecordSource {
 public:
  virtual ~RecordSource() = default;
  virtual const std::vector<std::string>& columns() const = 0;
  virtual bool next(Record& out) = 0;
  // Bytes read so far and total (0 = unknown), for the progress bar.
  virtual void progress(uint64_t& done, uint64_t& total) = 0;
};

// Opens `location` with the source plugin `plugin` (e.g. "csv") through the
// registry: the same loader, checks and C boundary as every plugin.
std::unique_ptr<RecordSource> open_source(plugins::Registry& registry, const std::string& plugin,
                                          const std::string& location);

}  // namespace tally::import
