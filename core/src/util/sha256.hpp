#pragma once

#include <optional>
#include <string>

namespace tally {

// Lowercase hex SHA-256 of a file's bytes; nullopt when it cannot be read.
std::optional<std::string> sha256_file(const std::string& path);

}  // namespace tally
