#pragma once
// Pthread builds only: takes a scratch engine through the calls a page's first manager
// makes, on a thread of its own, before the page makes them (warm_up.cc).

namespace threadbank::wasm {

/// Starts the warm-up thread and returns at once. When the thread is done, JS's
/// Module.threadbankWarmedUp(error) runs on the main thread: "" if every call went through,
/// else what failed. Returns false (and calls nothing) if the thread could not start.
bool warm_up_off_thread();

}  // namespace threadbank::wasm
