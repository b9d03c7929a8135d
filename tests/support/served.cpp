#include "support/served.hpp"
#include "support/fixture.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace tally::testing {

namespace {}  // namespace

Served::Served(const std::string& args) {
  const std::string command = std::string("exec '") + TALLY_EXE + "' serve " + args + " --port 0 >'" +
                              dir_.file("out") + "' 2>'" + dir_.file("err") + "' </dev/null";
  pid_ = fork();
  if (pid_ == 0) {
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Until it says where it listens, or ends.
  const std::regex listening(R"(http://127\.0\.0\.1:(\d+)/)");
  for (int i = 0; i < 1200 && pid_ > 0; ++i) {
    std::smatch m;
    const std::string out = slurp(dir_.file("out"));
    if (std::regex_search(out, m, listening)) {
      port_ = std::stoi(m[1]);
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Served::~Served() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

std::string Served::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::string Served::output() const {
  return slurp(dir_.file("out"));
}

std::string Served::errors() const {
  return slurp(dir_.file("err"));
}

}  // namespace tally::testing
