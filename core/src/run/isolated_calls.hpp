// Answers the host calls a plugin in a child process makes (run/isolated.hpp),
// each by the host table's own entry against the invocation's tally_ctx.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "plugins/wire.hpp"
#include "run/context.hpp"

namespace tally::run {

// The handles a child holds for one invocation, by the ids it was given.
class CallServer {
 public:
  explicit CallServer(tally_ctx& ctx) : ctx_(ctx) {}
  ~CallServer();  // frees the queries and rows the plugin left open
  CallServer(const CallServer&) = delete;
  CallServer& operator=(const CallServer&) = delete;

  // Answers one call. Returns false for a message that is not a well-formed
  // call; `reply` is set when the call returns something, `has_reply` says so.
  bool serve(uint32_t op, const std::string& payload, wire::Writer& reply, bool& has_reply);

  // What the plugin would otherwise ask call by call, as the host table
  // answers it: sent with Run, so the child answers those calls itself and
  // forwards only the ones that fail (for the same last_error here).
  void snapshot(wire::Writer& out);

  // The first deferred call that failed here after the child went on as if
  // it had succeeded ("add_note: a note needs text"); empty when none did.
  const std::string& deferred_error() const { return deferred_error_; }

 private:
  void snapshot_run(wire::Writer& out);
  static void write_kpi(const tally_kpi& kpi, wire::Writer& out);
  static void write_table_info(const tally_table_info& info, wire::Writer& out);
  // A chunk of `rows`: count, values, then 1 (more), 0 (end) or -1 (error).
  void write_rows(tally_rows* rows, wire::Writer& out);
  tally_query* query(uint64_t id) const;
  void deferred(const char* call);  // notes a deferred call that failed

  tally_ctx& ctx_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, tally_query*> queries_;
  std::map<uint64_t, tally_rows*> rows_;
  std::map<uint64_t, tally_table*> tables_;
  std::string deferred_error_;
};

}  // namespace tally::run
