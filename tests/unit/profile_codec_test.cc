// The ready form of the built-in profiles: it decodes to what the YAML parses to (every field:
// re-encoding gives the same bytes, and the classifier built from it answers alike), a damaged
// cache file is never trusted, and ProfileSet::builtin() writes then uses it.
#include <cstdlib>

#include "fixture.h"
#include "profile/classifier.h"
#include "profile/embedded_profiles.h"
#include "profile/profile_codec.h"
#include "profile/profile_set.h"

namespace cuslim {
namespace {

std::vector<Profile> parsed() {
  std::vector<Profile> out;
  for (auto& e : embedded_profiles()) {
    auto p = Profile::parse(e.text, e.file);
    EXPECT_TRUE(p.ok());
    if (p.ok()) out.push_back(std::move(*p));
  }
  return out;
}

TEST(ProfileCodec, round_trips_every_field) {
  auto profiles = parsed();
  ASSERT_GT(profiles.size(), 10u);
  std::string bytes = encode_profiles(profiles);
  auto back = decode_profiles(bytes);
  ASSERT_TRUE(back.has_value());
  ASSERT_EQ(back->size(), profiles.size());
  EXPECT_EQ(encode_profiles(*back), bytes);
  size_t regexes = 0;
  for (auto& p : *back)
    for (auto& r : p.rules)
      if (!r.regex_text.empty()) regexes += std::regex_match("libnvidia-x.so.590.44.01", rule_regex(r));
  EXPECT_GT(regexes, 0u);  // compiled from their text
}

TEST(ProfileCodec, damaged_bytes_are_refused) {
  std::string bytes = encode_profiles(parsed());
  EXPECT_FALSE(decode_profiles(bytes.substr(0, bytes.size() / 2)).has_value());
  EXPECT_FALSE(decode_profiles(bytes + "x").has_value());
  EXPECT_FALSE(decode_profiles("").has_value());
  std::string wrong = bytes;
  wrong[0] ^= 1;
  EXPECT_FALSE(decode_profiles(wrong).has_value());
  std::string huge = bytes;
  huge[9] = '\x7f';  // the profile count: far past the end
  EXPECT_FALSE(decode_profiles(huge).has_value());
}

TEST(ProfileCodec, builtin_writes_the_ready_form_then_reads_it_and_survives_a_broken_one) {
  test::TempDir t;
  setenv("CUSLIM_CACHE_DIR", t.path().c_str(), 1);
  auto first = ProfileSet::builtin();
  ASSERT_TRUE(first.ok());
  std::vector<std::string> files;
  for (auto& f : std::filesystem::directory_iterator(t.path())) files.push_back(f.path().string());
  ASSERT_EQ(files.size(), 1u);
  auto second = ProfileSet::builtin();  // from the file
  ASSERT_TRUE(second.ok());
  auto c1 = Classifier::make(*first, "glibc"), c2 = Classifier::make(*second, "glibc");
  ASSERT_TRUE(c1.ok() && c2.ok());
  for (std::string p : {"/usr/lib/x86_64-linux-gnu/libcuda.so.1", "/usr/local/cuda/lib64/libcublasLt.so.13", "/usr/local/cuda/bin/nvcc",
                        "/usr/local/cuda-13.0/compat/libcuda.so.580.65.06", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/opt/app/bin/app"})
    EXPECT_EQ(c1->classify(p, p, std::nullopt, p.substr(p.rfind('/') + 1)).rule, c2->classify(p, p, std::nullopt, p.substr(p.rfind('/') + 1)).rule) << p;
  // An edit that still decodes (a soname changed in place) fails the checksum: parsed afresh and
  // the file rebuilt, never trusted.
  std::string good = test::read_file(files[0]);
  std::string edited = good;
  auto at = edited.find("libnvrtc.so");
  ASSERT_NE(at, std::string::npos);
  edited[at + 7] = 'X';
  test::write_file(files[0], edited);
  auto reread = ProfileSet::builtin();
  ASSERT_TRUE(reread.ok());
  EXPECT_EQ(test::read_file(files[0]), good);
  test::write_file(files[0], "garbage");
  auto third = ProfileSet::builtin();  // parses the YAML again
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->all().size(), first->all().size());
  unsetenv("CUSLIM_CACHE_DIR");
}

}  // namespace
}  // namespace cuslim
