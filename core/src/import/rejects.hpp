// Rejected rows: the DB.rejects.csv file written beside the store (replaced
// by each import, removed by one without rejects) and the first few kept for
// the summary.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "import/importer.hpp"

namespace tally::import {

namespace fs = std::filesystem;

std::string csv_quote(std::string_view s);
std::string record_as_csv(const std::vector<std::string>& fields);

class RejectWriter {
 public:
  RejectWriter(std::string path, bool keep_all, bool to_file) : path_(std::move(path)), keep_all_(keep_all) {
    if (to_file) tmp_path_ = path_ + ".partial";
  }
  ~RejectWriter() {
    if (out_.is_open()) out_.close();
    if (!tmp_path_.empty() && !committed_) {
      std::error_code ec;
      fs::remove(tmp_path_, ec);
    }
  }

  void add(Reject reject, ImportSummary& summary) {
    ++count_;
    if (!tmp_path_.empty()) {
      if (!out_.is_open()) {
        out_.open(tmp_path_, std::ios::binary | std::ios::trunc);
        if (!out_) throw std::runtime_error("cannot write rejects to '" + tmp_path_ + "'");
        out_ << "file,line,column,reason,raw\n";
      }
      out_ << csv_quote(reject.file) << ',' << reject.line << ',' << csv_quote(reject.column) << ','
           << csv_quote(reject.reason) << ',' << csv_quote(reject.raw) << '\n';
    }
    if (keep_all_ || summary.rejects.size() < 10) summary.rejects.push_back(std::move(reject));
  }

  // After the commit: the rejects file replaces the last one (or the last
  // one goes, when this import had none).
  void commit(ImportSummary& summary) {
    if (tmp_path_.empty()) return;
    std::error_code ec;
    if (out_.is_open()) {
      out_.close();
      fs::rename(tmp_path_, path_, ec);
      if (ec) {
        // The rows are committed by now: keep the rejects where they are.
        committed_ = true;
        throw std::runtime_error("the import is committed, but its rejects could not be moved to '" + path_ +
                                 "' (" + ec.message() + "); they are in '" + tmp_path_ + "'");
      }
      summary.rejects_path = path_;
    } else {
      fs::remove(path_, ec);
    }
    committed_ = true;
  }

  int64_t count() const { return count_; }

 private:
  std::string path_;
  std::string tmp_path_;
  bool keep_all_;
  bool committed_ = false;
  std::ofstream out_;
  int64_t count_ = 0;
};

}  // namespace tally::import
