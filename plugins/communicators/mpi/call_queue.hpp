#pragma once
// Runs calls one at a time, in the order they were submitted, on a thread of its own. The mpi communicator makes
// every MPI call there: the trainer's thread goes on with the backward pass while a bucket is being reduced, and
// MPI sees a single calling thread (MPI_THREAD_SERIALIZED is enough).
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

namespace nnplug::mpi {

class CallQueue {
 public:
  CallQueue() : thread_([this] { run(); }) {}
  ~CallQueue() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_one();
    thread_.join();
  }
  CallQueue(const CallQueue&) = delete;
  CallQueue& operator=(const CallQueue&) = delete;

  // The future holds the call's exception, if it threw.
  std::future<void> submit(std::function<void()> call) {
    std::packaged_task<void()> task(std::move(call));
    auto done = task.get_future();
    {
      std::lock_guard lock(mutex_);
      calls_.push_back(std::move(task));
    }
    ready_.notify_one();
    return done;
  }

 private:
  void run() {
    for (;;) {
      std::packaged_task<void()> task;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [this] { return stopping_ || !calls_.empty(); });
        if (calls_.empty()) return;  // stopping, and nothing left to run
        task = std::move(calls_.front());
        calls_.pop_front();
      }
      task();
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::packaged_task<void()>> calls_;
  bool stopping_ = false;
  std::thread thread_;  // last: it starts once everything above exists
};

}  // namespace nnplug::mpi
