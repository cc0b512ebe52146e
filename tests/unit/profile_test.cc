// Profiles: the built-in set loads, bad YAML names file/line/column, extends merges and rejects
// cycles; the classifier on synthetic stubs with real sonames and on real CUDA libraries.
#include "profile/classifier.h"

#include "fixture.h"
#include "profile/profile_set.h"
#include "core/path.h"
#include <nlohmann/json.hpp>
#include <set>

namespace cuslim::test {
namespace {

TEST(Profiles, builtin_set_loads_every_profile) {
  auto set = ProfileSet::builtin();
  ASSERT_TRUE(set.ok()) << set.error().message();
  for (auto* name : {"nvidia-driver", "cuda", "scratch", "glibc", "debian12", "ubuntu22.04", "ubuntu24.04", "ubi9", "distroless-cc", "pytorch"})
    EXPECT_NE(set->find(name), nullptr) << name;
  auto deb = set->resolved("debian12");
  ASSERT_TRUE(deb.ok());
  auto has = [&](const std::string& n) { return std::find(deb->provides.begin(), deb->provides.end(), n) != deb->provides.end(); };
  EXPECT_TRUE(has("libc.so.6"));   // inherited from glibc
  EXPECT_TRUE(has("libz.so.1"));   // its own
  auto driver = set->resolved("nvidia-driver");
  ASSERT_TRUE(driver.ok());
  int rules = 0;
  for (auto& r : driver->rules) rules += r.names.size();
  EXPECT_GT(rules, 40);  // the full lists, not a sample
}

TEST(Profiles, bad_yaml_names_file_line_and_column) {
  auto p = Profile::parse("name: x\nclassify:\n  - {class: driver, names: [a\n", "my.yaml");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message().rfind("my.yaml:", 0), 0u) << p.error().message();
  EXPECT_NE(p.error().message().find(":4:"), std::string::npos) << p.error().message();
  auto cls = Profile::parse("name: x\nclassify:\n  - {class: firmware, names: [a]}\n", "cls.yaml");
  ASSERT_FALSE(cls.ok());
  EXPECT_NE(cls.error().message().find("cls.yaml:3:13: classify[0].class: 'firmware' is not allowed (allowed: app, cuda, driver, forward-compat, jit, system, toolkit)"), std::string::npos) << cls.error().message();
  auto re = Profile::parse("name: x\nclassify:\n  - {class: app, regex: '(['}\n", "re.yaml");
  ASSERT_FALSE(re.ok());
  EXPECT_NE(re.error().message().find("re.yaml:3:"), std::string::npos);
}

TEST(Profiles, extends_cycle_and_unknown_parent_are_errors) {
  ProfileSet set;
  ASSERT_TRUE(set.add(*Profile::parse("name: a\nextends: [b]\n", "a.yaml")).ok());
  ASSERT_TRUE(set.add(*Profile::parse("name: b\nextends: [a]\n", "b.yaml")).ok());
  ASSERT_TRUE(set.add(*Profile::parse("name: c\nextends: [nowhere]\n", "c.yaml")).ok());
  auto a = set.resolved("a");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message().find("cycle"), std::string::npos);
  auto c = set.resolved("c");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("c.yaml: extends: unknown profile 'nowhere'"), std::string::npos);
}

// --profile files: checked whole when given (a cycle is an error before any command uses the
// profile), and their classify rules apply whatever their kind (no `kind:` is a base).
TEST(Profiles, user_files_are_checked_when_given_and_their_rules_apply) {
  TempDir d;
  write_file(d.path() + "/self.yaml", "name: self\nextends: [self]\n");
  auto set = *ProfileSet::builtin();
  auto added = set.add_files({d.path() + "/self.yaml"});
  ASSERT_FALSE(added.ok());
  EXPECT_NE(added.error().message().find("self.yaml: extends: cycle through 'self'"), std::string::npos) << added.error().message();
  write_file(d.path() + "/nokind.yaml", "name: nokind\nclassify:\n  - {class: toolkit, rule: mine, paths: [\"/opt/tool/bin/x\"]}\n");
  auto set2 = *ProfileSet::builtin();
  auto names = set2.add_files({d.path() + "/nokind.yaml"});
  ASSERT_TRUE(names.ok()) << names.error().message();
  for (const std::string base : {"debian12", "nokind"}) {
    auto c = Classifier::make(set2, base, *names);
    ASSERT_TRUE(c.ok()) << c.error().message();
    auto k = c->classify("/opt/tool/bin/x", "/opt/tool/bin/x", std::nullopt, "x");
    EXPECT_EQ(to_string(k.cls), "toolkit") << "base " << base;
    EXPECT_EQ(k.rule, "nokind:mine") << "base " << base;
  }
}

class ClassifierTest : public ::testing::Test {
 protected:
  ProfileSet set = *ProfileSet::builtin();
  Classifier c = *Classifier::make(set, "debian12");
  std::string cls(const std::string& path, const std::string& soname = "") {
    return to_string(c.classify(path, path, soname.empty() ? std::nullopt : std::optional(soname), path::basename(path)).cls);
  }
};

TEST_F(ClassifierTest, driver_by_name_and_by_driver_version_suffix_anywhere) {
  EXPECT_EQ(cls("/usr/local/nvidia/lib64/libcuda.so.580.65.06", "libcuda.so.1"), "driver");
  EXPECT_EQ(cls("/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1"), "driver");
  // The same library in a cuda-compat dir is the image's forward-compat set, not the host driver.
  EXPECT_EQ(cls("/usr/local/cuda/compat/libnvidia-ptxjitcompiler.so.580.65.06"), "forward-compat");
  EXPECT_EQ(cls("/opt/stale/libnvidia-ptxjitcompiler.so.580.65.06"), "driver");
  EXPECT_EQ(cls("/usr/lib64/libnvidia-somethingnew.so.590.44.01"), "driver");  // suffix rule
  EXPECT_EQ(c.classify("/x/libnvidia-somethingnew.so.590.44.01", "", std::nullopt, "").rule, "nvidia-driver:driver-version-suffix");
  EXPECT_TRUE(c.is_driver_name("libcuda.so.1"));
  EXPECT_FALSE(c.is_driver_name("libcudart.so.13"));
  // What the runtime injects besides libraries: GSP firmware of any version, the ICD manifests.
  EXPECT_EQ(cls("/lib/firmware/nvidia/550.54.14/gsp_ga10x.bin"), "driver");
  EXPECT_EQ(cls("/usr/lib/firmware/nvidia/580.65.06/gsp_tu10x.bin"), "driver");
  EXPECT_EQ(cls("/etc/OpenCL/vendors/nvidia.icd"), "driver");
  EXPECT_EQ(cls("/usr/share/glvnd/egl_vendor.d/10_nvidia.json"), "driver");
  EXPECT_EQ(cls("/usr/lib/x86_64-linux-gnu/libnvidia-sandboxutils.so.1"), "driver");
  EXPECT_EQ(cls("/usr/lib/x86_64-linux-gnu/libnvidia-vksc-core.so.1"), "driver");
}

TEST_F(ClassifierTest, cuda_toolkit_system_and_app) {
  EXPECT_EQ(cls("/opt/x/libcudart.so.13.0.96", "libcudart.so.13"), "cuda");
  EXPECT_EQ(cls("/usr/local/cuda/lib64/libcudnn_engines_precompiled.so.9"), "cuda");
  EXPECT_EQ(cls("/usr/local/cuda/bin/nvcc"), "toolkit");
  EXPECT_EQ(cls("/usr/local/cuda/lib64/stubs/libcuda.so"), "toolkit");  // the stub is toolkit, not driver
  EXPECT_EQ(cls("/usr/local/cuda/lib64/libcudart_static.a"), "toolkit");
  EXPECT_EQ(cls("/usr/local/cuda/targets/x86_64-linux/include/cuda.h"), "jit");  // CuPy's NVRTC compiles against it
  EXPECT_EQ(cls("/usr/local/cuda/include/cub/cub.cuh"), "jit");
  EXPECT_EQ(cls("/usr/local/cuda/lib64/libcublas_static.a"), "toolkit");
  EXPECT_EQ(cls("/usr/local/cuda/nvvm/bin/cicc"), "toolkit");
  EXPECT_EQ(cls("/lib/x86_64-linux-gnu/libz.so.1", "libz.so.1"), "system");  // debian12 provides it
  EXPECT_EQ(cls("/opt/app/libmine.so"), "app");
  auto scratch = *Classifier::make(set, "scratch");
  EXPECT_EQ(scratch.classify("/lib/x86_64-linux-gnu/libc.so.6", "", std::string("libc.so.6"), "").cls, ObjectClass::app);
}

TEST_F(ClassifierTest, jit_files_are_run_time_only_while_their_framework_ships) {
  auto k = c.classify("/v/lib/python3.12/site-packages/triton/backends/nvidia/bin/ptxas", "", std::nullopt, "ptxas");
  EXPECT_EQ(k.cls, ObjectClass::jit);
  EXPECT_EQ(class_given(k, {"triton"}), ObjectClass::jit);
  EXPECT_EQ(class_given(k, {"torch"}), ObjectClass::toolkit);  // no triton: a stray ptxas
  auto libdevice = c.classify("/usr/local/cuda/nvvm/libdevice/libdevice.10.bc", "", std::nullopt, "libdevice.10.bc");
  EXPECT_EQ(class_given(libdevice, {"numba-cuda", "numba"}), ObjectClass::jit);  // XLA and Numba both run it
  EXPECT_EQ(class_given(libdevice, {"numba-cuda"}), ObjectClass::toolkit);  // numba-cuda requires numba: it cannot run
  EXPECT_EQ(class_given(libdevice, {"jax-cuda13-plugin"}), ObjectClass::jit);
  EXPECT_EQ(class_given(libdevice, {}), ObjectClass::toolkit);
  // a system Python's dist-packages is a site dir too
  EXPECT_EQ(cls("/usr/local/lib/python3.12/dist-packages/nvidia/cuda_nvcc/nvvm/lib64/libnvvm.so"), "jit");
  EXPECT_EQ(cls("/usr/lib/python3/dist-packages/triton/backends/nvidia/bin/ptxas"), "jit");
  EXPECT_EQ(class_given(c.classify("/usr/local/cuda/bin/nvcc", "", std::nullopt, "nvcc"), {"triton", "jax-cuda13-plugin"}), ObjectClass::toolkit);
}

TEST_F(ClassifierTest, dlopen_edges_expand_versions) {
  ElfFile nvrtc;
  nvrtc.soname = "libnvrtc.so.13";
  auto edges = c.dlopen_edges("/l/libnvrtc.so.13", "/l/libnvrtc.so.13.0.88", nvrtc);
  ASSERT_FALSE(edges.empty());
  EXPECT_EQ(edges[0].any.front(), "libnvrtc-builtins.so.13.0");
  ElfFile cudnn;
  cudnn.soname = "libcudnn.so.9";
  std::vector<std::string> firsts;
  for (auto& e : c.dlopen_edges("/l/libcudnn.so.9", "/l/libcudnn.so.9.14.0", cudnn)) firsts.push_back(e.any.front());
  for (auto* sub : {"libcudnn_graph.so.9", "libcudnn_ops.so.9", "libcudnn_cnn.so.9", "libcudnn_adv.so.9",
                    "libcudnn_engines_precompiled.so.9", "libcudnn_engines_runtime_compiled.so.9", "libcudnn_heuristic.so.9", "libcuda.so.1"})
    EXPECT_NE(std::find(firsts.begin(), firsts.end(), sub), firsts.end()) << sub;
  // cuDNN 9 opens each sub-library by its own full version first, then major.minor, then major
  auto own = [](const std::string&) -> std::optional<Version> { return Version{9, 28, 0}; };
  std::vector<std::string> graph;
  for (auto& e : c.dlopen_edges("/l/libcudnn.so.9", "/l/libcudnn.so.9", cudnn, {}, own))
    if (e.any.front().rfind("libcudnn_graph", 0) == 0) graph = e.any;
  EXPECT_EQ(graph, (std::vector<std::string>{"libcudnn_graph.so.9.28.0", "libcudnn_graph.so.9.28", "libcudnn_graph.so.9"}));
  // cuDNN 8 (CUDA 11 and early 12 builds): its front library opens six sub-libraries of other names
  cudnn.soname = "libcudnn.so.8";
  firsts.clear();
  for (auto& e : c.dlopen_edges("/l/libcudnn.so.8", "/l/libcudnn.so.8.9.6", cudnn)) firsts.push_back(e.any.front());
  for (auto* sub : {"libcudnn_ops_infer.so.8", "libcudnn_ops_train.so.8", "libcudnn_cnn_infer.so.8", "libcudnn_cnn_train.so.8",
                    "libcudnn_adv_infer.so.8", "libcudnn_adv_train.so.8", "libcuda.so.1"})
    EXPECT_NE(std::find(firsts.begin(), firsts.end(), sub), firsts.end()) << sub;
  ElfFile ops;
  ops.soname = "libcudnn_ops_infer.so.8";
  firsts.clear();
  for (auto& e : c.dlopen_edges("/l/libcudnn_ops_infer.so.8", "/l/libcudnn_ops_infer.so.8.9.6", ops)) firsts.push_back(e.any.front());
  EXPECT_NE(std::find(firsts.begin(), firsts.end(), "libnvrtc.so"), firsts.end());
  EXPECT_NE(std::find(firsts.begin(), firsts.end(), "libcuda.so.1"), firsts.end());
}

// A synthetic tree of stub .so files carrying real sonames, walked by the resolver.
TEST(Classification, stub_tree_classes_and_driver_leaf) {
  TempDir t;
  build_lib(t / "drv/libcuda.so.580.65.06", "void cuInit(void){}", "-Wl,-soname,libcuda.so.1 -L" + t.path() + " -Wl,--no-as-needed");
  fs::create_symlink("libcuda.so.580.65.06", t / "drv/libcuda.so.1");
  build_lib(t / "lib/libcudart.so.13.0.96", "void cudaMalloc(void){}",
            "-Wl,-soname,libcudart.so.13 -Wl,--enable-new-dtags,-rpath," + t / "drv");
  fs::create_symlink("libcudart.so.13.0.96", t / "lib/libcudart.so.13");
  build_lib(t / "lib/libcublas.so.13.1.0.3", "void cublasCreate(void){}", "-Wl,-soname,libcublas.so.13");
  fs::create_symlink("libcublas.so.13.1.0.3", t / "lib/libcublas.so.13");
  build_exe(t / "app", "void cudaMalloc(void);void cublasCreate(void);int main(void){cudaMalloc();cublasCreate();return 0;}",
            "-L" + t / "lib" + " -l:libcudart.so.13 -l:libcublas.so.13 -Wl,--enable-new-dtags,-rpath," + t / "lib");
  ASSERT_EQ(run_program(t / "app").status, 0);
  auto set = *ProfileSet::builtin();
  auto c = std::make_shared<Classifier>(*Classifier::make(set, "glibc"));
  Root root("/");
  ResolveOptions opts;
  opts.is_leaf = [c](const std::string& n) { return c->is_driver_name(n); };
  Resolver r(root, opts);
  ASSERT_TRUE(r.init().ok());
  auto g = r.resolve({t / "app"}, [c](auto& p, auto& real, auto& elf) { return c->dlopen_edges(p, real, elf); });
  ASSERT_TRUE(g.ok());
  c->classify(*g);
  std::map<std::string, std::string> by_name;
  for (auto& o : g->objects) by_name[o.name] = to_string(o.cls);
  EXPECT_EQ(by_name["libcudart.so.13"], "cuda");
  EXPECT_EQ(by_name["libcublas.so.13"], "cuda");
  EXPECT_EQ(by_name["libc.so.6"], "system");
  EXPECT_EQ(by_name[t / "app"], "app");
  ASSERT_EQ(by_name["libcuda.so.1"], "driver");  // found through cudart's dlopen edge and RUNPATH
  for (auto& o : g->objects)
    if (o.name == "libcuda.so.1") {
      EXPECT_TRUE(o.leaf);
      EXPECT_EQ(o.how, How::dlopen_profile);
      EXPECT_EQ(o.path, t / "drv/libcuda.so.1");
    }
  EXPECT_TRUE(g->missing.empty());
}

TEST(Classification, absent_driver_is_a_null_leaf_never_missing) {
  if (!fs::exists("/usr/local/cuda/lib64/libcudnn.so.9")) GTEST_SKIP() << "no cuDNN in /usr/local/cuda/lib64 on this machine";
  auto r = run(std::string(CUSLIM_BINARY) + " deps --format json /usr/local/cuda/lib64/libcudnn.so.9");
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  std::set<std::string> subs;
  bool cuda_leaf = false;
  for (auto& o : j["objects"]) {
    std::string name = o["name"];
    if (name.rfind("libcudnn_", 0) == 0 && o["class"] == "cuda") subs.insert(name);
    if (name == "libcuda.so.1") cuda_leaf = o["class"] == "driver" && (o["path"].is_null() || fs::exists(o["path"].get<std::string>()));
  }
  EXPECT_EQ(subs.size(), 7u);
  EXPECT_TRUE(cuda_leaf);
  EXPECT_TRUE(j["missing"].empty());
}

}  // namespace
}  // namespace cuslim::test
