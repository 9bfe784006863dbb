#include "threadbank/outbox.h"

#include <utility>

namespace threadbank {

void OutboxChannel::push(Dispatch dispatch) {
  std::lock_guard<std::mutex> lock(mutex_);
  box_.dispatches.push_back(std::move(dispatch));
}

void OutboxChannel::push(const Abort& abort) {
  std::lock_guard<std::mutex> lock(mutex_);
  box_.aborts.push_back(abort);
}

void OutboxChannel::push(Settlement settlement) {
  std::lock_guard<std::mutex> lock(mutex_);
  box_.settlements.push_back(std::move(settlement));
}

void OutboxChannel::push(const Event& event) {
  std::lock_guard<std::mutex> lock(mutex_);
  box_.events.push_back(event);
}

void OutboxChannel::push(RequestStore::Evicted evicted) {
  std::lock_guard<std::mutex> lock(mutex_);
  box_.evicted.push_back(std::move(evicted));
}

void OutboxChannel::signal() {
  if (signaled_.load(std::memory_order_acquire)) return;
  // Under the listener's own lock: once set_listener() returns, the old listener is not
  // running and never will be.
  std::lock_guard<std::mutex> calling(listener_mutex_);
  bool tell = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    tell = !signaled_ && !box_.empty();
    if (tell) signaled_ = true;
  }
  if (tell && listener_) listener_();
}

void OutboxChannel::take(Outbox& out) {
  // Cleared before the lock: freeing the last take's results is no work for it.
  out.dispatches.clear();
  out.aborts.clear();
  out.settlements.clear();
  out.events.clear();
  out.evicted.clear();
  std::lock_guard<std::mutex> lock(mutex_);
  std::swap(out.dispatches, box_.dispatches);
  std::swap(out.aborts, box_.aborts);
  std::swap(out.settlements, box_.settlements);
  std::swap(out.events, box_.events);
  std::swap(out.evicted, box_.evicted);
  signaled_ = false;
}

void OutboxChannel::set_listener(std::function<void()> listener) {
  std::lock_guard<std::mutex> lock(listener_mutex_);
  listener_ = std::move(listener);
}

}  // namespace threadbank
