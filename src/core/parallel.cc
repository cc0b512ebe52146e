#include "core/parallel.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace cuslim {

void parallel_for(size_t n, int threads, const std::function<void(size_t)>& fn, size_t grain) {
  size_t want = threads > 0 ? static_cast<size_t>(threads) : std::max(1u, std::thread::hardware_concurrency());
  want = std::min(want, (n + std::max<size_t>(grain, 1) - 1) / std::max<size_t>(grain, 1));
  std::atomic<size_t> next{0};
  std::exception_ptr first;
  std::mutex mu;
  auto worker = [&] {
    for (size_t i; (i = next++) < n;) {
      try {
        fn(i);
      } catch (...) {
        std::lock_guard lock(mu);
        if (!first) first = std::current_exception();
        next = n;  // the others stop at their next index
      }
    }
  };
  {
    std::vector<std::jthread> pool;
    for (size_t t = 1; t < want; ++t) pool.emplace_back(worker);
    worker();
  }
  if (first) std::rethrow_exception(first);
}

}  // namespace cuslim
