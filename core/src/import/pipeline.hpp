// Batches of rows between the thread that reads and maps records and the
// one that writes them (Importer::import).
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <vector>

#include "import/engine.hpp"

namespace tally::import {

// Batches between the thread that reads and maps records and the one that
// writes them: the mapper takes a free batch, fills it and pushes it; the
// writer takes full batches in order and gives them back. A fixed number of
// batches circulate, so memory stays flat.
class BatchPipe {
 public:
  BatchPipe(size_t batches, size_t rows, size_t fields) {
    for (size_t i = 0; i < batches; ++i) {
      storage_.push_back(std::make_unique<RowBatch>(rows, fields));
      free_.push_back(storage_.back().get());
    }
  }

  // Mapper side. nullptr once the writer has given up.
  RowBatch* take_free() {
    auto t0 = Clock::now();
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return cancelled_ || !free_.empty(); });
    mapper_waited += seconds_since(t0);
    if (cancelled_) return nullptr;
    RowBatch* batch = free_.front();
    free_.pop_front();
    return batch;
  }
  void push_full(RowBatch* batch) { push(full_, batch); }
  // No more batches; `error` (may be null) is rethrown on the writer's side
  // after the batches before it.
  void finish(std::exception_ptr error) {
    {
      std::lock_guard lock(mutex_);
      finished_ = true;
      error_ = std::move(error);
    }
    changed_.notify_all();
  }

  // Writer side. nullptr after the last batch.
  RowBatch* take_full() {
    auto t0 = Clock::now();
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return finished_ || !full_.empty(); });
    writer_waited += seconds_since(t0);
    if (full_.empty()) return nullptr;
    RowBatch* batch = full_.front();
    full_.pop_front();
    return batch;
  }
  void give_back(RowBatch* batch) { push(free_, batch); }
  void cancel() {
    {
      std::lock_guard lock(mutex_);
      cancelled_ = true;
    }
    changed_.notify_all();
  }
  void rethrow_error() {
    if (error_) std::rethrow_exception(error_);
  }

  // Which side sets the pace (-vv).
  double mapper_waited = 0;  // for a free batch: the writer is slower
  double writer_waited = 0;  // for a full batch: mapping is slower

 private:
  void push(std::deque<RowBatch*>& queue, RowBatch* batch) {
    {
      std::lock_guard lock(mutex_);
      queue.push_back(batch);
    }
    changed_.notify_all();
  }

  std::vector<std::unique_ptr<RowBatch>> storage_;
  std::deque<RowBatch*> free_, full_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool finished_ = false;
  bool cancelled_ = false;
  std::exception_ptr error_;
};

}  // namespace tally::import
