// One fixture set per glibc loader rule. Each builds tiny objects from one-line C, runs the real
// program where the rule is observable, and checks that the resolver found the same files.
#include <elf.h>

#include <fstream>
#include <map>
#include <algorithm>

#include "fixture.h"
#include "loader/resolver.h"

namespace cuslim::test {
namespace {

struct Hit {
  std::string path;
  How how;
};

class LoaderRules : public ::testing::Test {
 protected:
  TempDir t;
  std::string d(const std::string& rel) { return t / rel; }

  DepGraph resolve(const std::string& target, ResolveOptions opts = {}) {
    Root root("/");
    Resolver r(root, std::move(opts));
    EXPECT_TRUE(r.init().ok());
    auto g = r.resolve({target});
    EXPECT_TRUE(g.ok()) << (g.ok() ? "" : g.error().message());
    return g.ok() ? *g : DepGraph{};
  }
  // Where the name was resolved (first edge with that DT_NEEDED name).
  static std::optional<Hit> hit(const DepGraph& g, const std::string& name) {
    for (auto& e : g.edges)
      if (e.name == name && g.objects[e.to].path) return Hit{*g.objects[e.to].path, e.how};
    return std::nullopt;
  }
  static bool missing(const DepGraph& g, const std::string& name) {
    for (auto& m : g.missing)
      if (m.name == name) return true;
    return false;
  }
  static std::string main_calling(const std::string& fn) {
    return "void " + fn + "(void);\nint main(void){" + fn + "();return 0;}\n";
  }
};

TEST_F(LoaderRules, rpath_inherited_without_runpath) {
  build_lib(d("deep/libb.so"), printer("b", "b from deep"), "-Wl,-soname,libb.so");
  build_lib(d("mid/liba.so"), "void b(void); void a(void){b();}", "-Wl,-soname,liba.so -L" + d("deep") + " -lb");
  build_exe(d("app"), main_calling("a"),
            "-L" + d("mid") + " -la -L" + d("deep") + " -Wl,--disable-new-dtags,-rpath," + d("mid") + ":" + d("deep"));
  auto real = run_program(d("app"));
  ASSERT_EQ(real.status, 0) << real.out;  // the real loader found libb through the inherited RPATH
  EXPECT_EQ(real.out, "b from deep\n");
  auto g = resolve(d("app"));
  ASSERT_TRUE(hit(g, "libb.so"));
  EXPECT_EQ(hit(g, "libb.so")->path, d("deep/libb.so"));
  EXPECT_EQ(hit(g, "libb.so")->how, How::rpath);
  EXPECT_TRUE(g.missing.empty());
}

TEST_F(LoaderRules, runpath_not_inherited) {
  build_lib(d("deep/libb.so"), printer("b", "b"), "-Wl,-soname,libb.so");
  build_lib(d("mid/liba.so"), "void b(void); void a(void){b();}", "-Wl,-soname,liba.so -L" + d("deep") + " -lb");
  build_exe(d("app"), main_calling("a"),
            "-L" + d("mid") + " -la -L" + d("deep") + " -Wl,--enable-new-dtags,-rpath," + d("mid") + ":" + d("deep"));
  auto real = run_program(d("app"));
  EXPECT_NE(real.status, 0);
  EXPECT_NE(real.out.find("libb.so: cannot open shared object file"), std::string::npos) << real.out;
  auto g = resolve(d("app"));
  EXPECT_EQ(hit(g, "liba.so")->how, How::runpath);
  EXPECT_TRUE(missing(g, "libb.so"));
}

TEST_F(LoaderRules, runpath_of_loader_switches_off_inherited_rpath) {
  build_lib(d("deep/libb.so"), printer("b", "b"), "-Wl,-soname,libb.so");
  build_lib(d("mid/liba.so"), "void b(void); void a(void){b();}",
            "-Wl,-soname,liba.so -L" + d("deep") + " -lb -Wl,--enable-new-dtags,-rpath,/nonexistent");
  build_exe(d("app"), main_calling("a"),
            "-L" + d("mid") + " -la -L" + d("deep") + " -Wl,--disable-new-dtags,-rpath," + d("mid") + ":" + d("deep"));
  auto real = run_program(d("app"));
  EXPECT_NE(real.status, 0) << real.out;
  auto g = resolve(d("app"));
  EXPECT_EQ(hit(g, "liba.so")->how, How::rpath);
  EXPECT_TRUE(missing(g, "libb.so"));
}

// Adds DT_RUNPATH to an ELF64 file that has DT_RPATH "A:B", pointing at "B" inside the same
// string (the linker never writes both tags; glibc still reads both): a spare DT_NULL at the end
// of the dynamic array becomes the DT_RUNPATH entry.
bool add_runpath_to_tail_of_rpath(const std::string& file) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  Elf64_Ehdr eh;
  if (!f.read(reinterpret_cast<char*>(&eh), sizeof eh)) return false;
  for (int i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    f.seekg(static_cast<std::streamoff>(eh.e_phoff + i * eh.e_phentsize));
    f.read(reinterpret_cast<char*>(&ph), sizeof ph);
    if (ph.p_type != PT_DYNAMIC) continue;
    std::vector<Elf64_Dyn> dyn(ph.p_filesz / sizeof(Elf64_Dyn));
    f.seekg(static_cast<std::streamoff>(ph.p_offset));
    f.read(reinterpret_cast<char*>(dyn.data()), static_cast<std::streamsize>(dyn.size() * sizeof(Elf64_Dyn)));
    Elf64_Xword rpath = 0, strtab_off = 0;
    for (auto& d : dyn)
      if (d.d_tag == DT_RPATH) rpath = d.d_un.d_val;
    for (auto& d : dyn)
      if (d.d_tag == DT_STRTAB) strtab_off = d.d_un.d_ptr;  // a vaddr; equal to the file offset in these small objects' first segment
    size_t first_null = 0;
    while (first_null < dyn.size() && dyn[first_null].d_tag != DT_NULL) ++first_null;
    if (!rpath || first_null + 1 >= dyn.size()) return false;
    std::string text;
    f.seekg(static_cast<std::streamoff>(strtab_off + rpath));
    std::getline(f, text, '\0');
    auto colon = text.find(':');
    if (colon == std::string::npos) return false;
    dyn[first_null] = Elf64_Dyn{DT_RUNPATH, {rpath + colon + 1}};
    f.clear();
    f.seekp(static_cast<std::streamoff>(ph.p_offset));
    f.write(reinterpret_cast<const char*>(dyn.data()), static_cast<std::streamsize>(dyn.size() * sizeof(Elf64_Dyn)));
    return static_cast<bool>(f);
  }
  return false;
}

TEST_F(LoaderRules, own_runpath_switches_off_own_rpath) {
  build_lib(d("lib/liba.so"), printer("a", "a found"), "-Wl,-soname,liba.so");
  build_exe(d("app"), main_calling("a"), "-L" + d("lib") + " -la -Wl,--disable-new-dtags,-rpath," + d("lib") + ":/nonexistent");
  ASSERT_EQ(run_program(d("app")).status, 0);  // with DT_RPATH alone the real loader finds liba
  ASSERT_TRUE(add_runpath_to_tail_of_rpath(d("app")));
  auto real = run_program(d("app"));
  ASSERT_NE(real.status, 0) << "the real loader still used DT_RPATH: " << real.out;
  EXPECT_NE(real.out.find("liba.so: cannot open shared object file"), std::string::npos) << real.out;
  auto g = resolve(d("app"));
  EXPECT_TRUE(missing(g, "liba.so"));  // cuslim agrees: the RPATH is ignored, only /nonexistent is searched
}

TEST_F(LoaderRules, ld_library_path_between_rpath_and_runpath) {
  build_lib(d("r/libv.so"), printer("v", "rpath"), "-Wl,-soname,libv.so");
  build_lib(d("l/libv.so"), printer("v", "llp"), "-Wl,-soname,libv.so");
  build_lib(d("u/libv.so"), printer("v", "runpath"), "-Wl,-soname,libv.so");
  build_exe(d("app_rpath"), main_calling("v"), "-L" + d("r") + " -lv -Wl,--disable-new-dtags,-rpath," + d("r"));
  build_exe(d("app_runpath"), main_calling("v"), "-L" + d("u") + " -lv -Wl,--enable-new-dtags,-rpath," + d("u"));
  std::string llp = "LD_LIBRARY_PATH=" + d("l");
  EXPECT_EQ(run_program(d("app_rpath"), llp).out, "rpath\n");
  EXPECT_EQ(run_program(d("app_runpath"), llp).out, "llp\n");
  EXPECT_EQ(run_program(d("app_runpath")).out, "runpath\n");
  ResolveOptions with_llp;
  with_llp.ld_library_path = {d("l")};
  EXPECT_EQ(hit(resolve(d("app_rpath"), with_llp), "libv.so")->path, d("r/libv.so"));
  auto g = resolve(d("app_runpath"), with_llp);
  EXPECT_EQ(hit(g, "libv.so")->path, d("l/libv.so"));
  EXPECT_EQ(hit(g, "libv.so")->how, How::ld_library_path);
  EXPECT_EQ(hit(resolve(d("app_runpath")), "libv.so")->path, d("u/libv.so"));
}

TEST_F(LoaderRules, origin_is_the_directory_found_through_not_the_realpath) {
  build_lib(d("via/dep/libb.so"), printer("b", "b via symlink dir"), "-Wl,-soname,libb.so");
  build_lib(d("real/liba.so"), "void b(void); void a(void){b();}",
            "-Wl,-soname,liba.so -L" + d("via/dep") + " -lb -Wl,--enable-new-dtags,-rpath,'$ORIGIN/dep'");
  fs::create_symlink("../real/liba.so", d("via/liba.so"));
  build_exe(d("app"), main_calling("a"), "-L" + d("via") + " -la -Wl,--enable-new-dtags,-rpath," + d("via"));
  auto real = run_program(d("app"));
  ASSERT_EQ(real.status, 0) << real.out;
  EXPECT_EQ(real.out, "b via symlink dir\n");
  auto g = resolve(d("app"));
  ASSERT_TRUE(hit(g, "libb.so"));
  EXPECT_EQ(hit(g, "libb.so")->path, d("via/dep/libb.so"));
  EXPECT_EQ(hit(g, "liba.so")->path, d("via/liba.so"));
}

TEST_F(LoaderRules, lib_token_expands_to_the_multiarch_dir) {
  build_lib(d("lib/x86_64-linux-gnu/libt.so"), printer("tk", "lib token"), "-Wl,-soname,libt.so");
  build_exe(d("app"), main_calling("tk"),
            "-L" + d("lib/x86_64-linux-gnu") + " -lt -Wl,--enable-new-dtags,-rpath,'" + d("$LIB") + "'");
  auto real = run_program(d("app"));
  ASSERT_EQ(real.status, 0) << real.out;
  EXPECT_EQ(hit(resolve(d("app")), "libt.so")->path, d("lib/x86_64-linux-gnu/libt.so"));
}

TEST_F(LoaderRules, nodeflib_skips_cache_and_default_dirs) {
  // liba carries DF_1_NODEFLIB (ld -z nodefaultlib) and needs libz from the cache.
  std::string zlib = "const char* zlibVersion(void);\nvoid a(void){zlibVersion();}\n";
  build_lib(d("own/liba.so"), zlib, "-Wl,-soname,liba.so -Wl,-z,nodefaultlib -lz");
  build_lib(d("plain/liba.so"), zlib, "-Wl,-soname,liba.so -lz");
  build_exe(d("app"), main_calling("a"), "-L" + d("own") + " -la -Wl,--enable-new-dtags,-rpath," + d("own"));
  build_exe(d("app_plain"), main_calling("a"), "-L" + d("plain") + " -la -Wl,--enable-new-dtags,-rpath," + d("plain"));
  auto real = run_program(d("app"));
  EXPECT_NE(real.status, 0);
  EXPECT_NE(real.out.find("libz.so.1: cannot open shared object file"), std::string::npos) << real.out;
  auto g = resolve(d("app"));
  EXPECT_TRUE(missing(g, "libz.so.1"));
  EXPECT_FALSE(missing(g, "libc.so.6"));  // already loaded by the program: NODEFLIB does not matter
  ASSERT_EQ(run_program(d("app_plain")).status, 0);
  auto plain = resolve(d("app_plain"));
  ASSERT_TRUE(hit(plain, "libz.so.1"));
  EXPECT_EQ(hit(plain, "libz.so.1")->how, How::ld_so_cache);
}

TEST_F(LoaderRules, hwcaps_subdir_preferred_when_the_cpu_supports_it) {
  build_lib(d("h/libh.so"), printer("h", "baseline"), "-Wl,-soname,libh.so");
  build_lib(d("h/glibc-hwcaps/x86-64-v2/libh.so"), printer("h", "v2"), "-Wl,-soname,libh.so");
  build_exe(d("app"), main_calling("h"), "-L" + d("h") + " -lh -Wl,--enable-new-dtags,-rpath," + d("h"));
  auto active = host_hwcaps();
  bool v2 = std::find(active.begin(), active.end(), "x86-64-v2") != active.end();
  auto real = run_program(d("app"));
  ASSERT_EQ(real.status, 0) << real.out;
  EXPECT_EQ(real.out, v2 ? "v2\n" : "baseline\n");
  EXPECT_EQ(hit(resolve(d("app")), "libh.so")->path, v2 ? d("h/glibc-hwcaps/x86-64-v2/libh.so") : d("h/libh.so"));
  ResolveOptions none;
  none.hwcaps = std::vector<std::string>{};
  EXPECT_EQ(hit(resolve(d("app"), none), "libh.so")->path, d("h/libh.so"));
}

TEST_F(LoaderRules, wrong_machine_candidate_is_skipped) {
  build_lib(d("good/libw.so"), printer("w", "right machine"), "-Wl,-soname,libw.so");
  fs::create_directories(d("bad"));
  fs::copy_file(d("good/libw.so"), d("bad/libw.so"));
  {  // e_machine := EM_AARCH64
    std::fstream f(d("bad/libw.so"), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(18);
    uint16_t m = EM_AARCH64;
    f.write(reinterpret_cast<const char*>(&m), 2);
  }
  build_exe(d("app"), main_calling("w"),
            "-L" + d("good") + " -lw -Wl,--enable-new-dtags,-rpath," + d("bad") + ":" + d("good"));
  auto real = run_program(d("app"));
  ASSERT_EQ(real.status, 0) << real.out;
  EXPECT_EQ(real.out, "right machine\n");
  EXPECT_EQ(hit(resolve(d("app")), "libw.so")->path, d("good/libw.so"));
}

TEST_F(LoaderRules, already_loaded_object_matches_by_soname) {
  // The program needs "libfirst.so" whose SONAME is "libshared.so.1"; libb needs "libshared.so.1"
  // and its RUNPATH holds another file of that name. The loaded one wins.
  build_lib(d("one/libfirst.so"), "void s(void){}");  // stub without soname: NEEDED = file name
  build_lib(d("two/libshared.so.1"), printer("s", "second copy"), "-Wl,-soname,libshared.so.1");
  build_lib(d("one/libb.so"), "void s(void); void b(void){s();}",
            "-Wl,-soname,libb.so -L" + d("two") + " -l:libshared.so.1 -Wl,--enable-new-dtags,-rpath," + d("two"));
  build_exe(d("app"), "void b(void);void s(void);int main(void){s();b();return 0;}",
            "-L" + d("one") + " -l:libfirst.so -lb -Wl,--enable-new-dtags,-rpath," + d("one"));
  build_lib(d("one/libfirst.so"), printer("s", "first, by soname"), "-Wl,-soname,libshared.so.1");
  auto real = run_program(d("app"));
  ASSERT_EQ(real.status, 0) << real.out;
  EXPECT_EQ(real.out, "first, by soname\nfirst, by soname\n");
  auto g = resolve(d("app"));
  EXPECT_EQ(hit(g, "libshared.so.1")->path, d("one/libfirst.so"));
  for (auto& o : g.objects) EXPECT_NE(o.realpath, d("two/libshared.so.1"));
}

TEST_F(LoaderRules, cycles_and_diamonds_terminate) {
  build_lib(d("c/liby.so"), "void y(void){}", "-Wl,-soname,liby.so");
  build_lib(d("c/libx.so"), "void y(void); void x(void){y();}", "-Wl,-soname,libx.so -L" + d("c") + " -ly");
  build_lib(d("c/liby.so"), "void x(void); void y(void){}",  // y now needs x: a cycle
            "-Wl,-soname,liby.so -L" + d("c") + " -lx -Wl,--enable-new-dtags,-rpath," + d("c"));
  build_exe(d("app"), "void x(void);void y(void);int main(void){x();y();return 0;}",
            "-L" + d("c") + " -lx -ly -Wl,--enable-new-dtags,-rpath," + d("c"));
  ASSERT_EQ(run_program(d("app")).status, 0);
  auto g = resolve(d("app"));
  EXPECT_TRUE(g.missing.empty());
  int copies = 0;
  for (auto& o : g.objects) copies += o.realpath == d("c/liby.so");
  EXPECT_EQ(copies, 1);
}

TEST_F(LoaderRules, missing_name_lists_every_directory_tried) {
  build_lib(d("gone/libgone.so"), "void g(void){}", "-Wl,-soname,libgone.so");
  build_exe(d("app"), main_calling("g"), "-L" + d("gone") + " -lgone -Wl,--enable-new-dtags,-rpath," + d("empty"));
  fs::remove(d("gone/libgone.so"));
  EXPECT_NE(run_program(d("app")).status, 0);
  ResolveOptions none;
  none.hwcaps = std::vector<std::string>{};
  none.legacy_hwcaps = std::vector<std::string>{};  // glibc <= 2.36 hosts would add tls/, x86_64/, ...
  auto g = resolve(d("app"), none);
  ASSERT_EQ(g.missing.size(), 1u);
  auto& m = g.missing[0];
  EXPECT_EQ(m.name, "libgone.so");
  EXPECT_EQ(m.needed_by, d("app"));
  std::vector<std::string> want = {d("empty"), "ld.so.cache", "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib"};
  EXPECT_EQ(m.tried, want);
}

TEST_F(LoaderRules, name_with_slash_is_used_as_a_path) {
  build_lib(d("p/libp.so"), printer("p", "by path"));  // no soname: NEEDED is the path given
  build_exe(d("app"), main_calling("p"), d("p/libp.so"));
  auto real = run_program(d("app"));
  ASSERT_EQ(real.status, 0) << real.out;
  auto g = resolve(d("app"));
  ASSERT_TRUE(hit(g, d("p/libp.so")));
  EXPECT_EQ(hit(g, d("p/libp.so"))->how, How::direct);
}

}  // namespace
}  // namespace cuslim::test

namespace cuslim::test {
namespace {

// A process that holds libfoo.so.1 from one dir (loaded first, by path) and then dlopen()s a module
// whose RUNPATH leads to another copy: the loader matches the soname in its link map, it does not
// search. resolve(..., loaded) models that; without it the module's closure names the other copy.
TEST_F(LoaderRules, a_soname_already_loaded_is_matched_not_searched) {
  build_lib(d("first/libfoo.so.1"), printer("foo", "foo from first"), "-Wl,-soname,libfoo.so.1");
  build_lib(d("second/libfoo.so.1"), printer("foo", "foo from second"), "-Wl,-soname,libfoo.so.1");
  build_lib(d("mod/mod.so"), "void foo(void); void mod(void){foo();}", "-L" + d("second") + " -l:libfoo.so.1 -Wl,--enable-new-dtags,-rpath," + d("second"));
  build_exe(d("app"),
            "#include <dlfcn.h>\n#include <stdio.h>\nint main(void){\n"
            "  if (!dlopen(\"" + d("first/libfoo.so.1") + "\", RTLD_NOW | RTLD_GLOBAL)) return 2;\n"
            "  void* m = dlopen(\"" + d("mod/mod.so") + "\", RTLD_NOW); if (!m) return 3;\n"
            "  ((void (*)(void))dlsym(m, \"mod\"))(); return 0; }\n", "-ldl");
  auto real = run_program(d("app"));
  ASSERT_EQ(real.status, 0) << real.out;
  EXPECT_EQ(real.out, "foo from first\n");  // the real loader reused the loaded copy
  Root root("/");
  Resolver r(root, {});
  ASSERT_TRUE(r.init().ok());
  auto alone = r.resolve({d("mod/mod.so")});
  ASSERT_TRUE(alone.ok());
  ASSERT_TRUE(hit(*alone, "libfoo.so.1"));
  EXPECT_EQ(hit(*alone, "libfoo.so.1")->path, d("second/libfoo.so.1"));  // standalone: a search
  auto in_process = r.resolve({d("mod/mod.so")}, {}, {{"libfoo.so.1", d("first/libfoo.so.1")}});
  ASSERT_TRUE(in_process.ok());
  ASSERT_TRUE(hit(*in_process, "libfoo.so.1"));
  EXPECT_EQ(hit(*in_process, "libfoo.so.1")->path, d("first/libfoo.so.1"));
  EXPECT_EQ(hit(*in_process, "libfoo.so.1")->how, How::trace);
}


// Walks share the answers of searches through the plain plan (no RPATH/RUNPATH in the chain):
// one resolve of several targets must give each target exactly what it gets alone and what the
// real loader gives it, whatever the order and the threads -- an RPATH, RUNPATH or
// $ORIGIN-in-LD_LIBRARY_PATH answer of one target never leaks into another's.
TEST_F(LoaderRules, targets_resolved_together_get_what_each_gets_alone) {
  build_lib(d("r/libv.so"), printer("v", "rpath"), "-Wl,-soname,libv.so");
  build_lib(d("u/libv.so"), printer("v", "runpath"), "-Wl,-soname,libv.so");
  build_lib(d("l/libv.so"), printer("v", "llp"), "-Wl,-soname,libv.so");
  build_lib(d("one/o/libv.so"), printer("v", "origin one"), "-Wl,-soname,libv.so");
  build_lib(d("two/o/libv.so"), printer("v", "origin two"), "-Wl,-soname,libv.so");
  build_lib(d("o/libv.so"), printer("v", "origin top"), "-Wl,-soname,libv.so");
  std::map<std::string, std::string> says = {{d("r/libv.so"), "rpath"},          {d("u/libv.so"), "runpath"},
                                             {d("l/libv.so"), "llp"},            {d("one/o/libv.so"), "origin one"},
                                             {d("two/o/libv.so"), "origin two"}, {d("o/libv.so"), "origin top"}};
  // Each app its own libw (one object of the merged graph carries the edges of every walk).
  build_lib(d("mid/libw.so"), "void v(void); void w(void){v();}", "-Wl,-soname,libw.so -L" + d("l") + " -lv");
  build_lib(d("mid_r/libw.so"), "void v(void); void w(void){v();}", "-Wl,-soname,libw.so -L" + d("l") + " -lv");
  build_exe(d("app_rpath"), main_calling("w"),
            "-L" + d("mid_r") + " -lw -L" + d("r") + " -Wl,--disable-new-dtags,-rpath," + d("mid_r") + ":" + d("r"));
  build_exe(d("app_runpath"), main_calling("v"), "-L" + d("u") + " -lv -Wl,--enable-new-dtags,-rpath," + d("u"));
  build_exe(d("one/app"), main_calling("v"), "-L" + d("l") + " -lv");
  build_exe(d("two/app"), main_calling("v"), "-L" + d("l") + " -lv");
  build_exe(d("app_plain"), main_calling("w"),
            "-L" + d("mid") + " -lw -Wl,-rpath-link," + d("l") + " -Wl,--enable-new-dtags,-rpath," + d("mid"));
  const std::vector<std::string> targets = {d("app_plain"), d("app_rpath"), d("one/app"), d("app_runpath"), d("two/app")};
  for (const std::string& llp : {d("l"), std::string("$ORIGIN/o")}) {
    ResolveOptions opts;
    opts.ld_library_path = {llp};
    std::map<std::string, std::string> alone;
    for (auto& t : targets) {
      auto g = resolve(t, opts);
      ASSERT_TRUE(hit(g, "libv.so")) << t;
      alone[t] = hit(g, "libv.so")->path;
      // What the real loader prints is the copy it loaded: the model agrees target by target.
      EXPECT_EQ(run_program(t, "LD_LIBRARY_PATH='" + llp + "'").out, says[alone[t]] + "\n") << t << " with " << llp;
    }
    for (int threads : {1, 2})
      for (bool reversed : {false, true}) {
        auto order = targets;
        if (reversed) std::reverse(order.begin(), order.end());
        Root root("/");
        opts.threads = threads;
        Resolver r(root, opts);
        ASSERT_TRUE(r.init().ok());
        auto g = r.resolve(order);
        ASSERT_TRUE(g.ok());
        for (auto& t : order) {
          std::optional<std::string> got;  // the first libv.so below this root, breadth first
          std::vector<size_t> frontier = {*g->find(fs::canonical(t).string())};
          for (int depth = 0; depth < 3 && !got; ++depth) {
            std::vector<size_t> next;
            for (auto from : frontier)
              for (auto& e : g->edges)
                if (e.from == from && !got) {
                  if (e.name == "libv.so") got = g->objects[e.to].path.value_or("");
                  next.push_back(e.to);
                }
            frontier = next;
          }
          ASSERT_TRUE(got) << t;
          EXPECT_EQ(*got, alone[t]) << t << " (threads " << threads << (reversed ? ", reversed" : "") << ", " << llp << ")";
        }
      }
  }
}

}  // namespace
}  // namespace cuslim::test
