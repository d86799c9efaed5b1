// The outcome of a remote call: a value, or an error that crossed the wire as a
// value (code and message), in the manner of CAF's expected<T>.
#pragma once

#include "mob/error.hpp"

#include <string>
#include <utility>
#include <variant>

namespace mob {

/// Why a call failed: an error code and a message meant for a person.
struct call_error {
    errc code = errc::ok;
    std::string message;
};

/// A value of type T, or a call_error.
template <typename T>
class result {
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
class result<void> {
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

}  // namespace mob
