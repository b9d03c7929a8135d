#include "deliver/outbox.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace tally::deliver {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kMeta = "meta.json";
const char* kPayload = "payload";

void write_private(const fs::path& path, const std::string& contents) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + tmp.string() + ": " + std::strerror(errno));
    ::chmod(tmp.c_str(), 0600);
    out << contents;
    out.flush();
    if (!out) throw std::runtime_error("cannot write " + tmp.string() + ": " + std::strerror(errno));
  }
  fs::rename(tmp, path);
}

json meta_of(const OutboxEntry& e) {
  return {{"config", e.config},
          {"target_index", e.target_index},
          {"target_name", e.target_name},
          {"target", e.target},
          {"kind", e.kind},
          {"created", e.created},
          {"title", e.title},
          {"period", e.period},
          {"attempts", e.attempts},
          {"last_error", e.last_error}};
}

std::string utc_stamp() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

}  // namespace

std::string default_outbox() {
  if (const char* env = std::getenv("TALLY_OUTBOX"); env && *env) return env;
  if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state)
    return (fs::path(state) / "tally" / "outbox").string();
  if (const char* home = std::getenv("HOME"); home && *home)
    return (fs::path(home) / ".local" / "state" / "tally" / "outbox").string();
  return ".tally-outbox";
}

std::string outbox_add(const std::string& outbox, const OutboxEntry& entry) {
  std::error_code ec;
  fs::create_directories(outbox, ec);
  if (ec) throw std::runtime_error("cannot create the outbox " + outbox + ": " + ec.message());
  ::chmod(outbox.c_str(), 0700);
  static std::atomic<int> counter{0};
  std::string slug;
  for (char c : entry.target_name)
    slug += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '-';
  fs::path dir;
  for (int attempt = 0;; ++attempt) {
    dir = fs::path(outbox) / (utc_stamp() + "-" + std::to_string(::getpid()) + "-" +
                              std::to_string(counter++) + "-" + slug.substr(0, 40));
    if (::mkdir(dir.c_str(), 0700) == 0) break;
    if (errno != EEXIST || attempt > 100)
      throw std::runtime_error("cannot create " + dir.string() + ": " + std::strerror(errno));
  }
  write_private(dir / kPayload, entry.payload);
  write_private(dir / kMeta, meta_of(entry).dump(2) + "\n");
  return dir.string();
}

std::vector<OutboxEntry> outbox_list(const std::string& outbox) {
  std::vector<OutboxEntry> entries;
  std::error_code ec;
  if (!fs::is_directory(outbox, ec)) return entries;
  for (const auto& item : fs::directory_iterator(outbox, ec)) {
    if (!item.is_directory()) continue;
    OutboxEntry e;
    e.dir = item.path().string();
    std::ifstream in(item.path() / kMeta);
    if (!in) {
      e.last_error = "no meta.json: not a Tally outbox entry, or an unfinished one";
      entries.push_back(std::move(e));
      continue;
    }
    try {
      json meta = json::parse(in);
      e.config = meta.at("config").get<std::string>();
      e.target_index = meta.at("target_index").get<int>();
      e.target_name = meta.at("target_name").get<std::string>();
      e.target = meta.value("target", "");
      e.kind = meta.value("kind", "");
      e.created = meta.value("created", "");
      e.title = meta.value("title", "");
      e.period = meta.value("period", "");
      e.attempts = meta.value("attempts", 0);
      e.last_error = meta.value("last_error", "");
    } catch (const std::exception& ex) {
      e.config.clear();
      e.last_error = std::string("meta.json cannot be read: ") + ex.what();
    }
    entries.push_back(std::move(e));
  }
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.dir < b.dir; });
  return entries;
}

std::string outbox_payload(const OutboxEntry& entry) {
  std::ifstream in(fs::path(entry.dir) / kPayload, std::ios::binary);
  if (!in) throw std::runtime_error("the entry has no payload file");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void outbox_update(const OutboxEntry& entry) {
  write_private(fs::path(entry.dir) / kMeta, meta_of(entry).dump(2) + "\n");
}

void outbox_remove(const OutboxEntry& entry) {
  std::error_code ec;
  fs::remove_all(entry.dir, ec);
  if (ec) throw std::runtime_error("cannot remove " + entry.dir + ": " + ec.message());
}

}  // namespace tally::deliver
