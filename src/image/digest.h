// Digest: a validated "sha256:<64 hex>" value, and Sha256, the streaming hasher (OpenSSL).
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"

namespace cuslim {

class Digest {
 public:
  static Result<Digest> parse(std::string_view s);  // "sha256:..." only
  static Digest from_hex(std::string hex) { return Digest(std::move(hex)); }
  const std::string& hex() const { return hex_; }
  std::string str() const { return "sha256:" + hex_; }
  bool operator==(const Digest&) const = default;

 private:
  explicit Digest(std::string hex) : hex_(std::move(hex)) {}
  std::string hex_;
};

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t n);
  Digest finish();
  static Digest of(std::string_view data);

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

}  // namespace cuslim
