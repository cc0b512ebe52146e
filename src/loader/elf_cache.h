// Each object is parsed once (the loader's parts only: headers and the dynamic array): ElfFiles by their canonical in-root path, shared by every lookup
// and every thread.
#pragma once

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "core/root.h"
#include "elf/elf_file.h"

namespace cuslim {

class ElfCache {
 public:
  explicit ElfCache(const Root& root) : root_(root) {}
  // `realpath` is a canonical in-root path. The result (or the error) is cached.
  std::shared_ptr<const Result<ElfFile>> get(const std::string& realpath);

 private:
  const Root& root_;
  std::shared_mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const Result<ElfFile>>> files_;
};

}  // namespace cuslim
