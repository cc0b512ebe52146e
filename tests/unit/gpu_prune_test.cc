// --gpu-arch: which entries a GPU runs, and the in-place rewrite of fatbin containers, on ELF
// objects built here with synthetic containers (cc, no nvcc needed): what is kept, what is zeroed,
// and that no byte outside the rewritten containers changes.
#include <cstring>
#include <set>

#include "bundle/gpu_prune.h"
#include "core/root.h"
#include "elf/elf_file.h"
#include "elf/fatbin.h"
#include "fixture.h"
#include "image/file_extents.h"
#include "image/layer.h"
#include "prune/fatbin_prune.h"
#include "prune/gpu_arch.h"
#include "profile/inspection.h"
#include "profile/library_version.h"
#include "profile/profile_set.h"

namespace cuslim {
namespace {

using test::TempDir;
namespace fs = std::filesystem;

constexpr uint64_t kPtx = 1, kSass = 2, kA = 0x100000, kF = 0x200000;

template <class T>
void put(std::string& b, size_t off, T v) {
  std::memcpy(b.data() + off, &v, sizeof v);
}

// One entry: a header of `hsize` bytes, then `padded` payload bytes all equal to `fill`.
std::string entry(uint16_t kind, uint32_t arch, uint64_t flags, uint64_t padded, char fill, uint32_t hsize = 64) {
  std::string e(hsize + padded, fill);
  std::memset(e.data(), 0, hsize);
  put<uint16_t>(e, 0, kind);
  put<uint16_t>(e, 2, 0x0101);
  put<uint32_t>(e, 4, hsize);
  put<uint64_t>(e, 8, padded);
  put<uint32_t>(e, 16, static_cast<uint32_t>(padded));
  put<uint16_t>(e, 24, 0);
  put<uint16_t>(e, 26, kind == kPtx ? 9 : 1);
  put<uint32_t>(e, 28, arch);
  put<uint64_t>(e, 40, 0x11 | flags);
  put<uint64_t>(e, 56, padded);
  return e;
}

std::string container(const std::vector<std::string>& entries, uint64_t slack = 0) {
  std::string body;
  for (auto& e : entries) body += e;
  body += std::string(slack, '\x5a');  // bytes the entries do not account for: not exact
  std::string h(16, '\0');
  put<uint32_t>(h, 0, 0xBA55ED50);
  put<uint16_t>(h, 4, 1);
  put<uint16_t>(h, 6, 16);
  put<uint64_t>(h, 8, body.size());
  return h + body;
}

std::string c_array(const std::string& name, const std::string& section, const std::string& bytes) {
  std::string s = "__attribute__((section(\"" + section + "\"), aligned(8), used)) const unsigned char " + name + "[] = {";
  for (unsigned char c : bytes) s += std::to_string(c) + ",";
  return s + "};\n";
}

std::string read_all(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

class GpuPruneTest : public ::testing::Test {
 protected:
  TempDir t;
  std::string lib = t / "libfat.so";
  void SetUp() override {
    std::string fat =
        container({entry(kSass, 80, 0, 256, 'a'), entry(kSass, 90, 0, 128, 'b'), entry(kPtx, 90, 0, 64, 'c', 80),
                   entry(kSass, 100, 0, 512, 'd'), entry(kPtx, 120, 0, 192, 'e'), entry(kSass, 90, kA, 96, 'f', 88)}) +
        container({entry(kSass, 100, 0, 512, 'g'), entry(kSass, 120, 0, 64, 'h')}) +  // nothing for 90
        container({entry(kSass, 90, 0, 64, 'i')}) +                                  // only what 90 runs
        container({entry(kSass, 80, 0, 64, 'j'), entry(kSass, 90, 0, 64, 'k')}, 8) +  // not exact: left whole
        container({entry(kSass, 100, kF, 128, 'l'), entry(kSass, 103, 0, 64, 'm'), entry(kPtx, 100, kF, 64, 'n')});
    // .cask_resource: other data, a stray magic that is no container, then a container.
    std::string stray(32, '\x11');
    put<uint32_t>(stray, 8, 0xBA55ED50);
    std::string cask = std::string(24, '\x22') + stray + container({entry(kSass, 80, 0, 128, 'o'), entry(kSass, 90, 0, 64, 'p')}) + std::string(16, '\x33');
    test::build_lib(lib, c_array("fat", ".nv_fatbin", fat) + c_array("cask", ".cask_resource", cask) + "int f(void){return 1;}\n");
  }

  FatbinLayout layout(const std::string& p) {
    auto elf = ElfFile::read(p, p, ElfFile::Parts::all);
    EXPECT_TRUE(elf.ok());
    auto l = FatbinLayout::read(p, *elf);
    EXPECT_TRUE(l.ok());
    return l.ok() ? *l : FatbinLayout{};
  }

  static std::vector<std::string> names(const FatbinContainer& c) {
    std::vector<std::string> out;
    for (auto& e : c.entries) out.push_back(e.entry.arch_name());
    return out;
  }

  // Prunes `lib` for `archs` into `out`; returns the plan.
  FatbinPrune prune(const std::vector<unsigned>& archs, const std::string& out) {
    auto pr = FatbinPrune::plan(lib, "libfat.so", archs);
    EXPECT_TRUE(pr.ok()) << (pr.ok() ? "" : pr.error().message());
    if (!pr.ok()) return {};
    if (pr->extents.empty()) fs::copy_file(lib, out);
    else EXPECT_TRUE(write_extents(lib, pr->extents, out).ok());
    return *pr;
  }
};

TEST(GpuArch, lists_parse_and_bad_items_are_named) {
  EXPECT_EQ(*parse_gpu_archs("90"), std::vector<unsigned>{90});
  EXPECT_EQ(*parse_gpu_archs("sm_90,80,9.0,compute_100"), (std::vector<unsigned>{80, 90, 100}));
  for (auto bad : {"", "sm_", "9", "90x", "1000", "9.10", "80,,", "900", "91", "999"}) {  // typos of real GPUs too
    auto r = parse_gpu_archs(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code(), Exit::usage);
    }
  }
}

TEST(GpuArch, which_entries_a_gpu_runs) {
  auto e = [](int kind, unsigned arch, const char* v) { return FatbinEntry{.kind = kind, .arch = arch, .variant = v}; };
  EXPECT_TRUE(runs_on(e(FatbinEntry::sass, 80, ""), 86));    // same major, lower minor
  EXPECT_FALSE(runs_on(e(FatbinEntry::sass, 86, ""), 80));
  EXPECT_FALSE(runs_on(e(FatbinEntry::sass, 80, ""), 90));   // never across majors
  EXPECT_TRUE(runs_on(e(FatbinEntry::sass, 90, "a"), 90));
  EXPECT_FALSE(runs_on(e(FatbinEntry::sass, 100, "a"), 103));  // 'a' code only on its own arch
  EXPECT_TRUE(runs_on(e(FatbinEntry::sass, 100, "f"), 103));   // 'f' code across its family
  EXPECT_FALSE(runs_on(e(FatbinEntry::sass, 100, "f"), 120));
  EXPECT_TRUE(runs_on(e(FatbinEntry::ptx, 75, ""), 90));     // PTX: JIT for any newer arch
  EXPECT_FALSE(runs_on(e(FatbinEntry::ptx, 120, ""), 90));
  EXPECT_FALSE(runs_on(e(FatbinEntry::ptx, 90, "a"), 100));
  EXPECT_TRUE(kept_for(90, {90}));
  EXPECT_TRUE(kept_for(90, {80, 90}));
  EXPECT_FALSE(kept_for(90, {80}));
  EXPECT_FALSE(kept_for(86, {80}));  // pruning for 8.0 drops sm_86 SASS an 8.6 would use
  EXPECT_TRUE(kept_for(80, {86}) == false);
}

// Hostile sizes: an entry header longer than what is left of its container (with a payload size
// that wraps the step back to zero) ends the walk with a warning, instead of looping for ever; a
// container header longer than its section is no container (its bytes past the section belong to
// another one, and are never planned for rewriting).
TEST(FatbinHostile, sizes_that_wrap_end_the_walk_and_nothing_outside_is_planned) {
  TempDir t;
  std::string bad(64, '\0');
  put<uint16_t>(bad, 0, kSass);
  put<uint32_t>(bad, 4, 128);                     // header size: past the 64 bytes left
  put<uint64_t>(bad, 8, ~uint64_t(0) - 127);      // payload: 2^64 - 128
  std::string lib = t / "libwrap.so";
  test::build_lib(lib, c_array("fat", ".nv_fatbin", container({entry(kSass, 90, 0, 64, 'a'), entry(kSass, 80, 0, 64, 'b'), bad})) +
                           "int f(void){return 1;}\n");
  auto elf = ElfFile::read(lib, lib, ElfFile::Parts::all);
  ASSERT_TRUE(elf.ok());
  auto l = FatbinLayout::read(lib, *elf);
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->containers.size(), 1u);
  EXPECT_EQ(l->containers[0].entries.size(), 2u);
  EXPECT_FALSE(l->containers[0].exact);
  ASSERT_FALSE(l->warnings.empty());
  EXPECT_NE(l->warnings[0].find("has a size past its container"), std::string::npos) << l->warnings[0];
  auto pr = FatbinPrune::plan(lib, "libwrap.so", {90});
  ASSERT_TRUE(pr.ok()) << pr.error().message();
  EXPECT_TRUE(pr->extents.empty()) << "a container that does not parse exactly is left whole";

  std::string hdr = container({});
  put<uint16_t>(hdr, 6, 32);  // a 16-byte section whose header says 32
  std::string lib2 = t / "libshort.so";
  test::build_lib(lib2, c_array("fat", ".nv_fatbin", hdr) + c_array("z", ".zdata", std::string(16, '\0') + entry(kSass, 80, 0, 64, 'c')) +
                            "int f(void){return 1;}\n");
  auto elf2 = ElfFile::read(lib2, lib2, ElfFile::Parts::all);
  ASSERT_TRUE(elf2.ok());
  auto l2 = FatbinLayout::read(lib2, *elf2);
  ASSERT_TRUE(l2.ok());
  EXPECT_TRUE(l2->containers.empty());
  ASSERT_FALSE(l2->warnings.empty());
  auto pr2 = FatbinPrune::plan(lib2, "libshort.so", {90});
  ASSERT_TRUE(pr2.ok()) << pr2.error().message();
  EXPECT_TRUE(pr2->extents.empty());

  // Bytes after the last entry that make no entry: the warning says so (it was empty after the colon).
  std::string lib3 = t / "libslack.so";
  test::build_lib(lib3, c_array("fat", ".nv_fatbin", container({entry(kSass, 90, 0, 64, 'a')}, 8)) + "int f(void){return 1;}\n");
  auto elf3 = ElfFile::read(lib3, lib3, ElfFile::Parts::all);
  auto l3 = FatbinLayout::read(lib3, *elf3);
  ASSERT_TRUE(l3.ok());
  ASSERT_FALSE(l3->warnings.empty());
  EXPECT_NE(l3->warnings[0].find("8 bytes after its last entry"), std::string::npos) << l3->warnings[0];
}

TEST_F(GpuPruneTest, the_fixture_parses_as_written) {
  auto l = layout(lib);
  ASSERT_EQ(l.containers.size(), 6u);  // five in .nv_fatbin, one found in .cask_resource (the stray magic is not one)
  EXPECT_EQ(names(l.containers[0]), (std::vector<std::string>{"sm_80", "sm_90", "compute_90", "sm_100", "compute_120", "sm_90a"}));
  EXPECT_FALSE(l.containers[3].exact);
  EXPECT_EQ(l.containers[5].section, ".cask_resource");
}

TEST_F(GpuPruneTest, keeps_what_the_listed_gpus_run_and_zeroes_the_rest_in_place) {
  std::string out = t / "pruned.so";
  auto pr = prune({90}, out);
  auto before = layout(lib), after = layout(out);
  ASSERT_EQ(after.containers.size(), before.containers.size());
  EXPECT_EQ(names(after.containers[0]), (std::vector<std::string>{"sm_90", "compute_90", "sm_90a"}));
  EXPECT_EQ(names(after.containers[1]), (std::vector<std::string>{"sm_120"}));  // nothing for 90: its smallest entry stays
  EXPECT_EQ(names(after.containers[2]), (std::vector<std::string>{"sm_90"}));
  EXPECT_EQ(names(after.containers[3]), (std::vector<std::string>{"sm_80", "sm_90"}));  // not exact: whole
  EXPECT_EQ(names(after.containers[4]), (std::vector<std::string>{"sm_103"}));  // the first of the smallest
  EXPECT_EQ(names(after.containers[5]), (std::vector<std::string>{"sm_90"}));
  EXPECT_EQ(pr.stats.rewritten, 4u);
  EXPECT_EQ(pr.stats.no_code, 2u);
  EXPECT_EQ(pr.stats.not_exact, 1u);

  std::string a = read_all(lib), b = read_all(out);
  ASSERT_EQ(a.size(), b.size());  // the file keeps its size
  // Containers keep their offsets; inside each, the kept entries are byte-identical to the
  // source's, then zeros up to the old end. Outside the containers nothing changed.
  std::vector<bool> inside(a.size(), false);
  uint64_t zeroed = 0;
  for (size_t i = 0; i < before.containers.size(); ++i) {
    auto& c0 = before.containers[i];
    auto& c1 = after.containers[i];
    EXPECT_EQ(c1.offset, c0.offset);
    for (uint64_t o = c0.offset; o < c0.end(); ++o) inside[o] = true;
    uint64_t pos = c1.offset + c1.header_size;
    for (auto& e : c1.entries) {
      auto same = std::find_if(c0.entries.begin(), c0.entries.end(), [&](auto& x) { return x.entry.arch_name() == e.entry.arch_name(); });
      ASSERT_NE(same, c0.entries.end());
      EXPECT_EQ(b.substr(pos, e.span()), a.substr(same->offset, same->span())) << e.entry.arch_name();
      pos += e.span();
    }
    if (c1.entries.size() == c0.entries.size()) {  // left whole, byte for byte
      EXPECT_EQ(b.substr(c0.offset, c0.end() - c0.offset), a.substr(c0.offset, c0.end() - c0.offset)) << "container " << i;
      continue;
    }
    for (; pos < c0.end(); ++pos) {
      EXPECT_EQ(b[pos], '\0') << "container " << i << " offset " << pos;
      ++zeroed;
    }
  }
  EXPECT_EQ(zeroed, pr.stats.bytes_zeroed);
  size_t changed_outside = 0;
  for (size_t o = 0; o < a.size(); ++o) changed_outside += !inside[o] && a[o] != b[o];
  EXPECT_EQ(changed_outside, 0u);
  EXPECT_EQ(pr.stats.zeroed_by_arch.at("sm_80"), 64u + 256 + 64u + 128);  // container 0 and the .cask_resource one
  EXPECT_EQ(pr.stats.zeroed_by_section.count(".cask_resource"), 1u);
}

// The GPUs a prune leaves a container without any code for, among those it had code for: what the
// image's covers label is made of (a GPU whose containers never had code is not one of them).
TEST_F(GpuPruneTest, lost_for_names_the_gpus_a_container_lost_all_its_code_for) {
  auto pr = prune({90}, t / "pruned.so");
  // Container 0 and the .cask_resource one lose the sm_80 code every 8.x GPU ran (compute_90 is
  // too new for them); container 1 keeps sm_120, losing what 10.x ran; container 4 keeps sm_103,
  // losing sm_100f (10.0, 10.1). compute_90 still serves 10.x and 11.0 in container 0.
  EXPECT_EQ(pr.stats.lost_for, (std::set<unsigned>{80, 86, 87, 88, 89, 100, 101, 103}));
  auto none = FatbinPrune::plan(lib, "libfat.so", {80, 90, 100, 103, 120});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->stats.lost_for.empty());
}

TEST(GpuArch, a_pruned_image_serves_what_its_covers_label_says) {
  std::map<std::string, std::string> labels{{kGpuArchLabel, "80,90"}};
  EXPECT_EQ(pruned_image_serves({}, 86), std::nullopt);   // not pruned
  EXPECT_EQ(pruned_image_serves(labels, 86), false);      // no covers label: kept_for(86, {80, 90})
  EXPECT_EQ(pruned_image_serves(labels, 90), true);
  labels[kGpuArchCoversLabel] = "80,86,90";
  EXPECT_EQ(pruned_image_serves(labels, 86), true);       // no container lost what an 8.6 ran
  EXPECT_EQ(pruned_image_serves(labels, 100), false);
  labels[kGpuArchCoversLabel] = "none";
  EXPECT_EQ(pruned_image_serves(labels, 90), false);
}

TEST_F(GpuPruneTest, several_archs_keep_the_union_and_the_source_is_untouched) {
  std::string src_before = read_all(lib);
  std::string out = t / "pruned.so";
  prune({80, 103}, out);
  auto after = layout(out);
  EXPECT_EQ(names(after.containers[0]), (std::vector<std::string>{"sm_80", "compute_90", "sm_100"}));  // sm_100 runs on 10.3
  EXPECT_EQ(names(after.containers[4]), (std::vector<std::string>{"sm_100f", "sm_103", "compute_100f"}));  // all run on 10.3
  EXPECT_EQ(read_all(lib), src_before);
}

TEST_F(GpuPruneTest, nothing_to_remove_is_no_rewrite) {
  auto pr = FatbinPrune::plan(lib, "libfat.so", {80, 90, 100, 103, 120});
  ASSERT_TRUE(pr.ok());
  // Every container holds only entries one of these GPUs runs, except compute_90a-style code
  // for none: container 0's sm_90a runs on 90, so nothing is zeroed anywhere.
  EXPECT_TRUE(pr->extents.empty());
  EXPECT_EQ(pr->stats.bytes_zeroed, 0u);
}

TEST_F(GpuPruneTest, a_file_without_gpu_code_plans_nothing) {
  std::string plain = t / "libplain.so";
  test::build_lib(plain, "int g(void){return 2;}\n");
  auto pr = FatbinPrune::plan(plain, "libplain.so", {90});
  ASSERT_TRUE(pr.ok());
  EXPECT_TRUE(pr->extents.empty());
  EXPECT_EQ(pr->stats.containers, 0u);
}

// A file with GPU code that does not parse (truncated here) ships as it is, with a warning that
// names it; the one beside it that parses is pruned.
TEST_F(GpuPruneTest, a_file_that_does_not_parse_ships_unchanged_with_a_warning) {
  std::string whole = read_all(lib);
  ASSERT_GT(whole.size(), 6000u);
  std::ofstream(t / "libcut.so", std::ios::binary) << whole.substr(0, 6000);  // ELF magic, sections past the end
  fs::copy_file(lib, t / "libok.so");
  Root root(t.path());
  Plan plan;
  plan.items["/libcut.so"] = PlanItem{.size = 6000};
  plan.items["/libok.so"] = PlanItem{.size = whole.size()};
  auto r = prune_gpu_code(root, plan, PruneRequest{.archs = {90}});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_FALSE(plan.items["/libcut.so"].extents) << "the unparsed file is shipped as it is";
  EXPECT_TRUE(plan.items["/libok.so"].extents) << "the other file is pruned";
  ASSERT_FALSE(r->warnings.empty());  // (and the fixture's inexact container of libok.so)
  EXPECT_NE(r->warnings[0].find("/libcut.so: GPU code not pruned, the file did not parse"), std::string::npos) << r->warnings[0];
  EXPECT_EQ(read_all(t / "libcut.so"), whole.substr(0, 6000));
}

// Hard links of a pruned library stay one inode: planned once (one rewrite, its bytes counted
// once), written as tar hard links to the first name, and as links in a dir output.
TEST_F(GpuPruneTest, hard_links_are_pruned_once_and_stay_links) {
  fs::create_hard_link(lib, t / "libfat-link.so");
  Root root(t.path());
  uint64_t size = fs::file_size(lib);
  Plan plan;
  plan.items["/libfat.so"] = PlanItem{.size = size};
  plan.items["/libfat-link.so"] = PlanItem{.size = size};
  auto r = prune_gpu_code(root, plan, PruneRequest{.archs = {90}});
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_TRUE(plan.items["/libfat.so"].extents);
  EXPECT_EQ(plan.items["/libfat.so"].extents, plan.items["/libfat-link.so"].extents) << "one rewrite for the inode";
  auto one = FatbinPrune::plan(lib, "libfat.so", {90});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(r->bytes_zeroed, one->stats.bytes_zeroed) << "counted once";
  std::vector<LayerEntry> entries;
  for (auto& [p, item] : plan.items)
    entries.push_back(LayerEntry{.type = LayerEntry::file, .name = p.substr(1), .source = t / p.substr(1), .size = item.size, .extents = item.extents});
  ASSERT_TRUE(write_layer(entries, t / "layer.tar", LayerOptions{.compression = Compression::none}).ok());
  auto listing = test::run("tar -tvf " + (t / "layer.tar") + " 2>&1");
  EXPECT_NE(listing.out.find("libfat.so link to libfat-link.so"), std::string::npos) << listing.out;
  auto x = test::run("mkdir " + (t / "x") + " && tar -xf " + (t / "layer.tar") + " -C " + (t / "x") + " && stat -c %h " + (t / "x/libfat.so"));
  EXPECT_EQ(x.out, "2\n");
  EXPECT_NE(read_all(t / "x/libfat.so"), read_all(lib)) << "the link is the pruned content";
}

// Section headers the file promises but that cannot be read (a bad e_shstrndx, an e_shnum past the
// end): the file ships unchanged, said so -- not in silence as a file without GPU code.
TEST_F(GpuPruneTest, unreadable_section_headers_are_said_not_read_as_no_gpu_code) {
  std::string whole = read_all(lib);
  Root root(t.path());
  Plan plan;
  for (auto [name, off, value] : {std::tuple{"libshstr.so", 62, 0xfff0}, std::tuple{"libshnum.so", 60, 0xffff}}) {
    std::string bytes = whole;
    put<uint16_t>(bytes, off, static_cast<uint16_t>(value));
    std::ofstream(t / name, std::ios::binary) << bytes;
    plan.items[std::string("/") + name] = PlanItem{.size = bytes.size()};
  }
  auto r = prune_gpu_code(root, plan, PruneRequest{.archs = {90}});
  ASSERT_TRUE(r.ok()) << r.error().message();
  for (const char* name : {"/libshstr.so", "/libshnum.so"}) {
    EXPECT_FALSE(plan.items[name].extents) << name;
    bool said = std::any_of(r->warnings.begin(), r->warnings.end(), [&](auto& w) {
      return w.find(std::string(name) + ": GPU code not pruned, shipped unchanged: section headers:") != std::string::npos;
    });
    EXPECT_TRUE(said) << name << ": " << (r->warnings.empty() ? "no warning" : r->warnings[0]);
  }
}

TEST_F(GpuPruneTest, a_corrupt_first_container_is_said_not_read_as_no_gpu_code) {
  // A library whose only fatbin section starts with a container claiming more than the section:
  // no container is read, which must not pass as "no GPU code" in silence.
  std::string fat = container({entry(kSass, 80, 0, 64, 'a'), entry(kSass, 90, 0, 64, 'b')});
  put<uint64_t>(fat, 8, 1ull << 40);
  std::string bad = t / "libbad.so";
  test::build_lib(bad, c_array("fat", ".nv_fatbin", fat) + "int f(void){return 1;}\n");
  std::string before = read_all(bad);
  Root root(t.path());
  Plan plan;
  plan.items["/libbad.so"] = PlanItem{.size = before.size()};
  auto r = prune_gpu_code(root, plan, PruneRequest{.archs = {90}});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_FALSE(plan.items["/libbad.so"].extents) << "shipped as it is";
  ASSERT_FALSE(r->warnings.empty()) << "a section whose first container does not parse is said";
  EXPECT_NE(r->warnings[0].find("/libbad.so: GPU code not pruned, shipped unchanged"), std::string::npos) << r->warnings[0];
  EXPECT_EQ(read_all(bad), before);
}

}  // namespace
}  // namespace cuslim

namespace cuslim {
namespace {

// A library whose CUDA version is known only as a major (a soname in the cuda profile's table, a
// wheel's "cu12") is made exact by the newest PTX ISA of that major in its fatbin; a PTX ISA of
// another major does not change it.
TEST(CudaVersion, a_major_only_answer_is_made_exact_by_the_fatbins_ptx_isa) {
  TempDir t;
  auto ptx = [](uint16_t isa_major, uint16_t isa_minor) {
    std::string e = entry(kPtx, 90, 0, 64, 'c', 80);
    put<uint16_t>(e, 24, isa_minor);
    put<uint16_t>(e, 26, isa_major);
    return e;
  };
  test::build_lib(t / "a/libcublasLt.so.12", c_array("fat", ".nv_fatbin", container({entry(kSass, 90, 0, 64, 'a'), ptx(8, 8)})) + "int f(void){return 1;}\n",
                  "-Wl,-soname,libcublasLt.so.12");
  test::build_lib(t / "b/libcublasLt.so.12", c_array("fat", ".nv_fatbin", container({ptx(9, 0)})) + "int f(void){return 1;}\n",
                  "-Wl,-soname,libcublasLt.so.12");
  auto set = *ProfileSet::builtin();
  auto c = *Classifier::make(set, "debian12");
  Root root(t.path());
  auto exact = inspect(root, "/a/libcublasLt.so.12", c);
  ASSERT_TRUE(exact.ok()) << exact.error().message();
  ASSERT_TRUE(exact->cuda_version);
  EXPECT_EQ(exact->cuda_version->str(2), "12.9");
  EXPECT_EQ(exact->cuda_version_parts, 2);
  EXPECT_NE(exact->cuda_version_source.find("PTX ISA"), std::string::npos) << exact->cuda_version_source;
  auto other = inspect(root, "/b/libcublasLt.so.12", c);
  ASSERT_TRUE(other.ok()) << other.error().message();
  ASSERT_TRUE(other->cuda_version);
  EXPECT_EQ(other->cuda_version->major, 12);
  EXPECT_EQ(other->cuda_version_parts, 1);
}

// The same refinement is the library's answer (read_library_version), so every user of it (dlopen
// edges' {cuda_minor}, the CUDA a set of libraries was built for) agrees with inspect: NCCL from a
// -cu12 wheel with PTX ISA 8.8 is CUDA 12.9, not "12".
TEST(CudaVersion, a_wheels_major_is_made_exact_by_ptx_in_the_library_answer) {
  TempDir t;
  std::string e = entry(kPtx, 90, 0, 64, 'c', 80);
  put<uint16_t>(e, 24, 8);
  put<uint16_t>(e, 26, 8);
  test::build_lib(t / "site/nvidia/nccl/lib/libnccl.so.2", c_array("fat", ".nv_fatbin", container({e})) + "int f(void){return 1;}\n",
                  "-Wl,-soname,libnccl.so.2");
  test::write_file(t / "site/nvidia_nccl_cu12-2.27.3.dist-info/METADATA", "Metadata-Version: 2.1\nName: nvidia-nccl-cu12\nVersion: 2.27.3\n\n");
  test::write_file(t / "site/nvidia_nccl_cu12-2.27.3.dist-info/RECORD", "nvidia/nccl/lib/libnccl.so.2,sha256=x,1\n");
  Root root(t.path());
  auto lv = read_library_version(root, "/site/nvidia/nccl/lib/libnccl.so.2");
  ASSERT_TRUE(lv.ok()) << lv.error().message();
  ASSERT_TRUE(lv->cuda);
  EXPECT_EQ(lv->cuda->str(2), "12.9");
  EXPECT_EQ(lv->cuda_parts, 2);
  EXPECT_NE(lv->cuda_source.find("PTX ISA"), std::string::npos) << lv->cuda_source;
  EXPECT_NE(lv->cuda_source.find("nvidia-nccl-cu12"), std::string::npos) << lv->cuda_source;
  ASSERT_TRUE(lv->version);
  EXPECT_EQ(*lv->version, (Version{2, 27, 3}));
}

// A CUDA library with no version function and no wheel (a toolkit's libcurand.so.10): its CUDA
// version is its newest PTX's, and inspect, verify and bundle read it the same way
// (read_cuda_version, newest_cuda_built_for): a CUDA 13 library is never "no CUDA version".
TEST(CudaVersion, one_reading_for_inspect_verify_and_bundle) {
  TempDir t;
  std::string e = entry(kPtx, 100, 0, 64, 'c', 80);
  put<uint16_t>(e, 24, 0);
  put<uint16_t>(e, 26, 9);  // PTX ISA 9.0: CUDA 13.0
  test::build_lib(t / "libcurand.so.10", c_array("fat", ".nv_fatbin", container({e})) + "int f(void){return 1;}\n", "-Wl,-soname,libcurand.so.10");
  Root root(t.path());
  auto set = ProfileSet::builtin();
  ASSERT_TRUE(set.ok());
  auto c = Classifier::make(*set, "glibc");
  ASSERT_TRUE(c.ok());
  auto seen = inspect(root, "/libcurand.so.10", *c);
  ASSERT_TRUE(seen.ok()) << seen.error().message();
  ASSERT_TRUE(seen->cuda_version);
  EXPECT_EQ(seen->cuda_version->str(2), "13.0");
  auto read = read_cuda_version(root, "/libcurand.so.10", *c);
  ASSERT_TRUE(read.ok() && read->cuda);
  EXPECT_EQ(read->cuda->str(2), "13.0");
  EXPECT_EQ(read->source, seen->cuda_version_source);
  auto built = newest_cuda_built_for(root, {"/libcurand.so.10"}, *c);
  ASSERT_TRUE(built);
  EXPECT_EQ(built->cuda.str(2), "13.0");
}

}  // namespace
}  // namespace cuslim
