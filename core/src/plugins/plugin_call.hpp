// Which plugin code is running, so that a plugin ending the process (exit,
// _exit, _Exit, quick_exit) is caught and named instead of passing for a
// successful run. The tally executable defines those four functions
// (cli/exit_trap.c) and exports them, so a dlopen'ed plugin's calls bind to
// them; they call tally_host_plugin_exit() first, which ends the process with
// exit code 1 and a message when plugin code is running.
#pragma once

#include <string>

namespace tally::plugins {

// Marks plugin code as running in this thread for the object's lifetime:
// constructed around every call into a plugin (init, run, render, and the
// library's constructors while it is opened). Nests.
class PluginCall {
 public:
  // `plugin` is the plugin's name, `role` what it is doing ("metric 'won'").
  PluginCall(const std::string& plugin, const std::string& role);
  ~PluginCall();
  PluginCall(const PluginCall&) = delete;
  PluginCall& operator=(const PluginCall&) = delete;

 private:
  std::string text_;  // "plugin 'x' (metric 'won')"
  const PluginCall* outer_;
};

// The message tally_host_plugin_exit() writes, for tests.
std::string plugin_exit_message(const std::string& who, const char* how, int status);

}  // namespace tally::plugins

// Called by the executable's exit/_exit/_Exit/quick_exit before they end the
// process. Returns when no plugin code is running; otherwise writes
// "tally: plugin 'x' ... called exit(0) ..." to stderr and ends the process
// at once with exit code 1 (no atexit handlers, no static destructors, so no
// metric thread can touch freed memory).
extern "C" void tally_host_plugin_exit(const char* how, int status);
