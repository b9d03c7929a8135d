#include "plugins/plugin_call.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <set>

#include "util/text.hpp"

namespace tally::plugins {

namespace {

thread_local const PluginCall* current_call = nullptr;
thread_local const std::string* current_text = nullptr;
std::atomic<int> active_calls{0};
std::mutex active_mutex;
std::multiset<std::string>& active_texts() {
  static auto* texts = new std::multiset<std::string>;  // never destroyed: used while exiting
  return *texts;
}

}  // namespace

PluginCall::PluginCall(const std::string& plugin, const std::string& role)
    : text_("plugin '" + plugin + "'" + (role.empty() ? "" : " (" + role + ")")), outer_(current_call) {
  current_call = this;
  current_text = &text_;
  ++active_calls;
  std::lock_guard lock(active_mutex);
  active_texts().insert(text_);
}

PluginCall::~PluginCall() {
  {
    std::lock_guard lock(active_mutex);
    auto& texts = active_texts();
    if (auto it = texts.find(text_); it != texts.end()) texts.erase(it);
  }
  --active_calls;
  current_call = outer_;
  current_text = outer_ ? &outer_->text_ : nullptr;
}

std::string plugin_exit_message(const std::string& who, const char* how, int status) {
  return "tally: " + escape_for_terminal(who) + " called " + how + "(" + std::to_string(status) +
         ") while it ran; the run is stopped and failed (exit code 1)\n";
}

}  // namespace tally::plugins

extern "C" void tally_host_plugin_exit(const char* how, int status) {
  using namespace tally::plugins;
  if (active_calls.load() == 0) return;
  std::string who;
  if (current_text) {
    who = *current_text;
  } else if (active_mutex.try_lock()) {
    // Called from a thread the plugin started: name every plugin running.
    std::string names;
    for (const auto& text : active_texts()) names += (names.empty() ? "" : ", ") + text;
    active_mutex.unlock();
    who = names.empty() ? std::string("a plugin") : "a thread of " + names;
  } else {
    who = "a plugin";
  }
  const std::string message = plugin_exit_message(who, how, status);
  [[maybe_unused]] auto written = ::write(STDERR_FILENO, message.data(), message.size());
  ::syscall(SYS_exit_group, 1);
}
