#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace tally {

// Lowercase hex SHA-256 of a file's bytes; nullopt when it cannot be read.
std::optional<std::string> sha256_file(const std::string& path);
// Lowercase hex SHA-256 of bytes in memory; nullopt only when the digest fails.
std::optional<std::string> sha256_bytes(const void* data, size_t size);

}  // namespace tally
