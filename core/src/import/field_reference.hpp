// The field reference of docs/import.md, generated from the schema itself
// (`tally schema --markdown`), so the page cannot drift from the tables: a
// test compares the two.
#pragma once

#include <string>

namespace tally::import {

// Markdown: one table per importable canonical table, with each field's
// type, whether it is required, and its meaning.
std::string field_reference_markdown();

// The meaning of `table.column` in words ("" when the reference has none).
std::string field_meaning(const std::string& table, const std::string& column);

}  // namespace tally::import
