#include "profile/profile_codec.h"

#include <cstring>

namespace cuslim {

namespace {

constexpr uint32_t kMagic = 0x32504c43;  // "CLP2": bump when Profile's fields change

template <class Io> void visit(Io& io, ClassRule& r);
template <class Io> void visit(Io& io, DlopenRule& r);
template <class Io> void visit(Io& io, JitNeed& n);
template <class Io> void visit(Io& io, JitFramework& j);
template <class Io> void visit(Io& io, ForwardCompatData& f);
template <class Io> void visit(Io& io, Profile& p);

struct Writer {
  std::string out;
  void u64(uint64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void field(std::string& s) { u64(s.size()), out += s; }
  void field(size_t& v) { u64(v); }
  void field(bool& b) { u64(b); }
  template <class E>
    requires std::is_enum_v<E>
  void field(E& e) { u64(static_cast<uint64_t>(e)); }
  template <class T>
  void field(std::vector<T>& v) {
    u64(v.size());
    for (auto& x : v) field(x);
  }
  template <class K, class V>
  void field(std::map<K, V>& m) {
    u64(m.size());
    for (auto& [k, v] : m) {
      K key = k;
      field(key), field(v);
    }
  }
  template <class T>
    requires requires(T& t, Writer& w) { visit(w, t); }
  void field(T& t) { visit(*this, t); }
};

struct Reader {
  const std::string& in;
  size_t pos = 0;
  bool ok = true;
  uint64_t u64() {
    uint64_t v = 0;
    if (pos + sizeof v > in.size()) return ok = false, 0;
    std::memcpy(&v, in.data() + pos, sizeof v);
    pos += sizeof v;
    return v;
  }
  uint64_t count() {  // a length that must fit in what is left
    uint64_t n = u64();
    if (n > in.size() - pos) ok = false;
    return ok ? n : 0;
  }
  void field(std::string& s) {
    uint64_t n = count();
    s.assign(in, pos, n);
    pos += n;
  }
  void field(size_t& v) { v = u64(); }
  void field(bool& b) { b = u64() != 0; }
  template <class E>
    requires std::is_enum_v<E>
  void field(E& e) { e = static_cast<E>(u64()); }
  template <class T>
  void field(std::vector<T>& v) {
    v.resize(count());
    for (auto& x : v) field(x);
  }
  template <class K, class V>
  void field(std::map<K, V>& m) {
    for (uint64_t n = count(); n-- && ok;) {
      K k;
      V v;
      field(k), field(v);
      m.emplace(std::move(k), std::move(v));
    }
  }
  template <class T>
    requires requires(T& t, Reader& r) { visit(r, t); }
  void field(T& t) { visit(*this, t); }
};

// Every field, in one order, for both directions. ClassRule's regex is compiled from its text on use.
template <class Io>
void visit(Io& io, ClassRule& r) {
  io.field(r.cls), io.field(r.rule), io.field(r.capability), io.field(r.names), io.field(r.paths);
  io.field(r.name_lits), io.field(r.path_lits), io.field(r.regex_text);
}
template <class Io>
void visit(Io& io, DlopenRule& r) { io.field(r.from), io.field(r.to), io.field(r.same_cuda), io.field(r.cuda_exact), io.field(r.required); }
template <class Io>
void visit(Io& io, JitNeed& n) { io.field(n.what), io.field(n.any), io.field(n.programs), io.field(n.keep), io.field(n.parts); }
template <class Io>
void visit(Io& io, JitFramework& j) { io.field(j.name), io.field(j.when), io.field(j.requires_), io.field(j.consequence), io.field(j.files), io.field(j.needs), io.field(j.optional_for); }
template <class Io>
void visit(Io& io, ForwardCompatData& f) { io.field(f.dirs), io.field(f.package), io.field(f.ld_so_conf), io.field(f.injected_dirs); }
template <class Io>
void visit(Io& io, Profile& p) {
  io.field(p.name), io.field(p.description), io.field(p.file), io.field(p.kind), io.field(p.extends), io.field(p.rules);
  io.field(p.dlopen), io.field(p.provides), io.field(p.binaries), io.field(p.devices), io.field(p.firmware), io.field(p.library_dirs);
  io.field(p.wheel_lib_dirs), io.field(p.image_needs), io.field(p.keep), io.field(p.python_companions), io.field(p.jit);
  io.field(p.cuda_major_by_soname), io.field(p.glibc), io.field(p.forward_compat), io.field(p.link_only), io.field(p.profiler_only);
}

}  // namespace

std::string encode_profiles(const std::vector<Profile>& profiles) {
  Writer w;
  w.u64(kMagic);
  auto copy = profiles;
  w.field(copy);
  return std::move(w.out);
}

std::optional<std::vector<Profile>> decode_profiles(const std::string& bytes) {
  Reader r{bytes};
  if (r.u64() != kMagic) return std::nullopt;
  std::vector<Profile> out;
  r.field(out);
  if (!r.ok || r.pos != bytes.size()) return std::nullopt;
  return out;
}

}  // namespace cuslim
