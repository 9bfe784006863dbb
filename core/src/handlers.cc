#include "threadbank/handlers.h"

namespace threadbank {

void HandlerRegistry::add(const std::string& name, NativeHandler handler) {
  std::lock_guard<std::mutex> lock(mutex_);
  handlers_[name] = std::make_shared<const NativeHandler>(std::move(handler));
}

std::shared_ptr<const NativeHandler> HandlerRegistry::find(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = handlers_.find(name);
  return it == handlers_.end() ? nullptr : it->second;
}

}  // namespace threadbank
