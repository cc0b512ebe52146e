#include "bundle/bundle_report.h"

#include <algorithm>
#include <iomanip>
#include <sstream>

#include "core/atomic_file.h"

namespace cuslim {

namespace {

std::string mb(uint64_t b) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << b / 1e6 << " MB";
  return s.str();
}

}  // namespace

nlohmann::json bundle_report_json(const BundleResult& r) {
  nlohmann::json j{{"format", format_name(r.format)}, {"files", r.files}, {"bytes", r.bytes}};
  j["bytes_by_class"] = nlohmann::json::object();
  for (auto& [cls, bytes] : r.bytes_by_class) j["bytes_by_class"][to_string(cls)] = bytes;
  j["left_to_host_driver"] = r.plan.dropped_driver;
  j["left_to_base"] = r.left_to_base;
  j["warnings"] = r.plan.warnings;
  if (r.image) j["manifest"] = r.image->manifest.str();
  auto& py = j["python"]["distributions"] = nlohmann::json::array();
  for (auto& d : r.python)
    py.push_back({{"name", d.name}, {"version", d.version}, {"site", d.site}, {"kept", d.kept}, {"reason", d.reason},
                  {"files", d.files}, {"bytes", d.bytes}, {"left_out_files", d.left_out}});
  j["jit"] = nlohmann::json::array();
  for (auto& a : r.jit)
    j["jit"].push_back({{"framework", a.framework}, {"found", a.found}, {"missing", a.missing}, {"added_files", a.files}, {"added_bytes", a.bytes},
                        {"consequence", a.consequence}});
  return j;
}

void jit_summary(const std::vector<JitAdded>& jit, std::ostream& out) {
  for (auto& a : jit) {
    out << "  jit: " << a.framework << " toolchain added " << mb(a.bytes) << " (" << a.files << " files)";
    for (size_t i = 0; i < a.found.size(); ++i) out << (i ? "; " : ": ") << a.found[i];
    if (!a.missing.empty()) {
      out << "; MISSING:";
      for (auto& m : a.missing) out << " " << m;
    }
    out << "\n";
  }
}

void python_summary(const std::vector<DistributionReport>& dists, std::ostream& out) {
  if (dists.empty()) return;
  uint64_t kept = 0, kept_bytes = 0, dropped = 0, dropped_bytes = 0;
  for (auto& d : dists) (d.kept ? kept : dropped) += 1, (d.kept ? kept_bytes : dropped_bytes) += d.bytes;
  out << "  python: " << kept << " distributions kept (" << mb(kept_bytes) << "), " << dropped << " dropped (" << mb(dropped_bytes) << ")\n";
  std::vector<const DistributionReport*> sorted;
  for (auto& d : dists) sorted.push_back(&d);
  std::stable_sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->kept != b->kept ? a->kept : a->bytes > b->bytes; });
  for (size_t i = 0; i < sorted.size() && i < 12; ++i) {
    auto* d = sorted[i];
    out << "    " << (d->kept ? "kept    " : "dropped ") << std::left << std::setw(10) << mb(d->bytes) << d->name << " " << d->version << " ("
        << d->reason << ")\n";
  }
  if (sorted.size() > 12) out << "    ... " << sorted.size() - 12 << " more in --report FILE.json\n";
}

Status write_report(const std::string& file, const nlohmann::json& report) {
  if (!file.ends_with(".json")) return Error(Exit::usage, "--report " + file + ": give a FILE.json");
  return write_file_atomic(file, report.dump(2) + "\n", Durability::rename_only);
}

}  // namespace cuslim
