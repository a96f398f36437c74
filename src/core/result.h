// File: core/result.h
//
// The error type every forewarn module returns instead of throwing across its public header.
// `Result<T>` holds either a T or an `Error`; `Status` is `Result<void>`.
//
//   Result<Partner> p = store.FindPartner(id);
//   if (!p) return tl::make_unexpected(p.error());   // or: FW_TRY(p);
//   Use(p.value());
//
// Only members whose names std::expected shares are used (has_value, value, error, and_then,
// or_else, transform), so moving to std::expected changes this file alone.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <utility>

namespace forewarn {

// A small canonical set of error codes (like absl::StatusCode). Each is mapped to an HTTP
// status in http/ and to a CLI exit code in app/, in exactly one place each.
enum class ErrorCode {
  kInvalidArgument,     // the caller sent something malformed; fix the input
  kNotFound,            // no such object, or the caller may not know it exists (embargo)
  kUnauthenticated,     // missing, unknown, expired or revoked credentials
  kPermissionDenied,    // authenticated, but the role may not do this
  kConflict,            // the object exists already, or a concurrent change won
  kFailedPrecondition,  // the object is in a state that forbids this (illegal lifecycle step)
  kUnavailable,         // a dependency is temporarily down; retry later
  kInternal,            // a bug or corrupted state; an operator must look
};

std::string_view ErrorCodeName(ErrorCode code);
// The inverse of ErrorCodeName: the code named `name` ("not_found"), or nullopt.
std::optional<ErrorCode> ErrorCodeFromName(std::string_view name);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};

template <class T>
using Result = tl::expected<T, Error>;
using Status = Result<void>;

// Builds the error side of any Result: `return Fail(ErrorCode::kNotFound, "partner not found");`
inline tl::unexpected<Error> Fail(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

// Returns the error side of a failed Result/Status unchanged: `return Forward(r);`
template <class T>
tl::unexpected<Error> Forward(const Result<T>& failed) {
  return tl::unexpected<Error>(failed.error());
}

inline Status Ok() { return {}; }

}  // namespace forewarn

// Evaluates `expr` (a Result or Status); if it failed, returns its error from the calling function.
#define FW_TRY(expr)                                                      \
  do {                                                                    \
    auto&& fw_try_result_ = (expr);                                       \
    if (!fw_try_result_.has_value()) {                                    \
      return ::tl::unexpected<::forewarn::Error>(fw_try_result_.error()); \
    }                                                                     \
  } while (false)

#define FW_CONCAT_INNER_(a, b) a##b
#define FW_CONCAT_(a, b) FW_CONCAT_INNER_(a, b)
#define FW_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)            \
  auto tmp = (expr);                                         \
  if (!tmp.has_value()) {                                    \
    return ::tl::unexpected<::forewarn::Error>(tmp.error()); \
  }                                                          \
  lhs = std::move(tmp).value()

// `FW_ASSIGN_OR_RETURN(auto partner, store.FindPartner(id));`
#define FW_ASSIGN_OR_RETURN(lhs, expr) \
  FW_ASSIGN_OR_RETURN_IMPL_(FW_CONCAT_(fw_assign_tmp_, __LINE__), lhs, expr)
