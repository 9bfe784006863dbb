#pragma once
// Destroys closed engines off the browser's main thread (pthread builds only).
//
// Destroying an engine joins its timer and native threads, and the main thread must never
// wait on a worker: a native handler may take its time to notice it was cancelled. A
// thread started per close was not enough either: starting it could wait on the thread
// list's lock while earlier ones exited. So one thread, started with the first engine
// (where the engine's own threads start anyway), takes closed engines through a lock-free
// list and a futex: handing one over never waits.
#include <emscripten/threading.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <memory>
#include <thread>

#include "threadbank/engine.h"

namespace threadbank::wasm {

class Reaper {
 public:
  static Reaper& instance() {
    static Reaper* reaper = new Reaper();  // lives as long as the module
    return *reaper;
  }

  void take(std::unique_ptr<Engine> engine) {
    auto* node = new Node{std::move(engine), head_.load(std::memory_order_relaxed)};
    while (!head_.compare_exchange_weak(node->next, node, std::memory_order_release,
                                        std::memory_order_relaxed)) {
    }
    sequence_.fetch_add(1, std::memory_order_release);
    emscripten_futex_wake(&sequence_, 1);
  }

 private:
  struct Node {
    std::unique_ptr<Engine> engine;
    Node* next;
  };

  Reaper() {
    std::thread([this] { run(); }).detach();
  }

  [[noreturn]] void run() {
    for (;;) {
      std::int32_t seen = sequence_.load(std::memory_order_acquire);
      Node* list = head_.exchange(nullptr, std::memory_order_acquire);
      if (list == nullptr) {
        // Returns at once if a take() came after the load above.
        emscripten_futex_wait(&sequence_, static_cast<std::uint32_t>(seen), INFINITY);
        continue;
      }
      while (list != nullptr) {
        Node* next = list->next;
        delete list;  // ~Engine joins its threads here
        list = next;
      }
    }
  }

  std::atomic<Node*> head_{nullptr};
  std::atomic<std::int32_t> sequence_{0};
};

}  // namespace threadbank::wasm
