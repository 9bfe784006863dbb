// Linked into the prebuilt binaries only (THREADBANK_STATIC_RUNTIME). The static libstdc++
// of Debian 12's GCC 12 refers to arc4random (glibc 2.36) from std::random_device, which
// this addon never uses; the reference alone made the binary refuse to load on glibc 2.34
// and 2.35 (RHEL 9, Ubuntu 22.04). A local definition, hidden, satisfies it at link time, so
// the binary imports nothing newer than glibc 2.34. It is a correct arc4random all the same:
// getrandom() (glibc 2.25) from the kernel's pool.
#include <sys/random.h>

#include <cstdint>
#include <cerrno>
#include <cstdlib>

extern "C" __attribute__((visibility("hidden"))) std::uint32_t arc4random() {
  std::uint32_t value = 0;
  auto* bytes = reinterpret_cast<char*>(&value);
  std::size_t got = 0;
  while (got < sizeof value) {
    const ssize_t n = getrandom(bytes + got, sizeof value - got, 0);
    if (n > 0) got += static_cast<std::size_t>(n);
    else if (n < 0 && errno != EINTR) std::abort();  // arc4random cannot fail: glibc aborts too
  }
  return value;
}
