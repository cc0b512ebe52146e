// Blobs moved a few at a time (push and pull): up to `jobs` workers, each on its own connection
// (a RegistryClient forked from one that already answered the registry's auth challenge), take the
// next blob until none is left or one failed. Byte counts from every worker meet in one
// TransferMeter, which reports progress from one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>

#include "core/error.h"
#include "registry/registry_client.h"

namespace cuslim {

using TransferProgress = std::function<void(uint64_t done, uint64_t total)>;

// Bytes moved of `total`, from any thread; `progress` is called under a lock (progress lines are
// not thread-safe). `done` never passes `total` (a retried request counts its bytes again).
class TransferMeter {
 public:
  TransferMeter(TransferProgress progress, uint64_t total) : progress_(std::move(progress)), total_(total) {}
  void add(uint64_t n);

 private:
  std::mutex mu_;
  TransferProgress progress_;
  uint64_t total_ = 0, done_ = 0;
};

// Calls `fn(client, i)` for i in [0, count), on up to `jobs` threads: blob 0 first on `first`
// alone (it answers the auth challenge the forks then share), the rest on `first` and forks of it. After a failure no new blob is started; the error of the lowest index
// that failed is returned. jobs <= 1 (or one blob): in order, on this thread.
Status for_each_blob(size_t count, int jobs, RegistryClient& first, const std::function<Status(RegistryClient&, size_t)>& fn);

}  // namespace cuslim
