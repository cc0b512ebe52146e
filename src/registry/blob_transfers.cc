#include "registry/blob_transfers.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <optional>
#include <thread>
#include <vector>

namespace cuslim {

void TransferMeter::add(uint64_t n) {
  if (!progress_) return;
  std::lock_guard lock(mu_);
  done_ = std::min(total_, done_ + n);
  progress_(done_, total_);
}

Status for_each_blob(size_t count, int jobs, RegistryClient& first, const std::function<Status(RegistryClient&, size_t)>& fn) {
  size_t workers = std::min<size_t>(count, static_cast<size_t>(std::max(jobs, 1)));
  if (workers <= 1) {
    for (size_t i = 0; i < count; ++i) {
      CUSLIM_CHECK(fn(first, i));
    }
    return ok_status();
  }
  // The first blob (the config: small) moves alone: it answers the registry's auth challenge
  // once, and the forks start with that answer instead of each asking the token server.
  CUSLIM_CHECK(fn(first, 0));
  workers = std::min(workers, count - 1);
  // Forks first: a connection that cannot be made fails the whole transfer before any blob moves.
  std::vector<RegistryClient> forks;
  for (size_t w = 1; w < workers; ++w) {
    CUSLIM_TRY(auto c, first.fork());
    forks.push_back(std::move(c));
  }
  std::atomic<size_t> next{1};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::optional<std::pair<size_t, Error>> first_error;  // (index, error) of the lowest index that failed
  std::exception_ptr thrown;  // an exception on a worker is rethrown here, to main's error boundary, not std::terminate
  auto work = [&](RegistryClient& c) {
    try {
      for (size_t i; !failed && (i = next++) < count;) {
        Status st = fn(c, i);
        if (st.ok()) continue;
        failed = true;
        std::lock_guard lock(mu);
        if (!first_error || i < first_error->first) first_error.emplace(i, st.error());
      }
    } catch (...) {
      failed = true;
      std::lock_guard lock(mu);
      if (!thrown) thrown = std::current_exception();
    }
  };
  std::vector<std::thread> threads;
  for (auto& c : forks) threads.emplace_back(work, std::ref(c));
  work(first);
  for (auto& t : threads) t.join();
  if (thrown) std::rethrow_exception(thrown);
  if (first_error) return first_error->second;
  return ok_status();
}

}  // namespace cuslim
