#include "image/digest.h"

#include "core/hex.h"

namespace cuslim {

Result<Digest> Digest::parse(std::string_view s) {
  constexpr std::string_view prefix = "sha256:";
  if (s.substr(0, prefix.size()) != prefix) return bad_input("digest '" + std::string(s) + "': only sha256 is supported");
  std::string_view hex = s.substr(prefix.size());
  if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string_view::npos)
    return bad_input("digest '" + std::string(s) + "': not 64 lowercase hex digits");
  return Digest(std::string(hex));
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) { EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr); }

void Sha256::update(const void* data, size_t n) { EVP_DigestUpdate(ctx_.get(), data, n); }

Digest Sha256::finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_.get(), md, &len);
  return Digest::from_hex(to_hex(std::string_view(reinterpret_cast<const char*>(md), len)));
}

Digest Sha256::of(std::string_view data) {
  Sha256 h;
  h.update(data.data(), data.size());
  return h.finish();
}

}  // namespace cuslim
