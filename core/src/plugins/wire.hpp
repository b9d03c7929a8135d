// The messages between tally and its plugin host child (`isolation:
// process`): length-prefixed frames over a socketpair, each an opcode and a
// payload of little-endian integers, doubles and (length, bytes) strings.
// Header-only, no dependency but the C boundary: core/plugin_host/ builds it
// without the rest of the host.
//
// A run: tally spawns the child and sends Load at once (children are started
// up front, side by side); the child opens the plugin and answers Loaded
// (with the time it was ready), read at the plugin's turn. For each
// invocation tally sends Run, carrying a snapshot of every answer that cannot
// change during it (params, periods, currency, config targets, and for a
// report the whole finished run: run/isolated_calls.cpp), which the child
// answers from itself. Every other host call is one message (the Op of the
// entry); the calls that return something wait for a Reply. Log and
// SetError return nothing and are sent at once; QueryFree, RowsFree and
// QueryUsePeriod return nothing that can fail, and the *Deferred calls are
// ones the child knows will succeed; none changes anything anyone sees if the
// plugin dies, so the child queues them and sends them in one write
// with the next call that waits, or with Done. tally reads whole batches with
// one recv (FrameReader).
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
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
  // Calls the child answered itself, their success known from their
  // arguments (and the snapshot's dataset names): no reply; tally fails the
  // invocation should one fail after all.
  kQueryNewDeferred,  // with the child's id for the query (kChildIds | n)
  kAddNoteDeferred,
  kAddDrilldownDeferred,
  kLastOp
};

// Ids the child gives its own queries (kQueryNewDeferred); tally's ids stay below.
constexpr uint64_t kChildIds = uint64_t{1} << 62;

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
  size_t remaining() const { return data_.size() - at_; }
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

// Writes `size` bytes; false when the other side is gone.
inline bool send_all(int fd, const char* data, size_t size) {
  for (size_t done = 0; done < size;) {
    const ssize_t n = ::send(fd, data + done, size - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// The 8-byte header of a frame: its size after the size field, then its op.
inline void frame_header(char* into, uint32_t op, size_t payload_size) {
  const uint32_t size = static_cast<uint32_t>(payload_size + 4);
  std::memcpy(into, &size, 4);
  std::memcpy(into + 4, &op, 4);
}

// Writes one frame with one system call (header and payload gathered, not
// copied); false when the other side is gone.
inline bool send_frame(int fd, uint32_t op, std::string_view payload) {
  char header[8];
  frame_header(header, op, payload.size());
  iovec parts[2] = {{header, 8}, {const_cast<char*>(payload.data()), payload.size()}};
  msghdr message{};
  message.msg_iov = parts;
  message.msg_iovlen = payload.empty() ? 1 : 2;
  size_t left = 8 + payload.size();
  for (;;) {
    const ssize_t n = ::sendmsg(fd, &message, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    left -= static_cast<size_t>(n);
    if (left == 0) return true;
    // A partial write (a frame larger than the socket buffer): the rest plainly.
    size_t sent = static_cast<size_t>(n);
    if (sent < 8) {
      if (!send_all(fd, header + sent, 8 - sent)) return false;
      sent = 8;
    }
    return send_all(fd, payload.data() + (sent - 8), payload.size() - (sent - 8));
  }
}

enum class Received { Frame, Closed, TimedOut, Malformed };

// Reads frames through a buffer: one recv() usually brings a whole frame, and
// every frame the other side sent meanwhile, so a batch of calls costs one
// wake-up. Without a deadline it blocks in recv() and needs no poll().
class FrameReader {
 public:
  explicit FrameReader(int fd) : fd_(fd), buffer_(kChunk, '\0') {}
  static constexpr auto kForever = std::chrono::steady_clock::time_point::max();

  // The next frame, waiting until `deadline` at most.
  Received next(uint32_t& op, std::string& payload, std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      const size_t held = end_ - start_;
      if (held >= 8) {
        uint32_t header[2];
        std::memcpy(header, buffer_.data() + start_, 8);
        if (header[0] < 4 || header[0] > kMaxFrame) return Received::Malformed;
        const size_t whole = size_t{header[0]} + 4;
        if (held >= whole) {
          op = header[1];
          payload.assign(buffer_.data() + start_ + 8, whole - 8);
          start_ += whole;
          return Received::Frame;
        }
        make_room(whole);
      } else {
        make_room(8);
      }
      if (auto r = fill(deadline); r != Received::Frame) return r;
    }
  }

 private:
  static constexpr size_t kChunk = 64 * 1024;

  // Room for a frame of `whole` bytes from start_ on.
  void make_room(size_t whole) {
    if (start_ > 0 && start_ + whole > buffer_.size()) {
      std::memmove(buffer_.data(), buffer_.data() + start_, end_ - start_);
      end_ -= start_;
      start_ = 0;
    }
    if (whole > buffer_.size()) buffer_.resize(std::max(whole, 2 * buffer_.size()));
  }

  // Reads what is there (at least one byte) into the free end of the buffer.
  Received fill(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      if (deadline != kForever) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return Received::TimedOut;
        pollfd p{fd_, POLLIN, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count() + 1, 1 << 30)));
        if (ready < 0 && errno == EINTR) continue;
        if (ready == 0) continue;
      }
      const ssize_t got = ::recv(fd_, buffer_.data() + end_, buffer_.size() - end_, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return Received::Closed;
      end_ += static_cast<size_t>(got);
      return Received::Frame;
    }
  }

  int fd_;
  std::string buffer_;
  size_t start_ = 0, end_ = 0;  // the unread bytes
};

}  // namespace tally::wire
