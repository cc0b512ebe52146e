// Python distributions and need globs, on trees written at test time.
#include <gtest/gtest.h>

#include <fstream>

#include "core/root_walk.h"
#include "fixture.h"
#include "python/distribution.h"
#include "python/interpreter.h"
#include "python/python_keep.h"
#include "verify/framework_smokes.h"

namespace cuslim {
namespace {

using test::TempDir;
using test::write_file;

class SiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string s = dir / "v/lib/python3.12/site-packages";
    write_file(s + "/Demo_Pkg-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: Demo_Pkg\nVersion: 1.0\n\nbody Name: wrong\n");
    write_file(s + "/Demo_Pkg-1.0.dist-info/RECORD",
          "demo/__init__.py,sha256=x,1\ndemo/lazy.py,,\n\"demo/with,comma.py\",,\ndemo/tests/test_a.py,,\n"
          "demo/__pycache__/lazy.cpython-311.pyc,,\ndemo/__pycache__/lazy.cpython-312.opt-1.pyc,,\n../../../bin/demo,,\nDemo_Pkg-1.0.dist-info/RECORD,,\n");
    for (auto* f : {"demo/__init__.py", "demo/lazy.py", "demo/with,comma.py", "demo/tests/test_a.py", "demo/__pycache__/lazy.cpython-311.pyc",
                    "demo/__pycache__/__init__.cpython-312.pyc", "demo/__pycache__/lazy.cpython-312.opt-1.pyc"})
      write_file(s + "/" + f);
    write_file(dir / "v/bin/demo", "#!/bin/sh\n");
    write_file(s + "/other-2.0.dist-info/METADATA", "Name: other\nVersion: 2.0\n");
    write_file(s + "/other-2.0.dist-info/top_level.txt", "other\n");
    write_file(s + "/other/__init__.py");
    site = "/v/lib/python3.12/site-packages";
  }
  TempDir dir;
  std::string site;
};

// An editable install (PEP 610 direct_url.json) is imported from its source dir: said so.
TEST_F(SiteTest, an_editable_install_imported_from_its_source_dir_is_imported_by_the_trace) {
  std::string s = dir / "v/lib/python3.12/site-packages";
  write_file(s + "/mylib-0.1.dist-info/METADATA", "Name: mylib\nVersion: 0.1\n");
  write_file(s + "/mylib-0.1.dist-info/RECORD", "__editable__.mylib-0.1.pth,,\nmylib-0.1.dist-info/RECORD,,\n");
  write_file(s + "/mylib-0.1.dist-info/direct_url.json", R"({"url": "file:///src/mylib", "dir_info": {"editable": true}})");
  write_file(s + "/__editable__.mylib-0.1.pth", "/src/mylib\n");
  write_file(dir / "src/mylib/mylib/__init__.py");
  Root root(dir.path());
  auto sel = select_python(root, {site + "/demo/__init__.py", "/src/mylib/mylib/__init__.py"}, {});
  auto it = std::find_if(sel.distributions.begin(), sel.distributions.end(), [](auto& d) { return d.name == "mylib"; });
  ASSERT_NE(it, sel.distributions.end());
  EXPECT_TRUE(it->kept);
  EXPECT_EQ(it->reason, "imported by the trace (an editable install of /src/mylib)");
}

// Debian installs some distributions with both a .dist-info and an .egg-info: one distribution.
TEST(Site, a_dist_info_and_an_egg_info_of_one_distribution_are_one) {
  TempDir dir;
  std::string site = "/usr/lib/python3/dist-packages", s = dir / "usr/lib/python3/dist-packages";
  write_file(s + "/cryptography-38.0.4.dist-info/METADATA", "Name: cryptography\nVersion: 38.0.4\n");
  write_file(s + "/cryptography-38.0.4.dist-info/RECORD", "cryptography/__init__.py,,\n");
  write_file(s + "/cryptography-38.0.4.egg-info/PKG-INFO", "Name: cryptography\nVersion: 38.0.4\n");
  write_file(s + "/cryptography-38.0.4.egg-info/installed-files.txt", "../cryptography/fernet.py\n");
  write_file(s + "/cryptography/__init__.py");
  write_file(s + "/cryptography/fernet.py");
  Root root(dir.path());
  auto dists = read_site_dir(root, site);
  ASSERT_EQ(dists.size(), 1u);
  EXPECT_EQ(dists[0].info_dir, site + "/cryptography-38.0.4.dist-info");
  auto& f = dists[0].files;
  EXPECT_NE(std::find(f.begin(), f.end(), site + "/cryptography/__init__.py"), f.end());
  EXPECT_NE(std::find(f.begin(), f.end(), site + "/cryptography/fernet.py"), f.end());
}

TEST_F(SiteTest, record_lists_the_files_with_csv_quoting_and_paths_outside_the_site_dir) {
  Root root(dir.path());
  auto dists = read_site_dir(root, site);
  ASSERT_EQ(dists.size(), 2u);
  EXPECT_EQ(dists[0].key, "demo-pkg");
  EXPECT_EQ(dists[0].name, "Demo_Pkg");
  EXPECT_EQ(dists[0].version, "1.0");
  auto& f = dists[0].files;
  EXPECT_NE(std::find(f.begin(), f.end(), site + "/demo/with,comma.py"), f.end());
  EXPECT_NE(std::find(f.begin(), f.end(), "/v/bin/demo"), f.end());
  EXPECT_EQ(dists[1].key, "other");  // no RECORD: top_level.txt's package
  EXPECT_NE(std::find(dists[1].files.begin(), dists[1].files.end(), site + "/other/__init__.py"), dists[1].files.end());
  DistributionIndex index(dists);
  ASSERT_NE(index.owner(site + "/demo/__pycache__/__init__.cpython-312.pyc"), nullptr);  // not in RECORD: through its source
  EXPECT_EQ(index.owner(site + "/demo/__pycache__/__init__.cpython-312.pyc")->key, "demo-pkg");
  EXPECT_EQ(index.owner("/elsewhere.py"), nullptr);
  EXPECT_EQ(normalize_distribution_name("Foo.Bar__baz"), "foo-bar-baz");
}

TEST_F(SiteTest, a_used_distribution_ships_whole_minus_tests_and_other_pythons_caches) {
  Root root(dir.path());
  auto sel = select_python(root, {site + "/demo/__init__.py"}, {});
  auto has = [&](const std::string& p) { return std::find(sel.files.begin(), sel.files.end(), p) != sel.files.end(); };
  EXPECT_TRUE(has(site + "/demo/lazy.py"));  // never opened: a cold path may import it
  EXPECT_FALSE(has(site + "/demo/tests/test_a.py"));
  EXPECT_FALSE(has(site + "/demo/__pycache__/lazy.cpython-311.pyc"));  // another Python's cache
  EXPECT_FALSE(has(site + "/demo/__pycache__/lazy.cpython-312.opt-1.pyc"));  // python -O's: compiled from lazy.py if ever wanted
  EXPECT_FALSE(has(site + "/other/__init__.py"));                     // never imported
  ASSERT_EQ(sel.distributions.size(), 2u);
  EXPECT_TRUE(sel.distributions[0].kept);
  EXPECT_EQ(sel.distributions[0].left_out, 3u);
  EXPECT_FALSE(sel.distributions[1].kept);
  auto file_only = select_python(root, {site + "/demo/__init__.py"}, {.mode = PythonKeep::file});
  // file by file: what was opened, and the distribution's metadata (importlib.metadata, presence)
  EXPECT_EQ(file_only.files, (std::vector<std::string>{site + "/Demo_Pkg-1.0.dist-info/METADATA", site + "/Demo_Pkg-1.0.dist-info/RECORD",
                                                       site + "/demo/__init__.py"}));
  auto with_companion = select_python(root, {site + "/demo/__init__.py"}, {.companions = {{"demo-pkg", {{"other", "p"}}}}});
  EXPECT_TRUE(with_companion.distributions[1].kept);
  EXPECT_EQ(with_companion.distributions[1].reason, "named by profile p (with Demo_Pkg)");
}

TEST_F(SiteTest, reasons_tell_imported_from_loaded_and_credit_a_closure_to_who_needed_it) {
  Root root(dir.path());
  write_file(dir / "v/lib/python3.12/site-packages/other/libx.so");
  // Only a library of `other` opened: loaded, not imported.
  auto sel = select_python(root, {site + "/demo/__init__.py", site + "/other/libx.so"}, {});
  EXPECT_EQ(sel.distributions[0].reason, "imported by the trace");
  EXPECT_EQ(sel.distributions[1].reason, "loaded by the trace");
  // Nothing of `other` used, but its library ships for demo's module: closure of demo.
  auto cold = select_python(root, {site + "/demo/__init__.py"}, {});
  ASSERT_FALSE(cold.distributions[1].kept);
  credit_closures(cold, root, {site + "/demo/__init__.py", site + "/other/libx.so"}, {{site + "/other/libx.so", site + "/demo/lazy.py"}});
  EXPECT_TRUE(cold.distributions[1].kept);
  EXPECT_EQ(cold.distributions[1].reason, "closure of Demo_Pkg");
  EXPECT_EQ(cold.distributions[1].files, 1u);
  // Only its metadata ships (importlib.metadata's entry-point scans read every distribution's):
  // still not kept.
  auto metadata_only = select_python(root, {site + "/demo/__init__.py"}, {});
  credit_closures(metadata_only, root, {site + "/other-2.0.dist-info/METADATA"}, {});
  EXPECT_FALSE(metadata_only.distributions[1].kept);
  // Needed by a program outside every distribution: named by its path.
  auto by_program = select_python(root, {site + "/demo/__init__.py"}, {});
  credit_closures(by_program, root, {site + "/other/libx.so"}, {{site + "/other/libx.so", "/usr/bin/prog"}});
  EXPECT_EQ(by_program.distributions[1].reason, "closure of /usr/bin/prog");
}

TEST_F(SiteTest, globs_stay_within_a_component_and_a_trailing_double_star_is_a_subtree) {
  Root root(dir.path());
  EXPECT_EQ(expand_glob(root, "/v/lib/python3*/site-packages/demo/*.py"),
            (std::vector<std::string>{site + "/demo/__init__.py", site + "/demo/lazy.py", site + "/demo/with,comma.py"}));
  auto all = expand_glob(root, site + "/demo/**");
  EXPECT_EQ(all.size(), 7u);
  EXPECT_TRUE(expand_glob(root, "/nope/*").empty());
}

// An untrusted image: metadata that links out of the root is never read through the host.
TEST(SiteEscape, metadata_and_globs_resolve_links_inside_the_root) {
  TempDir dir;
  std::string s = dir / "v/lib/python3.12/site-packages";
  std::filesystem::create_directories(s + "/evil-1.0.dist-info");
  std::filesystem::create_symlink("/dev/zero", s + "/evil-1.0.dist-info/RECORD");       // would read forever
  std::filesystem::create_symlink("/etc/hostname", s + "/evil-1.0.dist-info/METADATA");  // a host file
  write_file(dir / "opt/realcuda/include/cuda_fp16.h");
  std::filesystem::create_directories(dir / "usr/local");
  std::filesystem::create_symlink("/opt/realcuda", dir / "usr/local/cuda");  // absolute, as images have them
  Root root(dir.path());
  auto dists = read_site_dir(root, "/v/lib/python3.12/site-packages");
  ASSERT_EQ(dists.size(), 1u);
  EXPECT_EQ(dists[0].name, "evil");   // from the directory name: the host's /etc/hostname was not read
  EXPECT_EQ(dists[0].version, "");
  EXPECT_EQ(expand_glob(root, "/usr/local/cuda/include/**"), std::vector<std::string>{"/usr/local/cuda/include/cuda_fp16.h"});
  EXPECT_EQ(expand_glob(root, "/usr/local/cuda/include/cuda_fp16.h"), std::vector<std::string>{"/usr/local/cuda/include/cuda_fp16.h"});
}

// verify --gpu's framework smokes run under the interpreter of the venv holding the frameworks,
// not an Entrypoint of the base interpreter (which does not see the venv's site-packages).
// The standard library as one distribution, minus what a program never runs: tests, tkinter and
// _tkinter (whose closure is Tcl/Tk/X11), its site dirs.
TEST(Stdlib, leaves_out_tests_tkinter_and_its_extension_module) {
  TempDir dir;
  std::string lib = dir / "usr/lib/python3.11";
  for (auto* f : {"os.py", "json/__init__.py", "lib-dynload/_json.cpython-311-x86_64-linux-gnu.so",
                  "lib-dynload/_tkinter.cpython-311-x86_64-linux-gnu.so", "tkinter/__init__.py", "test/test_os.py",
                  "site-packages/x.py"})
    write_file(lib + "/" + f);
  Root root(dir.path());
  auto d = read_stdlib(root, "/usr/lib/python3.11");
  auto has = [&](const std::string& f) { return std::count(d.files.begin(), d.files.end(), "/usr/lib/python3.11/" + f) > 0; };
  EXPECT_TRUE(has("os.py") && has("json/__init__.py") && has("lib-dynload/_json.cpython-311-x86_64-linux-gnu.so"));
  EXPECT_FALSE(has("lib-dynload/_tkinter.cpython-311-x86_64-linux-gnu.so"));
  EXPECT_FALSE(has("tkinter/__init__.py") || has("test/test_os.py") || has("site-packages/x.py"));
}

TEST(ImagePython, the_venv_holding_the_frameworks_wins_over_a_base_interpreter_entrypoint) {
  TempDir dir;
  write_file(dir / "usr/bin/python3.11", "elf");
  write_file(dir / "venv/bin/python3", "elf");
  write_file(dir / "venv/lib/python3.11/site-packages/torch/__init__.py");
  EXPECT_EQ(image_python(dir.path(), {"/usr/bin/python3.11"}, {"/venv/lib/python3.11/site-packages"}), "/venv/bin/python3");
  EXPECT_EQ(image_python(dir.path(), {"/usr/bin/python3.11"}, {}), "/usr/bin/python3.11");
}

// A CPython interpreter by its name or its libpython, its standard library by the os.py landmark,
// and what each start reads: encodings whole, site's modules, lib-dynload, a venv's pyvenv.cfg.
TEST(PythonInterpreter, found_by_name_or_libpython_with_the_start_up_files) {
  TempDir dir;
  write_file(dir / "usr/lib/python3.11/os.py");
  write_file(dir / "usr/lib/python3.11/site.py");
  write_file(dir / "usr/lib/python3.11/encodings/__init__.py");
  std::filesystem::create_directories(dir / "usr/lib/python3.11/lib-dynload");
  write_file(dir / "usr/bin/python3.11", "elf");
  write_file(dir / "venv/pyvenv.cfg", "home = /usr/bin\n");
  std::filesystem::create_directories(dir / "venv/bin");
  std::filesystem::create_symlink("/usr/bin/python3.11", dir / "venv/bin/python");
  write_file(dir / "usr/bin/uwsgi", "elf");
  Root root(dir.path());
  ElfFile none, embeds;
  embeds.needed = {"libc.so.6", "libpython3.11.so.1.0"};
  auto py = python_interpreter(root, "/venv/bin/python", none);
  ASSERT_TRUE(py);
  EXPECT_EQ(py->minor, 11);
  EXPECT_EQ(py->stdlib, "/usr/lib/python3.11");
  auto s = python_startup(root, *py);
  EXPECT_EQ(s.files, (std::vector<std::string>{"/usr/lib/python3.11/encodings", "/usr/lib/python3.11/os.py", "/usr/lib/python3.11/site.py",
                                               "/venv/pyvenv.cfg"}));
  EXPECT_EQ(s.dirs, std::vector<std::string>{"/usr/lib/python3.11/lib-dynload"});
  EXPECT_TRUE(python_interpreter(root, "/usr/bin/uwsgi", embeds));
  EXPECT_FALSE(python_interpreter(root, "/usr/bin/uwsgi", none));
  write_file(dir / "usr/bin/python3.11-config", "#!/bin/sh\n");
  EXPECT_FALSE(python_interpreter(root, "/usr/bin/python3.11-config", none));
}

}  // namespace
}  // namespace cuslim
