// Classifier: every object gets a class (driver | system | cuda | toolkit | jit | app) and the rule
// that gave it ("<profile>:<rule>"). Rule order: --profile files first, then the driver, CUDA and
// framework profiles (cuda first: its toolkit rules claim stubs/libcuda.so), then what the chosen base provides (system); anything else is app.
#pragma once

#include <functional>
#include <memory>
#include <array>
#include <mutex>
#include <shared_mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "loader/dep_graph.h"
#include "loader/resolver.h"
#include "profile/cuda_compat.h"
#include "profile/profile_set.h"

namespace cuslim {

struct Classification {
  ObjectClass cls = ObjectClass::app;
  std::string rule;        // "<profile>:<rule>", empty for app
  std::string capability;  // for driver files
  std::vector<std::string> jit_when;  // class jit: the distributions whose presence makes it run-time
  // class jit, per framework that runs it: (any of `when`, all of `requires`) must be present
  std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> jit_uses;
  std::string toolkit_rule;  // class jit over a toolkit rule ("cuda:compiler"): what it is without its framework
};

// A jit-class file of a framework that is not present is a stray toolkit file.
ObjectClass class_given(const Classification& c, const std::set<std::string>& present_distributions);
// The rule to name for it then: the toolkit rule it matched, not the absent framework's
// ("cuda:compiler", not "jax:jit-jax", for the toolkit's ptxas in an image without JAX).
std::string rule_given(const Classification& c, const std::set<std::string>& present_distributions);
// The rule to name for a file counted as `counted_as`: a jit file counted as toolkit is named by
// its toolkit rule where it matched one; everything else by its own rule.
std::string rule_for(const Classification& c, ObjectClass counted_as);

class Classifier {
 public:
  // `base`: the base profile (scratch, glibc, debian12, ...); `user`: names of --profile profiles.
  static Result<Classifier> make(const ProfileSet& set, const std::string& base, const std::vector<std::string>& user = {});

  // path/realpath: in-root paths (may be empty for a name never found); name: the needed name.
  Classification classify(const std::string& path, const std::string& realpath, const std::optional<std::string>& soname,
                          const std::string& name) const;
  bool is_driver_name(const std::string& name) const;
  // The profile dlopen edges of one object, placeholders expanded from its file name and, for
  // {cuda_major}/{cuda_minor}, from its CUDA version: `cuda_of(realpath)` (read from the object's
  // contents, minor -1 when only the major is known; asked only when a rule needs it), else cuda_major_by_soname of its soname. An edge
  // group that names {cuda_major} accepts only candidates of that CUDA major (or of none known).
  // {lib_major}/{lib_minor}/{lib_version}: its own version, `library_of(realpath)` (from its code:
  // cuDNN's front library opens libcudnn_graph.so.9.28.0 before .so.9.28 and .so.9).
  using CudaOf = std::function<std::optional<Version>(const std::string& realpath)>;
  std::vector<ExtraEdge> dlopen_edges(const std::string& path, const std::string& realpath, const ElfFile& elf,
                                      const CudaOf& cuda_of = {}, const CudaOf& library_of = {}) const;
  // The CUDA major of a library by its soname (cuda_major_by_soname of the active profiles).
  std::optional<int> cuda_major_of_soname(const std::string& soname) const;
  // Sets class and rule on every object of the graph (threads <= 0: one per core).
  void classify(DepGraph& g, int threads = 0) const;

  const Profile& base() const { return base_; }
  // The position in base().provides of the first pattern that matches one of names.
  std::optional<size_t> provided_at(const std::vector<std::string>& names) const;
  const std::vector<Profile>& active() const { return active_; }

 private:
  std::vector<Profile> active_;  // in rule order, extends resolved
  // For each jit `files` glob of active_ (in order): a literal run every match contains, checked
  // with a substring search before fnmatch ("*-packages/triton/..." has no literal prefix).
  std::vector<std::string> jit_lits_;
  // The same for each `paths` glob of the classification rules of active_ (in order).
  std::vector<std::string> rule_path_lits_;
  // The classification rules of active_ in order (each with the offset of its paths' literals in
  // rule_path_lits_), and their name globs indexed: by the first kNameKey characters of a literal
  // prefix that long, else in name_short_; each list in rule order as (rule, glob) positions. A
  // name is tried against its own bucket only, not all ~100 globs.
  struct RuleAt {
    uint32_t profile, rule;
    size_t path_lits;
  };
  static constexpr size_t kNameKey = 6;
  std::vector<RuleAt> rules_;
  std::unordered_map<std::string, std::vector<std::pair<uint32_t, uint32_t>>> name_index_;
  std::vector<std::pair<uint32_t, uint32_t>> name_short_;
  std::vector<uint32_t> path_rules_;  // rules with paths or a regex
  void index_rules();  // fills rules_, rule_path_lits_ and the name index from active_
  // The position in rules_ of the first rule that matches one of names or paths (rules_.size(): none).
  size_t first_rule(const std::vector<std::string>& names, const std::vector<std::string>& paths) const;
  Profile base_;
  // base_.provides, indexed: each exact name to its position, and the globs with their literal
  // prefix length, in order (the first pattern in the list that matches names the rule).
  std::unordered_map<std::string, size_t> provides_exact_;
  std::vector<std::pair<size_t, size_t>> provides_globs_;  // (position, literal prefix length)
  // is_driver_name answers: every walk asks per needed name, on every core at once, so the memo
  // is split in shards by the name's hash (one lock for all made the cores wait on each other).
  struct MemoShard {
    std::shared_mutex mu;
    std::unordered_map<std::string, bool> driver;
  };
  struct Memo {
    std::array<MemoShard, 32> shards;
  };
  std::shared_ptr<Memo> memo_ = std::make_shared<Memo>();
};

// {major}/{minor}/{version} of a versioned file name: "libnvrtc.so.13.0.88" -> 13, 0, 13.0.88.
struct SoVersion {
  std::string major, minor, version;
};
std::optional<SoVersion> so_version(const std::string& file_name);

}  // namespace cuslim
