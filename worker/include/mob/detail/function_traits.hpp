// Argument and return types of a callable, for deducing exported signatures.
#pragma once

#include <cstddef>
#include <tuple>
#include <type_traits>

namespace mob::detail {

template <typename F>
struct function_traits : function_traits<decltype(&F::operator())> {};

template <typename R, typename... A>
struct function_traits<R (*)(A...)> {
    using result = R;
    using args = std::tuple<A...>;
    static constexpr std::size_t arity = sizeof...(A);
};
template <typename R, typename... A>
struct function_traits<R(A...)> : function_traits<R (*)(A...)> {};
template <typename C, typename R, typename... A>
struct function_traits<R (C::*)(A...)> : function_traits<R (*)(A...)> {};
template <typename C, typename R, typename... A>
struct function_traits<R (C::*)(A...) const> : function_traits<R (*)(A...)> {};
template <typename C, typename R, typename... A>
struct function_traits<R (C::*)(A...) noexcept> : function_traits<R (*)(A...)> {};
template <typename C, typename R, typename... A>
struct function_traits<R (C::*)(A...) const noexcept> : function_traits<R (*)(A...)> {};

template <typename Tuple>
struct decayed_tuple;
template <typename... A>
struct decayed_tuple<std::tuple<A...>> {
    using type = std::tuple<std::remove_cvref_t<A>...>;
};

/// The first element type of a tuple, or void for an empty one.
template <typename Tuple>
struct first_of {
    using type = void;
};
template <typename T, typename... Rest>
struct first_of<std::tuple<T, Rest...>> {
    using type = T;
};

template <typename Tuple>
struct drop_first;
template <typename T, typename... Rest>
struct drop_first<std::tuple<T, Rest...>> {
    using type = std::tuple<Rest...>;
};

}  // namespace mob::detail
