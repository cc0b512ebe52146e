// Library versions read from code, on stand-ins compiled at test time: each family's version
// function as a compiler writes it (stored through the pointer argument, after a handle check).
#include <gtest/gtest.h>

#include "fixture.h"
#include "profile/inspection.h"
#include "profile/library_version.h"
#include "profile/profile_set.h"

namespace cuslim {
namespace {

using test::TempDir;

LibraryVersion version_of(const TempDir& dir, const std::string& name) {
  Root root(dir.path());
  auto v = read_library_version(root, "/" + name);
  EXPECT_TRUE(v.ok()) << v.error().message();
  return v.ok() ? *v : LibraryVersion{};
}

TEST(LibraryVersion, cufft_curand_cusolver_cusparse_versions_come_from_their_version_functions) {
  TempDir dir;
  test::build_lib(dir / "libcufft.so.11", "int cufftGetVersion(int* v) { *v = 11401; return 0; }", "-O2 -Wl,-soname,libcufft.so.11");
  test::build_lib(dir / "libcurand.so.10", "int curandGetVersion(int* v) { *v = 10303; return 0; }", "-O2 -Wl,-soname,libcurand.so.10");
  test::build_lib(dir / "libcusolver.so.11", "int cusolverGetVersion(int* v) { *v = 11604; return 0; }", "-O2 -Wl,-soname,libcusolver.so.11");
  test::build_lib(dir / "libcusparse.so.12", "int cusparseGetVersion(void* h, int* v) { if (!h) return 1; *v = 12603; return 0; }",
                  "-O2 -Wl,-soname,libcusparse.so.12");
  auto cufft = version_of(dir, "libcufft.so.11");
  ASSERT_TRUE(cufft.version);
  EXPECT_EQ(*cufft.version, (Version{11, 4, 1}));
  EXPECT_EQ(cufft.version_source, "code: cufftGetVersion writes 11401");
  EXPECT_EQ(*version_of(dir, "libcurand.so.10").version, (Version{10, 3, 3}));
  EXPECT_EQ(*version_of(dir, "libcusolver.so.11").version, (Version{11, 6, 4}));
  auto cusparse = version_of(dir, "libcusparse.so.12");
  ASSERT_TRUE(cusparse.version);
  EXPECT_EQ(*cusparse.version, (Version{12, 6, 3}));
}

// cuBLAS's own version is not the CUDA release (cuBLAS 13.1 ships with CUDA 13.0; 13.10 with a
// later 13.x): the CUDA version comes from cublas(Lt)GetCudartVersion.
TEST(LibraryVersion, cublas_cuda_version_is_the_cudart_it_was_built_for_not_its_own) {
  TempDir dir;
  test::build_lib(dir / "libcublasLt.so.13",
                  "int cublasLtGetVersion(void) { return 131000; }\n"
                  "unsigned long cublasLtGetCudartVersion(void) { return 13000; }",
                  "-O2 -Wl,-soname,libcublasLt.so.13");
  auto lt = version_of(dir, "libcublasLt.so.13");
  ASSERT_TRUE(lt.version);
  EXPECT_EQ(*lt.version, (Version{13, 10, 0}));
  ASSERT_TRUE(lt.cuda);
  EXPECT_EQ(*lt.cuda, (Version{13, 0, 0}));
  EXPECT_EQ(lt.cuda_parts, 2);
  EXPECT_EQ(lt.cuda_source, "code: cublasLtGetCudartVersion returns 13000");
  auto set = ProfileSet::builtin();
  ASSERT_TRUE(set.ok());
  auto c = Classifier::make(*set, "glibc");
  ASSERT_TRUE(c.ok());
  auto built = newest_cuda_built_for(Root(dir.path()), {"/libcublasLt.so.13"}, *c);
  ASSERT_TRUE(built);
  EXPECT_EQ(built->cuda, (Version{13, 0, 0}));
}

TEST(LibraryVersion, a_constant_of_another_major_than_the_soname_promises_is_not_taken) {
  TempDir dir;
  test::build_lib(dir / "libcufft.so.11", "int cufftGetVersion(int* v) { *v = 12000; return 0; }", "-O2 -Wl,-soname,libcufft.so.11");
  EXPECT_FALSE(version_of(dir, "libcufft.so.11").version);
}

}  // namespace
}  // namespace cuslim
