// Errors that point into a file: every config, manifest and mapping problem
// is reported as `file:line:column: message`.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace tally {

struct SourceLocation {
  std::string file;
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based; 0 = unknown
};

struct Diagnostic {
  SourceLocation where;
  std::string message;

  // "file:line:column: message" (parts that are unknown are left out).
  std::string format() const;
};

// Thrown with every problem found in one pass, not just the first.
class DiagnosticError : public std::runtime_error {
 public:
  explicit DiagnosticError(std::vector<Diagnostic> diagnostics);
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

}  // namespace tally
