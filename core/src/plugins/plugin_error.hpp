#pragma once

#include <stdexcept>

namespace tally::plugins {

// A plugin refused or failed to load: the message says which and why.
class PluginError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace tally::plugins
