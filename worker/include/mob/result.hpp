// The outcome of a remote call: a value, or an error that crossed the wire as a
// value (code and message), in the manner of CAF's expected<T>.
#pragma once

#include "mob/error.hpp"

#include <memory>
#include <string>
#include <utility>
#include <variant>

namespace mob {

/// Why a call failed: an error code and a message meant for a person.
struct call_error {
    errc code = errc::ok;
    std::string message;
};

namespace detail {
struct result_access;

/// What served_by() says while no worker is known. Not a function's static: its guarded
/// initialisation makes g++ 12 -O2 warn (maybe-uninitialized) in code using a result.
inline const std::string unknown_server;

/// Which worker served a call. Shared and immutable, so copying a result copies no
/// string; null while unknown, which costs nothing.
class served_by_field {
  public:
    /// The id of the worker that served the call, "role/pid@host#nonce"; empty when
    /// unknown: the call was not made with call_settings::report_server, or it failed
    /// before a worker answered.
    const std::string& served_by() const noexcept { return worker_ ? *worker_ : unknown_server; }

  private:
    friend struct result_access;
    std::shared_ptr<const std::string> worker_;
};
}  // namespace detail

/// A value of type T, or a call_error; served_by() names the worker that answered.
template <typename T>
class result : public detail::served_by_field {
  public:
    result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
    result(call_error e) : state_(std::in_place_index<1>, std::move(e)) {}

    bool ok() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }
    /// The value; throws mob::error (with the error's code and message) if there is none.
    T& value() & {
        check();
        return std::get<0>(state_);
    }
    T&& value() && {
        check();
        return std::get<0>(std::move(state_));
    }
    const T& value() const& {
        check();
        return std::get<0>(state_);
    }
    T& operator*() & { return value(); }
    /// The error; only meaningful when !ok().
    const call_error& error() const { return std::get<1>(state_); }

  private:
    void check() const {
        if (!ok())
            throw mob::error(error().message, error().code);
    }
    std::variant<T, call_error> state_;
};

template <>
class result<void> : public detail::served_by_field {
  public:
    result() = default;
    result(call_error e) : error_(std::move(e)), failed_(true) {}
    bool ok() const noexcept { return !failed_; }
    explicit operator bool() const noexcept { return ok(); }
    void value() const {
        if (failed_)
            throw mob::error(error_.message, error_.code);
    }
    const call_error& error() const { return error_; }

  private:
    call_error error_;
    bool failed_ = false;
};

namespace detail {
/// How the engine (detail::to_result) tells a result who served it.
struct result_access {
    static void set_served_by(served_by_field& r, const std::string& worker) {
        r.worker_ = worker.empty() ? nullptr : std::make_shared<const std::string>(worker);
    }
};
}  // namespace detail

}  // namespace mob
