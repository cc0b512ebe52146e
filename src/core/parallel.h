// parallel_for: fn(0) ... fn(n-1) on a few threads taking the next index as they go. An exception
// thrown by fn never leaves a worker thread (that would be std::terminate): the first one is
// rethrown on the calling thread once every worker has stopped.
#pragma once

#include <cstddef>
#include <functional>

namespace cuslim {

// threads <= 0: one per core. At most one thread per `grain` items (a thread costs more than a
// few cheap items: `deps` of one small target starts none); the calling thread is one of them.
void parallel_for(size_t n, int threads, const std::function<void(size_t)>& fn, size_t grain = 1);

}  // namespace cuslim
