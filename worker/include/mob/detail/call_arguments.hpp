// What a proxy call's arguments are, decided at compile time: values that travel (a
// string literal as std::string, a mob::callback as a function the receiver calls
// back), and perhaps a result handler last. A function that is neither cannot travel
// (cereal would encode a captureless lambda as nothing, to fail at the receiver with
// bad_type), so the call does not compile, and the diagnostic says what to write.
#pragma once

#include "mob/callback.hpp"
#include "mob/result.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace mob::detail {

// A string literal travels as std::string.
template <typename T>
using arg_wire_t = std::conditional_t<std::is_convertible_v<const T&, std::string_view> &&
                                          !std::is_same_v<std::remove_cvref_t<T>, std::string>,
                                      std::string, std::remove_cvref_t<T>>;

/// Whether T is Tmpl<X> (a result, a reply), and its X as value_type.
template <typename T, template <typename> class Tmpl>
struct unwrap : std::false_type {};
template <typename X, template <typename> class Tmpl>
struct unwrap<Tmpl<X>, Tmpl> : std::true_type {
    using value_type = X;
};
template <typename T>
using is_result = unwrap<T, result>;

template <typename T>
struct is_callback : std::false_type {};
template <typename Signature>
struct is_callback<callback<Signature>> : std::true_type {};

/// The parameter of a one-parameter function type, function pointer or member function
/// pointer (an operator()); void for anything else.
template <typename F>
struct sole_parameter {
    using type = void;
};
template <typename R, typename X>
struct sole_parameter<R(X)> {
    using type = X;
};
template <typename R, typename X>
struct sole_parameter<R(X) noexcept> : sole_parameter<R(X)> {};
template <typename R, typename X>
struct sole_parameter<R (*)(X)> : sole_parameter<R(X)> {};
template <typename R, typename X>
struct sole_parameter<R (*)(X) noexcept> : sole_parameter<R(X)> {};
template <typename C, typename R, typename X>
struct sole_parameter<R (C::*)(X)> : sole_parameter<R(X)> {};
template <typename C, typename R, typename X>
struct sole_parameter<R (C::*)(X) const> : sole_parameter<R(X)> {};
template <typename C, typename R, typename X>
struct sole_parameter<R (C::*)(X) noexcept> : sole_parameter<R(X)> {};
template <typename C, typename R, typename X>
struct sole_parameter<R (C::*)(X) const noexcept> : sole_parameter<R(X)> {};

/// A class with one operator(), not a template: its address can be taken.
template <typename F>
concept one_call_operator = requires {
    &F::operator();
};

/// A class with one operator() that is not a mob::callback (which has one too, but is
/// an argument: a mob::callback<void(mob::result<X>)> travels, it handles nothing).
template <typename F>
concept handler_class = one_call_operator<F> && !is_callback<F>::value;

/// The parameter of a function, or of a handler_class's operator().
template <typename F>
struct handler_parameter : sole_parameter<F> {};
template <handler_class F>
struct handler_parameter<F> : sole_parameter<decltype(&F::operator())> {};

/// Whether F (decayed) is a handler taking one mob::result<X>, which it is given as
/// an rvalue (so not by non-const reference); value_type is X.
template <typename F,
          typename P =
              std::remove_cvref_t<typename handler_parameter<std::remove_cvref_t<F>>::type>>
struct result_handler : std::false_type {};
template <typename F, typename X>
struct result_handler<F, result<X>>
    : std::bool_constant<std::is_invocable_v<std::remove_cvref_t<F>&, result<X>>> {
    using value_type = X;
};

/// Finding an operator() of any kind (a template, overloads): looking it up in a class
/// derived from F and from one with an operator() of its own is ambiguous.
struct call_operator_probe {
    void operator()() const;
};
template <typename F>
struct with_call_operator_probe : F, call_operator_probe {};

template <typename F>
concept has_call_operator = std::is_class_v<F> &&
    ((std::is_final_v<F> && one_call_operator<F>) ||
     (!std::is_final_v<F> && !requires { &with_call_operator_probe<F>::operator(); }));

/// Whether T is a function to call rather than a value to send: a class with an
/// operator() (a closure, generic or not), a function or a function pointer. A
/// mob::callback is a value: it travels, and the receiver calls it back.
template <typename T, typename F = std::remove_cvref_t<T>>
concept plain_callable = !is_callback<F>::value &&
                         (std::is_function_v<std::remove_pointer_t<F>> || has_call_operator<F>);

/// The last of A..., or void for none.
template <typename... A>
struct last_of {
    using type = void;
};
template <typename First, typename... Rest>
struct last_of<First, Rest...> {
    using type = std::tuple_element_t<sizeof...(Rest), std::tuple<First, Rest...>>;
};
template <typename... A>
using last_of_t = typename last_of<A...>::type;

/// Whether the last of A... is a result handler (false for none).
template <typename... A>
inline constexpr bool last_is_result_handler_v = result_handler<last_of_t<A...>>::value;

/// The wire tuple of the first N of A...: what a call with a result handler sends.
template <typename Index, typename... A>
struct leading_wire_tuple;
template <std::size_t... I, typename... A>
struct leading_wire_tuple<std::index_sequence<I...>, A...> {
    using type = std::tuple<arg_wire_t<std::tuple_element_t<I, std::tuple<A...>>>...>;
};

/// Whether the first of A... that Index counts are values, not functions.
template <typename Index, typename... A>
inline constexpr bool leading_values_v = false;
template <std::size_t... I, typename... A>
inline constexpr bool leading_values_v<std::index_sequence<I...>, A...> =
    (!plain_callable<std::tuple_element_t<I, std::tuple<A...>>> && ...);

template <typename... A>
inline constexpr bool all_but_last_are_values_v =
    leading_values_v<std::make_index_sequence<sizeof...(A) == 0 ? 0 : sizeof...(A) - 1>, A...>;

template <typename... A>
inline constexpr bool last_is_value_or_result_handler_v =
    !plain_callable<last_of_t<A...>> || last_is_result_handler_v<A...>;

template <typename... A>
inline constexpr bool all_are_values_v = (!plain_callable<A> && ...);

// The concepts below fail with the source line of their failing part, comment included:
// that comment is the diagnostic's advice, so it stays on the line it explains.

/// A call's arguments: values, and perhaps a handler taking one mob::result<T> last.
template <typename... A>
concept call_arguments =
    all_but_last_are_values_v<A...> &&  // a function travels only as a mob::callback<void(...)>
    last_is_value_or_result_handler_v<A...>;  // write the handler as [](mob::result<T> r) {...}

/// A cast's arguments: values only (it wants no result, so it takes no handler).
template <typename... A>
concept cast_arguments =
    all_are_values_v<A...>;  // no result handler for cast(); a function travels as a callback

}  // namespace mob::detail
