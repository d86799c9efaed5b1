// What a proxy call accepts, checked by the compiler: a function as an argument
// travels only as a mob::callback, and a result handler takes one mob::result<T>.
// The static_asserts are the tests; the TESTs below run what they accept.
#include "mob/proxy.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mob {
namespace {

/// Whether `back.call<int>("m", args...)` compiles.
template <typename... A>
concept call_compiles = requires(const proxy& back, A&&... args) {
    back.call<int>("m", std::forward<A>(args)...);
};
/// Whether `back.cast("m", args...)` compiles.
template <typename... A>
concept cast_compiles = requires(const proxy& back, A&&... args) {
    back.cast("m", std::forward<A>(args)...);
};

auto generic_handler = [](auto r) { (void)r; };
auto two_parameter_handler = [](result<int>, int) {};
auto int_handler = [](int) {};
auto result_handler = [](result<int> r) { (void)r; };
auto const_ref_handler = [](const result<std::string>& r) { (void)r; };
auto mutable_handler = [n = 0](result<int>) mutable { ++n; };
auto lvalue_ref_handler = [](result<int>&) {};
void function_handler(result<int>) {}
void int_function(int) {}
struct overloaded {
    void operator()(result<int>) const {}
    void operator()(result<std::string>) const {}
};
struct value {
    int x = 0;
    template <class Archive>
    void serialize(Archive& ar) {
        ar(x);
    }
};

// A generic lambda, or a callable taking anything but one mob::result<T>, is refused.
static_assert(!call_compiles<int, decltype(generic_handler)>);
static_assert(!call_compiles<decltype(generic_handler)>);
static_assert(!call_compiles<int, decltype(two_parameter_handler)>);
static_assert(!call_compiles<int, decltype(int_handler)>);
static_assert(!call_compiles<int, decltype(&int_function)>);
static_assert(!call_compiles<int, decltype(int_function)&>);
static_assert(!call_compiles<int, overloaded>);
static_assert(!call_compiles<int, decltype(lvalue_ref_handler)>);  // it is given an rvalue
static_assert(!call_compiles<decltype(result_handler), int>);      // a handler goes last
// Handlers taking one mob::result<T>, of every shape, are taken.
static_assert(call_compiles<int, decltype(result_handler)>);
static_assert(call_compiles<decltype(const_ref_handler)>);
static_assert(call_compiles<int, decltype(mutable_handler)>);
static_assert(call_compiles<int, decltype(&function_handler)>);
static_assert(call_compiles<int, decltype(function_handler)&>);
// Values, and mob::callbacks (which have an operator()), travel as arguments.
static_assert(call_compiles<>);
static_assert(call_compiles<int, const char (&)[3], std::string, value>);
static_assert(call_compiles<callback<void(int)>>);
static_assert(call_compiles<callback<void(result<int>)>, int>);
static_assert(std::is_same_v<
              decltype(std::declval<const proxy&>().call<int>("m", callback<void(result<int>)>{})),
              call_future<int>>);  // not a handler: it travels
static_assert(call_compiles<callback<void(int)>, decltype(result_handler)>);
static_assert(
    std::is_void_v<decltype(std::declval<const proxy&>().call<int>("m", 1, [](result<int>) {}))>);
static_assert(
    std::is_same_v<decltype(std::declval<const proxy&>().call<int>("m", 1)), call_future<int>>);
// cast() wants no result: it takes no handler either.
static_assert(cast_compiles<int, callback<void(int)>>);
static_assert(!cast_compiles<int, decltype(result_handler)>);
static_assert(!cast_compiles<int, decltype(generic_handler)>);
static_assert(std::is_same_v<decltype(std::declval<const proxy&>().cast("m")), std::uint64_t>);

TEST(proxy_arguments, a_call_on_a_worker_that_is_gone_throws_shutting_down) {
    const proxy back{nullptr, "back"};  // no engine behind it: as a worker gone
    try {
        back.call<int>("m", 1, [](result<int>) {});
        FAIL() << "a call without a worker went out";
    } catch (const mob::error& e) {
        EXPECT_EQ(e.code(), errc::shutting_down);
    }
    EXPECT_THROW(back.cast("m", callback<void(int)>{[](int) {}}), mob::error);
}

}  // namespace
}  // namespace mob
