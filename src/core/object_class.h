// The class of an object, the product's central word: who provides it at run time.
//   driver   the host GPU driver (injected at container start; an image never carries it)
//   forward-compat  the cuda-compat-X-Y set (/usr/local/cuda-X.Y/compat): newer user-space driver
//            libraries an image may carry for older data-center drivers; used only where the
//            NVIDIA hook's rule picks them (forward_compat.h)
//   system   the base image (glibc, ...)
//   cuda     CUDA runtime libraries an image may carry
//   toolkit  build-time pieces (nvcc, headers, static libraries, stubs)
//   jit      toolkit pieces a framework runs at run time (Triton's ptxas, XLA's libdevice, the
//            CUDA headers CuPy's NVRTC compiles against): they ship while that framework does
//   app      everything else: what the user ships
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cuslim {

// Declared in name order: reports keyed by class list them alphabetically, as they always have.
enum class ObjectClass { app, cuda, driver, forward_compat, jit, system, toolkit };

inline constexpr ObjectClass kObjectClasses[] = {ObjectClass::app,           ObjectClass::cuda, ObjectClass::driver,
                                                 ObjectClass::forward_compat, ObjectClass::jit,  ObjectClass::system,
                                                 ObjectClass::toolkit};

constexpr std::string_view name_of(ObjectClass c) {
  switch (c) {
    case ObjectClass::app: return "app";
    case ObjectClass::cuda: return "cuda";
    case ObjectClass::driver: return "driver";
    case ObjectClass::forward_compat: return "forward-compat";
    case ObjectClass::jit: return "jit";
    case ObjectClass::system: return "system";
    case ObjectClass::toolkit: return "toolkit";
  }
  return "app";
}

inline std::string to_string(ObjectClass c) { return std::string(name_of(c)); }

inline std::optional<ObjectClass> parse_object_class(std::string_view s) {
  for (auto c : kObjectClasses)
    if (name_of(c) == s) return c;
  return std::nullopt;
}

}  // namespace cuslim
