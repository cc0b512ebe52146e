// Python distributions installed in a site directory (site-packages, dist-packages): which files
// each one owns, read from its *.dist-info/RECORD (installed-files.txt of an .egg-info;
// top_level.txt's packages where neither lists files), with its name and version from METADATA.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/root.h"

namespace cuslim {

struct Distribution {
  std::string name, version;       // METADATA / PKG-INFO Name and Version
  std::string key;                 // the normalized name (PEP 503: lower case, runs of -_. as -)
  std::string site;                // in-root site directory
  std::string info_dir;            // in-root *.dist-info or *.egg-info directory
  std::vector<std::string> files;  // in-root paths it owns that exist (its metadata included)
  std::vector<std::string> requires_;  // normalized names of its Requires-Dist, optional extras aside
  std::string editable_dir;        // an editable install's source dir (direct_url.json, PEP 610), else ""
};

// PEP 503's normalized name: "Jinja2" and "jinja2", "nvidia_cublas" and "nvidia-cublas" are one.
std::string normalize_distribution_name(const std::string& name);

// Every distribution of a site directory, sorted by key. Unreadable metadata is skipped (a
// distribution without RECORD or top_level.txt owns only its metadata directory).
std::vector<Distribution> read_site_dir(const Root& root, const std::string& site);

// The site directories above the given in-root paths: each nearest ancestor named
// site-packages or dist-packages.
std::set<std::string> site_dirs_of(const std::vector<std::string>& paths);

// The standard libraries above the given in-root paths: each nearest ancestor lib/pythonX.Y
// that holds os.py (the interpreter's own landmark).
std::set<std::string> stdlib_dirs_of(const Root& root, const std::vector<std::string>& paths);

// An interpreter's standard library as one distribution ("python-stdlib", version X.Y): every
// file under `dir` but its site dirs and what a program never runs (test suites, IDLE, tkinter and
// its _tkinter module, Tk demos, ensurepip, the static library and Makefile of config-X.Y-*).
Distribution read_stdlib(const Root& root, const std::string& dir);

// Which distribution owns an in-root path: exact RECORD entries, then a __pycache__ file through
// its source (x/__pycache__/m.cpython-312.pyc -> x/m.py).
class DistributionIndex {
 public:
  explicit DistributionIndex(std::vector<Distribution> dists);
  const Distribution* owner(const std::string& inside) const;
  const std::vector<Distribution>& all() const { return dists_; }
  const Distribution* find(const std::string& key) const;

 private:
  std::vector<Distribution> dists_;
  std::map<std::string, size_t> by_file_, by_key_;
};

}  // namespace cuslim
