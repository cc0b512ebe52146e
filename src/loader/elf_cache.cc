#include "loader/elf_cache.h"

namespace cuslim {

std::shared_ptr<const Result<ElfFile>> ElfCache::get(const std::string& realpath) {
  {
    std::shared_lock lock(mu_);
    if (auto it = files_.find(realpath); it != files_.end()) return it->second;
  }
  // Parse outside the lock so both cores can parse; a rare duplicate parse is harmless.
  auto parsed = std::make_shared<const Result<ElfFile>>(ElfFile::read(root_.host_path(realpath), realpath, ElfFile::Parts::loader));
  std::unique_lock lock(mu_);
  return files_.emplace(realpath, std::move(parsed)).first->second;
}

}  // namespace cuslim
