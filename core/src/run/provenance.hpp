// Provenance of a run, for every report: where the data came from (never a
// password), the dates the data covers, when and by which version the
// report was made. Stored as RunResult facts; report plugins read them
// through ReportContext::facts().
#pragma once

#include <string>

#include "run/result.hpp"
#include "store/backend.hpp"

namespace tally::run {

// Sets data_source, data_from, data_to, generated_at and tally_version.
// `now_utc` is "YYYY-MM-DDTHH:MM:SSZ"; empty means the clock. The data's
// dates come from the deals (first created, last created or closed); a
// store that cannot answer leaves them out and adds a run warning.
void record_provenance(RunResult& result, store::Backend& backend, const std::string& source,
                       const std::string& now_utc = {});

// "postgresql://ann:secret@db/x" -> "postgresql://ann@db/x"; the same rule
// as format::redact_source in the SDK, applied before the fact is stored.
std::string without_password(const std::string& source);

}  // namespace tally::run
