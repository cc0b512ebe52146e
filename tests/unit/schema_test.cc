// The YAML schema of profiles and image specs: unknown keys (with the closest known one), wrong
// types, bad regexes, bad enum values, env entries without '=', a spec without out:, each
// reported as exit 3 with FILE:LINE:COL and the key; every built-in profile and the repo's
// own image specs still pass.
#include "core/yaml_schema.h"

#include "bundle/bundle_job.h"
#include "bundle/image_spec.h"
#include "fixture.h"
#include "profile/embedded_profiles.h"
#include "profile/profile_set.h"

namespace cuslim::test {
namespace {

// The error of parsing `text` as a profile named p.yaml (empty when it parses).
std::string profile_error(const std::string& text) {
  auto p = Profile::parse(text, "p.yaml");
  if (p.ok()) return "";
  EXPECT_EQ(p.error().code(), Exit::bad_input) << p.error().message();
  return p.error().message();
}

std::string spec_error(const TempDir& tmp, const std::string& text) {
  write_file(tmp / "spec.yaml", text);
  auto s = read_image_spec(tmp / "spec.yaml");
  if (s.ok()) return "";
  EXPECT_EQ(s.error().code(), Exit::bad_input) << s.error().message();
  return s.error().message();
}

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

TEST(Schema, unknown_profile_key_names_line_column_and_the_closest_key) {
  auto e = profile_error("name: x\nclasify: []\n");
  EXPECT_HAS(e, "p.yaml:2:1: clasify: unknown key, did you mean 'classify'? (allowed: name, kind, description,");
  auto nested = profile_error("name: x\nclassify:\n  - {class: app, nmes: [a]}\n");
  EXPECT_HAS(nested, "p.yaml:3:18: classify[0].nmes: unknown key, did you mean 'names'? (allowed: class, rule, capability, names, paths, regex)");
  auto far = profile_error("name: x\nsomething: 1\n");
  EXPECT_HAS(far, "p.yaml:2:1: something: unknown key (allowed: name,");
  EXPECT_EQ(far.find("did you mean"), std::string::npos) << far;
}

TEST(Schema, profile_globs_close_their_classes_and_name_known_placeholders) {
  EXPECT_HAS(profile_error("name: x\ndlopen:\n  - {from: [a], to: [[\"liby.so.{nonsense}\"]]}\n"),
             "dlopen[0].to[0][0]: 'liby.so.{nonsense}': unknown placeholder {nonsense}");
  EXPECT_HAS(profile_error("name: x\nlink_only: ['[libfoo']\n"), "link_only[0]: '[libfoo': a '[' without its ']'");
  EXPECT_HAS(profile_error("name: x\nkeep: ['/etc/{site}/x']\n"), "keep[0]: '/etc/{site}/x': unknown placeholder {site} (none is expanded here)");
  EXPECT_EQ(profile_error("name: x\ndlopen:\n  - {from: [a], to: [[\"libnvrtc.so.{cuda_major}\"]]}\n"), "");
}

TEST(Schema, wrong_type_names_what_was_expected_and_what_is_there) {
  EXPECT_HAS(profile_error("name: x\nprovides: libc.so.6\n"), "p.yaml:2:11: provides: expected a list of strings, got 'libc.so.6'");
  EXPECT_HAS(profile_error("name: \"\"\n"), "p.yaml:1:7: name: '': empty (expected a profile name");
  EXPECT_HAS(profile_error("name: \"a b\"\n"), "name: 'a b': not a profile name");
  EXPECT_HAS(profile_error("name: x\n---\nname: y\n"), "p.yaml: holds more than one YAML document (---); a profile file is one");
  EXPECT_HAS(profile_error("name: [x]\n"), "p.yaml:1:7: name: expected a profile name (letters, digits, . _ -), got a list");
  EXPECT_HAS(profile_error("name: x\nprovides:\n"), "p.yaml:2:1: provides: expected a list of strings, got nothing");
  EXPECT_HAS(profile_error("name: x\ndlopen:\n  - {from: [a], to: [b]}\n"), "p.yaml:3:22: dlopen[0].to[0]: expected a list of strings, got 'b'");
  EXPECT_HAS(profile_error("name: x\nbinaries: {utility: nvidia-smi}\n"), "p.yaml:2:21: binaries.utility: expected a list of strings");
  EXPECT_HAS(profile_error("name: x\ncuda_major_by_soname: {libcudart: [12]}\n"), "cuda_major_by_soname.libcudart: expected a map of names to strings, got a list");
  EXPECT_HAS(profile_error("- name: x\n"), "p.yaml:1:1: expected a map (keys: name, kind,");
}

TEST(Schema, bad_regex_is_rejected_where_it_is_written) {
  auto e = profile_error("name: x\nclassify:\n  - {class: app, regex: '(['}\n");
  EXPECT_HAS(e, "p.yaml:3:25: classify[0].regex: '([' is not a valid regex (ECMAScript): ");
}

TEST(Schema, bad_enum_value_lists_the_allowed_values) {
  EXPECT_HAS(profile_error("name: x\nclassify:\n  - {class: firmware, names: [a]}\n"),
             "p.yaml:3:13: classify[0].class: 'firmware' is not allowed (allowed: app, cuda, driver, forward-compat, jit, system, toolkit)");
  EXPECT_HAS(profile_error("name: x\nkind: distro\n"), "p.yaml:2:7: kind: 'distro' is not allowed (allowed: base, cuda, driver, framework)");
}

TEST(Schema, required_keys_duplicates_and_empty_rules) {
  EXPECT_HAS(profile_error("kind: base\n"), "p.yaml:1:1: name: required");
  EXPECT_HAS(profile_error("name: x\nclassify:\n  - {class: app, rule: r}\n"), "p.yaml:3:5: classify[0]: needs one of names, paths, regex");
  EXPECT_HAS(profile_error("name: x\nclassify:\n  - {class: app, names: []}\n"), "classify[0]: needs one of names, paths, regex");
  EXPECT_HAS(profile_error("name: x\ndlopen:\n  - {from: [a]}\n"), "p.yaml:3:5: dlopen[0].to: required");
  EXPECT_HAS(profile_error("name: x\nname: y\n"), "p.yaml:2:1: name: duplicate key");
}

TEST(Schema, every_builtin_profile_validates) {
  for (auto& e : embedded_profiles()) {
    auto p = Profile::parse(e.text, e.file);
    EXPECT_TRUE(p.ok()) << e.file << ": " << p.error().message();
  }
  auto set = ProfileSet::builtin();
  ASSERT_TRUE(set.ok()) << set.error().message();
  auto cuda = set->resolved("cuda");
  ASSERT_TRUE(cuda.ok());
  EXPECT_EQ(cuda->cuda_major_by_soname.at("libcufft").at("11"), "12");  // read through the schema-checked path
  auto driver = set->resolved("nvidia-driver");
  ASSERT_TRUE(driver.ok());
  EXPECT_TRUE(std::any_of(driver->rules.begin(), driver->rules.end(), [](auto& r) { return !r.regex_text.empty(); }));
}

TEST(Schema, image_spec_bad_format_names_file_line_column) {
  TempDir tmp;
  auto e = spec_error(tmp, "name: x\ntargets: [/bin/true]\nformat: qcow2\nout: o\n");
  EXPECT_HAS(e, tmp / "spec.yaml" + ":3:9: format: 'qcow2' is not allowed (allowed: dir, tar, tar.gz, tar.zst, oci, oci-archive, docker-archive)");
  EXPECT_HAS(spec_error(tmp, "name: x\nout: o\ncompression: xz\n"), ":3:14: compression: 'xz' is not allowed (allowed: gzip, zstd)");
  EXPECT_HAS(spec_error(tmp, "name: x\nout: o\nouput: p\n"), ":3:1: ouput: unknown key, did you mean 'out'?");
  EXPECT_HAS(spec_error(tmp, "name: x\nout: o\n---\nname: y\nout: p\n"), "spec.yaml: holds more than one YAML document (---); a spec is one");
  EXPECT_HAS(spec_error(tmp, "name: x\nout: o\ntargets: /bin/true\n"), ":3:10: targets: expected a list of strings, got '/bin/true'");
}

TEST(Schema, image_spec_env_needs_key_equals_value) {
  TempDir tmp;
  EXPECT_HAS(spec_error(tmp, "name: x\nout: o\nenv: [A=1, FOO]\n"), ":3:12: env[1]: 'FOO' is not K=V");
  EXPECT_HAS(spec_error(tmp, "name: x\nout: o\nenv: ['=1']\n"), "env[0]: '=1' is not K=V");
  EXPECT_HAS(spec_error(tmp, "name: x\nout: o\nenv: ['1A=1']\n"), "env[0]: '1A=1' is not K=V");
  EXPECT_EQ(spec_error(tmp, "name: x\nout: o\nenv: [A_1=, _B=x=y]\n"), "");
  EXPECT_TRUE(is_env_entry("PATH=/bin"));
  EXPECT_FALSE(is_env_entry("A-B=1"));
}

// A second document is a `---` at column 0 after content; a leading `---`, one inside a block
// scalar's indentation or a quoted string is not. (yaml-cpp's LoadAll looped without end on
// fuzz input: the check is textual.)
TEST(Schema, a_second_yaml_document_is_found_by_its_marker) {
  EXPECT_FALSE(yaml_has_second_document("name: x\n"));
  EXPECT_FALSE(yaml_has_second_document("# c\n---\nname: x\n"));
  EXPECT_FALSE(yaml_has_second_document("%YAML 1.2\n---\nname: x\n"));
  EXPECT_FALSE(yaml_has_second_document("d: |\n  ---\n  text\n"));
  EXPECT_FALSE(yaml_has_second_document("a: ----\n"));
  EXPECT_TRUE(yaml_has_second_document("name: x\n---\nname: y\n"));
  EXPECT_TRUE(yaml_has_second_document("name: x\n--- \n"));
  EXPECT_TRUE(yaml_has_second_document("---\nname: x\n---\r\nname: y\n"));
}

// The fuzz input on which yaml-cpp's LoadAll grew past 2 GB: a plain error now.
TEST(Schema, the_fuzz_input_that_exhausted_load_all_is_an_error) {
  static const std::string text = "# debian:12-slim (bookworm): pytho 2.36, libstdc++6 so.1.0\", \"liblz4.so.1\",\n"
      "           \"libgcrypt.so.20\", \"libgpg-error.so.0\", \"libsystemd.so.0\", \"libudev.so.1\", \"libtinfo.so.6\", \"libncursesw.so.6\",\n"
      "           \"libmd.so.0\", \"libblkid.so.1\", \"libmount.so.1\", \"libsmartcols.so.1\", \"libuuid.so.1\", \"libpam.so.0\",\n"
      "           \"libpam_misc.so.0\", \"libsemanage.libzstd.so.1\", \"libbz2.so.1.0\", \"liblz4.so.1\",\n"
      "           \"libgcrypt.so.20\", \"libgpg-error.so.0\", \"libsystemd.so.0\", \"libudev.so.1\", \"libtinfo.so.6\", \"libncursesw.so.6\",\n"
      "           \"libmd.so.0\", \"libblkid.so.1\", \"libmount.so.1\", \"libsmartcols.so.1\", \"libuuid.so.1\", \"libpam.so.0\",\n"
      "           \"libpam_misc.so.0\", \"libsemanage.so.2\", \"libsepol.so.2\", \"libgmp.so.10\", \"libnettle.so.8\", \"libhogweed.so.6\",\n"
      "           \"libgnutls.so.30\", \"libp11-kit.so.0\", \"li@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\377\377\377\377\377@@@@@@@@@@@@@@@@@@@@@@@@PPPPPPPPPPPPPPPP\", \"libss.so.2\", \002l-be2p.so.2\", \"libcrypt.so.1\"]\n"
      "";
  EXPECT_NE(profile_error(text), "");
}

TEST(Schema, image_spec_gpu_arch_is_one_string_or_a_list_of_them) {
  TempDir tmp;
  write_file(tmp / "arch.yaml", "name: x\nout: o\ntargets: [/bin/true]\ngpu_arch: [80, sm_90]\n");
  auto spec = read_image_spec(tmp / "arch.yaml");
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_EQ(spec->gpu_arch, "80,sm_90");  // what --gpu-arch 80,sm_90 says
  auto job = job_from_spec(*spec, "");
  ASSERT_TRUE(job.ok()) << job.error().message();
  EXPECT_EQ(job->gpu_arch, "80,sm_90");  // settled by bundle_job() as the flag is
  EXPECT_HAS(spec_error(tmp, "name: x\nout: o\ngpu_arch: [80, 1x]\n"), ":3:16: gpu_arch[1]: '1x': not a list of compute capabilities");
  EXPECT_HAS(spec_error(tmp, "name: x\nout: o\ngpu_arch: []\n"), ":3:11: gpu_arch: expected compute capabilities such as 90 or 80,90, got an empty list");
  EXPECT_HAS(spec_error(tmp, "name: x\nout: o\ngpu_arch: {a: 1}\n"),
             "gpu_arch: expected compute capabilities such as 90 or 80,90 (or a list of them), got a map");
  EXPECT_EQ(spec_error(tmp, "name: x\nout: o\ngpu_arch: 80,90\n"), "");
}

TEST(Schema, image_spec_without_out_is_an_error_unless_o_gives_it) {
  TempDir tmp;
  write_file(tmp / "noout.yaml", "name: x\ntargets: [/bin/true]\n");
  auto spec = read_image_spec(tmp / "noout.yaml");
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_EQ(spec->out, "");  // no invented out/<name>
  EXPECT_EQ(spec->tag, "x");
  auto job = job_from_spec(*spec, "");
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().code(), Exit::bad_input);
  EXPECT_EQ(job.error().message(), tmp / "noout.yaml" + ": out: required (where to write the image; or -o OUT)");
  auto with_o = job_from_spec(*spec, tmp / "x.tar");
  ASSERT_TRUE(with_o.ok()) << with_o.error().message();
  EXPECT_EQ(with_o->request.out, tmp / "x.tar");
}

TEST(Schema, repo_image_specs_validate) {
  auto images = fs::path(__FILE__).parent_path().parent_path().parent_path() / "images";
  int n = 0;
  for (auto& f : fs::directory_iterator(images)) {
    if (f.path().extension() != ".yaml") continue;
    auto s = read_image_spec(f.path().string());
    ASSERT_TRUE(s.ok()) << s.error().message();
    EXPECT_FALSE(s->out.empty()) << f.path();
    ++n;
  }
  EXPECT_GT(n, 0);
}

TEST(Schema, edit_distance) {
  EXPECT_EQ(edit_distance("clasify", "classify"), 1u);
  EXPECT_EQ(edit_distance("ouput", "out"), 2u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

}  // namespace
}  // namespace cuslim::test
