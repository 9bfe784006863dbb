// Appended to the generated loader (--post-js). In Node, pthread workers are
// worker_threads that keep the process alive even when idle; threadbank keeps the process
// alive itself while requests are pending, so it unrefs them (Emscripten 3.1.6 does not).
Module['threadbankUnrefWorkers'] = function () {
  if (typeof PThread === 'undefined') return;
  var all = PThread.unusedWorkers.concat(PThread.runningWorkers);
  for (var i = 0; i < all.length; i++) {
    if (all[i] && typeof all[i].unref === 'function') all[i].unref();
  }
};
