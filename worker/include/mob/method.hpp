// mob::method<R(Args...)>: a remote function declared once, in a header that the role
// serving it and its callers both include, so that the compiler checks the export and
// every call against one signature (CAF's typed interfaces, in miniature):
//
//     inline constexpr mob::method<int(int, int)> add{"add"};
//     w.export_fn(add, [](int a, int b) { return a + b; });   // the role that serves it
//     int three = back.call(add, 1, 2).value();               // a call_future<int>
//     back.call(add, 1L, 2, [](mob::result<int> r) { ... });  // arguments convert
//     back.cast(add, 1, 2);                                   // fire and forget
//
// On the wire it is the string form: its name, and beside the arguments the type name
// of the tuple of its parameter types (decayed), so a typed call reaches a string-form
// export of those types, and a string-form call a typed export.
#pragma once

#include "mob/detail/call_arguments.hpp"
#include "mob/reply.hpp"
#include "mob/result.hpp"

#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace mob {

template <typename Signature>
class method;

/// A remote function's name and signature; a literal type, to declare constexpr.
template <typename R, typename... Args>
class method<R(Args...)> {
  public:
    /// What a call's future holds: call(m, ...) gives a call_future<result_type>.
    using result_type = std::remove_cvref_t<R>;
    /// What the arguments travel as; its type name travels beside them.
    using args_tuple = std::tuple<std::remove_cvref_t<Args>...>;
    static constexpr std::size_t arity = sizeof...(Args);

    /// `name` is not copied: a string literal, or another string that outlives the method.
    constexpr explicit method(std::string_view name) noexcept : name_(name) {}
    constexpr std::string_view name() const noexcept { return name_; }

  private:
    std::string_view name_;
};

namespace detail {

/// Whether the first tuple_size<Params> of the Args tuple's types convert to Params'.
template <typename Params, typename Args,
          typename = std::make_index_sequence<std::tuple_size_v<Params>>>
inline constexpr bool leading_convert_v = false;
template <typename Params, typename... A, std::size_t... I>
inline constexpr bool leading_convert_v<Params, std::tuple<A...>, std::index_sequence<I...>> =
    (std::is_convertible_v<std::tuple_element_t<I, std::tuple<A...>>,
                           std::tuple_element_t<I, Params>> &&
     ...);

template <typename M, typename... A>
inline constexpr bool arity_fits_v = sizeof...(A) == M::arity || sizeof...(A) == M::arity + 1;
template <typename M, typename... A>
inline constexpr bool arity_is_v = sizeof...(A) == M::arity;
template <typename M, typename... A>
inline constexpr bool arguments_convert_v =
    leading_convert_v<typename M::args_tuple, std::tuple<A&&...>>;

/// Whether H (decayed, as the proxy keeps it) can be called with an Arg; false for void.
template <typename H, typename Arg>
inline constexpr bool handles_v = std::is_invocable_v<std::remove_cvref_t<H>&, Arg>;
template <typename Arg>
inline constexpr bool handles_v<void, Arg> = false;

template <typename M, typename... A>
inline constexpr bool handler_fits_v =
    sizeof...(A) == M::arity || handles_v<last_of_t<A...>, result<typename M::result_type>>;

// As in call_arguments.hpp, a failing part's line, with its comment, is the diagnostic.

/// A typed call's arguments: the declared ones (or convertible), and perhaps a handler.
template <typename M, typename... A>
concept typed_call_arguments =
    arity_fits_v<M, A...> &&         // give the declared arguments, and perhaps a handler last
    arguments_convert_v<M, A...> &&  // each argument must convert to its declared type
    handler_fits_v<M, A...>;         // after the arguments: a handler of mob::result<R>

/// A typed cast's arguments: the declared ones (or convertible), no handler.
template <typename M, typename... A>
concept typed_cast_arguments =
    arity_is_v<M, A...> &&         // a cast takes the declared arguments, and no handler
    arguments_convert_v<M, A...>;  // each argument must convert to its declared type

/// Whether F, given the decoded arguments of Params, returns an R / answers a reply<R>.
template <typename F, typename R, typename Params>
inline constexpr bool returns_v = false;
template <typename F, typename R, typename... P>
inline constexpr bool returns_v<F, R, std::tuple<P...>> = std::is_invocable_r_v<R, F&, P&&...>;
template <typename F, typename R, typename Params>
inline constexpr bool replies_v = false;
template <typename F, typename R, typename... P>
inline constexpr bool replies_v<F, R, std::tuple<P...>> =
    std::is_invocable_v<F&, reply<R>&, P&&...>;

template <typename F, typename M>
inline constexpr bool serves_by_returning_v =
    returns_v<F, typename M::result_type, typename M::args_tuple>;
template <typename F, typename M>
inline constexpr bool serves_by_reply_v =
    replies_v<F, typename M::result_type, typename M::args_tuple>;

/// A function that can serve method M: it takes M's parameters and returns its R, or
/// takes a mob::reply<R> and then M's parameters.
template <typename F, typename M>
concept serves = serves_by_returning_v<F, M> ||  // fn(declared parameters) -> R, or
    serves_by_reply_v<F, M>;                     // fn(mob::reply<R>, declared parameters)

}  // namespace detail
}  // namespace mob
