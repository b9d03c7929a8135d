// The messages between tally and its plugin host child (`isolation:
// process`): length-prefixed frames over a socketpair, each an opcode and a
// payload of little-endian integers, doubles and (length, bytes) strings.
// Header-only, no dependency but the C boundary: core/plugin_host/ builds it
// without the rest of the host.
//
// A run: tally sends Load; the child opens the plugin and answers Loaded.
// Then for each invocation tally sends Run; while the plugin runs the child
// sends one message per host call (the Op of the entry); the calls that
// return something wait for a Reply; Log, SetError, QueryFree and RowsFree
// do not. The child ends the invocation with Done.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <tally/plugin.h>

namespace tally::wire {

enum Op : uint32_t {
  // tally -> child
  kLoad = 1,
  kRun = 2,
  kReply = 3,
  // child -> tally
  kLoaded = 10,
  kDone = 11,
  kOutOfMemory = 12,
  // host calls, child -> tally
  kLog = 100,
  kLastError,
  kSetError,
  kParamGet,
  kParamListSize,
  kParamListItem,
  kHasCompare,
  kPeriod,
  kFiscalYearStart,
  kCurrency,
  kQueryNew,
  kQuerySelect,
  kQueryWhere,
  kQueryGroupBy,
  kQueryOrderBy,
  kQueryLimit,
  kQueryBind,
  kQueryUsePeriod,
  kQueryRun,
  kQueryFree,
  kRowsFetch,
  kRowsFree,
  kAddKpi,
  kAddTable,
  kTableAddColumn,
  kTableSetChart,
  kTableAddRow,
  kConfigTarget,
  kRunTitle,
  kMetricCount,
  kMetricInfo,
  kMetricKpi,
  kMetricTable,
  kTableColumn,
  kTableCell,
  kWriteOutput,
  kOutputIsTty,
  kAddNote,
  kMetricNoteCount,
  kMetricNote,
  kRunWarningCount,
  kRunWarning,
  kRunFactCount,
  kRunFactName,
  kRunFact,
  kAddDrilldown,
  kRowsBadColumn,  // rows_get past the row: sets tally's last error
  kLastOp
};

// Rows sent per message when a query's rows are read.
constexpr uint32_t kRowsPerChunk = 2048;
// Largest frame accepted; far above any real message.
constexpr uint32_t kMaxFrame = 1u << 30;

class Writer {
 public:
  Writer& u8(uint8_t v) { return raw(&v, 1); }
  Writer& u32(uint32_t v) { return raw(&v, 4); }
  Writer& i32(int32_t v) { return raw(&v, 4); }
  Writer& u64(uint64_t v) { return raw(&v, 8); }
  Writer& i64(int64_t v) { return raw(&v, 8); }
  Writer& f64(double v) { return raw(&v, 8); }
  Writer& str(std::string_view s) {
    u64(s.size());
    buffer_.append(s.data(), s.size());
    return *this;
  }
  Writer& str(tally_str s) { return str(s.data ? std::string_view(s.data, s.size) : std::string_view()); }
  Writer& value(const tally_value& v) {
    i32(v.type);
    if (v.type == TALLY_VALUE_INT) i64(v.i);
    if (v.type == TALLY_VALUE_REAL) f64(v.d);
    if (v.type == TALLY_VALUE_TEXT) str(v.s);
    return *this;
  }
  Writer& append(const Writer& other) {
    buffer_ += other.buffer_;
    return *this;
  }
  const std::string& data() const { return buffer_; }

 private:
  Writer& raw(const void* p, size_t n) {
    buffer_.append(static_cast<const char*>(p), n);
    return *this;
  }
  std::string buffer_;
};

// Reads a payload; a short or malformed payload sets !ok() and yields zeros.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool ok() const { return ok_; }
  bool at_end() const { return at_ == data_.size(); }
  uint8_t u8() { return get<uint8_t>(); }
  uint32_t u32() { return get<uint32_t>(); }
  int32_t i32() { return get<int32_t>(); }
  uint64_t u64() { return get<uint64_t>(); }
  int64_t i64() { return get<int64_t>(); }
  double f64() { return get<double>(); }
  std::string str() {
    const uint64_t n = u64();
    if (!ok_ || n > data_.size() - at_) {
      ok_ = false;
      return {};
    }
    std::string out(data_.substr(at_, n));
    at_ += n;
    return out;
  }
  // A value; its text (if any) is stored in `text`, which must outlive the use of `out.s`.
  tally_value value(std::string& text) {
    tally_value v{};
    v.type = i32();
    if (v.type == TALLY_VALUE_INT) v.i = i64();
    if (v.type == TALLY_VALUE_REAL) v.d = f64();
    if (v.type == TALLY_VALUE_TEXT) {
      text = str();
      v.s = tally_str{text.data(), text.size()};
    }
    if (v.type < TALLY_VALUE_NULL || v.type > TALLY_VALUE_TEXT) ok_ = false;
    return v;
  }

 private:
  template <typename T>
  T get() {
    T v{};
    if (!ok_ || data_.size() - at_ < sizeof v) {
      ok_ = false;
      return v;
    }
    std::memcpy(&v, data_.data() + at_, sizeof v);
    at_ += sizeof v;
    return v;
  }
  std::string_view data_;
  size_t at_ = 0;
  bool ok_ = true;
};

// Writes one frame; false when the other side is gone.
inline bool send_frame(int fd, uint32_t op, const std::string& payload) {
  std::string frame;
  const uint32_t size = static_cast<uint32_t>(payload.size() + 4);
  frame.append(reinterpret_cast<const char*>(&size), 4);
  frame.append(reinterpret_cast<const char*>(&op), 4);
  frame.append(payload);
  for (size_t done = 0; done < frame.size();) {
    const ssize_t n = ::send(fd, frame.data() + done, frame.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

enum class Received { Frame, Closed, TimedOut, Malformed };

// Reads one frame, waiting until `deadline` at most.
inline Received recv_frame(int fd, uint32_t& op, std::string& payload,
                           std::chrono::steady_clock::time_point deadline) {
  auto read_all = [&](char* into, size_t n) -> Received {
    for (size_t done = 0; done < n;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return Received::TimedOut;
      pollfd p{fd, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count() + 1, 1 << 30)));
      if (ready < 0 && errno == EINTR) continue;
      if (ready == 0) continue;
      const ssize_t got = ::recv(fd, into + done, n - done, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return Received::Closed;
      done += static_cast<size_t>(got);
    }
    return Received::Frame;
  };
  uint32_t header[2];
  if (auto r = read_all(reinterpret_cast<char*>(header), 8); r != Received::Frame) return r;
  if (header[0] < 4 || header[0] > kMaxFrame) return Received::Malformed;
  op = header[1];
  payload.resize(header[0] - 4);
  return read_all(payload.data(), payload.size());
}

}  // namespace tally::wire
