// Errors are values: an exit code plus a message that names the file and the reason.
// Messages read "<file>: <what>: <why>"; wrap() prepends context as the error travels up.
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace cuslim {

// Exit codes of the command-line contract (README: "Exit codes").
enum class Exit : int {
  ok = 0,
  check_failed = 1,  // a check failed or a dependency is missing
  usage = 2,         // bad command line
  bad_input = 3,     // unreadable or invalid input
  network = 4,       // a registry could not be reached or refused (connection, TLS, authentication, HTTP errors)
  cannot_execute = 126,  // run: the program is in the image but cannot be executed (as docker run, a shell)
  not_found = 127,       // run: no such program in the image
};

class Error {
 public:
  Error(Exit code, std::string message) : code_(code), message_(std::move(message)) {}

  // "<what>: <strerror(err)>", errno captured by the caller at the failing call.
  static Error from_errno(std::string what, int err);

  // Returns a copy with "<context>: " in front of the message.
  Error wrap(const std::string& context) const { return {code_, context + ": " + message_}; }
  // The same error with every `from` in its message said as `to` (a temp name as the output's).
  Error said_as(const std::string& from, const std::string& to) const {
    std::string m = message_;
    for (size_t at = 0; !from.empty() && (at = m.find(from, at)) != std::string::npos; at += to.size()) m.replace(at, from.size(), to);
    return {code_, m};
  }

  Exit code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Exit code_;
  std::string message_;
};

inline Error bad_input(std::string message) { return {Exit::bad_input, std::move(message)}; }

// A value or an Error. Small on purpose: ok(), value(), error(), and * / -> for the value.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }
  T value_or(T fallback) const& { return ok() ? value() : std::move(fallback); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> v_;
};

struct Unit {};
using Status = Result<Unit>;
inline Status ok_status() { return Unit{}; }

}  // namespace cuslim

// Evaluates a Result expression; on error returns it (optionally wrapped) from the caller.
#define CUSLIM_CONCAT_(a, b) a##b
#define CUSLIM_CONCAT(a, b) CUSLIM_CONCAT_(a, b)
#define CUSLIM_TRY_IMPL_(tmp, decl, expr)    \
  auto tmp = (expr);                         \
  if (!tmp.ok()) return tmp.error();         \
  decl = std::move(tmp).value()
#define CUSLIM_TRY(decl, expr) CUSLIM_TRY_IMPL_(CUSLIM_CONCAT(cuslim_try_, __LINE__), decl, expr)
#define CUSLIM_CHECK(expr)                                                   \
  do {                                                                       \
    auto cuslim_status_ = (expr);                                            \
    if (!cuslim_status_.ok()) return cuslim_status_.error();                 \
  } while (0)
