// DepGraph: the objects a set of targets loads, the edges between them, and what is missing.
// Objects are keyed by their canonical in-root path, so cycles and diamonds collapse naturally.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/object_class.h"
#include "loader/search_plan.h"

namespace cuslim {

// Adds path p to also_at once, unless it is the object's own path `own` (or empty).
void add_other_path(std::vector<std::string>& also_at, const std::string& own, const std::string& p);

struct DepObject {
  std::optional<std::string> path;  // in-root path it was found through; null for an absent driver leaf
  std::string realpath;             // canonical in-root path ("" when path is null)
  // Other in-root paths the same file was found through (another target's PT_INTERP
  // /lib64/ld-linux-x86-64.so.2 where a library's walk found it in /usr/lib/x86_64-linux-gnu; a
  // second name in another directory): an image must hold each, or that lookup fails there.
  std::vector<std::string> also_at;
  std::string name;                 // the name it was first asked for (the target path for roots)
  std::optional<std::string> soname;
  How how = How::direct;
  uint64_t size = 0;
  int machine = 0, elf_class = 0, elf_type = 0;
  bool has_interp = false;
  std::vector<std::string> needed;
  std::vector<std::string> parents;  // paths (or names) of the objects that needed it
  ObjectClass cls = ObjectClass::app;
  std::string rule;                  // the profile rule that gave the class
  bool root = false;                 // one of the targets
  bool leaf = false;                 // not descended (driver class)
};

struct DepEdge {
  size_t from = 0, to = 0;
  std::string name;  // the DT_NEEDED (or dlopen) name
  How how = How::direct;
};

struct MissingDep {
  std::string name;
  std::string needed_by;
  std::vector<std::string> tried;  // every directory probed, in order ("ld.so.cache" for the cache)
  std::string refused;             // "PATH: WHY" when the search found a file the loader refuses ("" when nothing was found)
};

// A dlopen edge's candidate the search found and the loading library would refuse (a cuDNN sub-
// library of another CUDA build): not in the graph, said instead of being silently absent.
struct PassedOver {
  std::string name;       // the name dlopen asks for
  std::string needed_by;  // the loading object's path
  std::string found;      // in-root realpath of the candidate passed over
  std::string why;        // "built for CUDA 13.1; libcudnn.so.9 is for CUDA 12.9"
  bool by_loader = false;  // the loader itself refuses it (not an ELF object, ...), not the loading library
};

// "FOUND: passed over for NEEDED_BY's dlopen of NAME (WHY: it would refuse it)", for warnings.
std::string describe(const PassedOver& p);
// "not found", or "refused by the loader (PATH: WHY)" when the search stopped at a file it refuses.
std::string missing_what(const MissingDep& m);
// "NEEDED_BY dlopens NAME at run time and fails without it: not found", for a dlopen_unmet entry.
std::string describe_unmet(const MissingDep& m);

class DepGraph {
 public:
  std::vector<std::string> roots;
  std::vector<size_t> root_objects;  // the object each root is, in the same order (a root may
                                     // have been met first as another root's dependency)
  std::vector<DepObject> objects;
  std::vector<DepEdge> edges;
  std::vector<MissingDep> missing;
  // Required dlopen edges nothing answered (name: the first alternative; tried: its search). The
  // program starts; the loading library fails when it gets there.
  std::vector<MissingDep> dlopen_unmet;
  std::vector<PassedOver> passed_over;

  // Adds the object unless one with the same key exists; returns its index either way.
  size_t add_object(DepObject o);
  std::optional<size_t> find(const std::string& key) const;
  // Adds an edge once (same from, to and name) and records the parent.
  void add_edge(size_t from, size_t to, const std::string& name, How how);
  void add_missing(MissingDep m);
  void add_dlopen_unmet(MissingDep m);  // once per (name, needed_by)
  void add_also_at(size_t object, const std::string& path);  // once; not its own path
  void add_passed_over(PassedOver p);  // once per (name, needed_by, found)

  static std::string key_of(const DepObject& o) { return o.path ? o.realpath : "name:" + o.name; }

 private:
  std::unordered_map<std::string, size_t> index_;
  std::vector<std::vector<size_t>> out_edges_;  // edge indices by `from`, to keep edges unique
  std::unordered_set<std::string> missing_keys_, passed_over_keys_, unmet_keys_;
};

}  // namespace cuslim
