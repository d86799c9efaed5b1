// Typed methods (mob::method) across real processes: declared once in
// test/apps/typed_methods.hpp, exported by the test app, called from the probe; on the
// wire the same as the string form, so either form reaches the other. What does not fit
// a declaration does not compile: the static_asserts below check that.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "cluster.hpp"
#include "typed_methods.hpp"

namespace mob::test {
namespace {

namespace methods = testapp::methods;

// ---- checked at compile time ----------------------------------------------------

/// Whether `back.call(m, args...)` / `back.cast(m, args...)` / `w.export_fn(m, fn)` compile.
template <const auto& M, typename... A>
concept call_compiles = requires(const proxy& back, A&&... args) {
    back.call(M, std::forward<A>(args)...);
};
template <const auto& M, typename... A>
concept cast_compiles = requires(const proxy& back, A&&... args) {
    back.cast(M, std::forward<A>(args)...);
};
template <const auto& M, typename F>
concept export_compiles = requires(worker& w, F fn) {
    w.export_fn(M, std::move(fn));
};

template <const auto& M, typename... A>
using call_type = decltype(std::declval<const proxy&>().call(M, std::declval<A>()...));

auto int_handler = [](result<int>) {};
auto generic_handler = [](auto r) { (void)r; };
auto string_handler = [](result<std::string>) {};
auto add_ints = [](int a, int b) { return a + b; };

// The declared argument types, or what converts to them; the declared result.
static_assert(call_compiles<methods::add, int, int>);
static_assert(call_compiles<methods::add, long, short>);
static_assert(call_compiles<methods::repeat, const char (&)[3], int>);
static_assert(std::is_same_v<call_type<methods::add, long, int>, call_future<int>>);
static_assert(std::is_same_v<call_type<methods::typed_note, std::string>, call_future<void>>);
static_assert(!call_compiles<methods::add, int>);                       // too few
static_assert(!call_compiles<methods::add, int, int, int>);             // an int is no handler
static_assert(!call_compiles<methods::add, std::string, int>);          // no conversion
static_assert(!call_compiles<methods::repeat, std::string_view, int>);  // explicit only
// A handler after the arguments takes the declared mob::result<R>; a generic one may.
static_assert(call_compiles<methods::add, int, int, decltype(int_handler)>);
static_assert(call_compiles<methods::add, int, int, decltype(generic_handler)>);
static_assert(std::is_void_v<call_type<methods::add, int, int, decltype(int_handler)>>);
static_assert(!call_compiles<methods::add, int, int, decltype(string_handler)>);
// A cast takes the declared arguments and no handler.
static_assert(cast_compiles<methods::add, long, int>);
static_assert(!cast_compiles<methods::add, int>);
static_assert(!cast_compiles<methods::add, int, int, decltype(int_handler)>);
static_assert(
    std::is_same_v<decltype(std::declval<const proxy&>().cast(methods::nosuch)), std::uint64_t>);
// An export takes the declared parameters (or what they convert to) and returns what
// converts to R, or takes a mob::reply<R> first.
static_assert(export_compiles<methods::add, decltype(add_ints)>);
static_assert(export_compiles<methods::add, long (*)(long, long)>);
static_assert(export_compiles<methods::repeat, std::string (*)(const std::string&, int)>);
static_assert(export_compiles<methods::double_later, void (*)(reply<int>, int)>);
static_assert(export_compiles<methods::typed_note, int (*)(std::string)>);  // void: dropped
static_assert(!export_compiles<methods::add, int (*)(int)>);
static_assert(!export_compiles<methods::add, int (*)(std::string, int)>);
static_assert(!export_compiles<methods::add, std::string (*)(int, int)>);
static_assert(!export_compiles<methods::add, void (*)(int, int)>);
static_assert(!export_compiles<methods::double_later, void (*)(reply<std::string>, int)>);
static_assert(!export_compiles<methods::repeat, std::string (*)(std::string&, int)>);
// A method is a literal type.
static_assert(methods::add.name() == "add");
static_assert(method<void()>::arity == 0 && method<int(int, int)>::arity == 2);

// ---- across processes -----------------------------------------------------------

class typed_method : public ::testing::Test {
  protected:
    void SetUp() override {
        cluster_ = std::make_unique<cluster>();
        ASSERT_TRUE(cluster_->wait_full()) << cluster_->kingpin().output();
        probe_ = std::make_unique<probe>(*cluster_);
        ASSERT_TRUE(probe_->w().wait_until_welcomed(20s));
    }
    cluster& c() { return *cluster_; }
    worker& w() { return probe_->w(); }
    proxy back() { return w().require("back"); }

    std::unique_ptr<cluster> cluster_;
    std::unique_ptr<probe> probe_;
};

TEST_F(typed_method, a_typed_call_returns_what_a_typed_export_returns) {
    EXPECT_EQ(back().call(methods::repeat, std::string{"ab"}, 3).value(5s), "ababab");
    EXPECT_EQ(back().call(methods::double_later, 21).value(5s), 42);  // through a reply
    auto thrown = back().call(methods::boom).get(5s);
    ASSERT_FALSE(thrown.ok());
    EXPECT_EQ(thrown.error().code, errc::remote_exception);
    EXPECT_NE(thrown.error().message.find("kaboom"), std::string::npos);
}

TEST_F(typed_method, a_typed_call_reaches_a_string_form_export_and_back) {
    EXPECT_EQ(back().call(methods::add, 1, 2).value(5s), 3);
    EXPECT_EQ(back().call<std::string>("repeat", "xy", 2).value(5s), "xyxy");
    EXPECT_EQ(back().call<int>("double_later", 4).value(5s), 8);
    // Other declared types than the export's still fail on the wire, naming both.
    auto wrong = back().call(methods::add_longs, 1L, 2L).get(5s);
    ASSERT_FALSE(wrong.ok());
    EXPECT_EQ(wrong.error().code, errc::bad_type);
    EXPECT_NE(wrong.error().message.find("back.add takes std::tuple<int, int>, not "
                                         "std::tuple<long, long>"),
              std::string::npos)
        << wrong.error().message;
}

TEST_F(typed_method, arguments_convert_to_the_declared_types) {
    EXPECT_EQ(back().call(methods::add, 1L, 2).value(5s), 3);
    const short one = 1;
    EXPECT_EQ(back().call(methods::add, one, 'A').value(5s), 66);
    EXPECT_EQ(back().call(methods::repeat, "ab", 2).value(5s), "abab");  // a literal
}

TEST_F(typed_method, a_result_handler_gets_the_declared_result) {
    std::promise<std::pair<int, std::thread::id>> got;
    back().call(methods::add, 1L, 2, [&](result<int> r) {
        got.set_value({r.value(), std::this_thread::get_id()});
    });
    auto fut = got.get_future();
    ASSERT_EQ(fut.wait_for(5s), std::future_status::ready);
    auto [value, thread] = fut.get();
    EXPECT_EQ(value, 3);
    EXPECT_NE(thread, std::this_thread::get_id());  // the dispatcher's

    // A generic handler: the declaration gives it its type.
    std::promise<std::string> text;
    back().call(methods::repeat, "ha", 3, [&](auto r) { text.set_value(r.value()); });
    auto text_fut = text.get_future();
    ASSERT_EQ(text_fut.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(text_fut.get(), "hahaha");

    // With inline_result, the handler runs on the I/O thread, as the string form's.
    std::promise<int> inline_got;
    back().with({.inline_result = true}).call(methods::double_later, 5, [&](result<int> r) {
        inline_got.set_value(r.ok() ? *r : -1);
    });
    auto inline_fut = inline_got.get_future();
    ASSERT_EQ(inline_fut.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(inline_fut.get(), 10);
}

TEST_F(typed_method, a_typed_cast_runs_and_its_failure_reports_the_seq_it_returned) {
    auto mark = c().kingpin().line_count();
    back().cast(methods::typed_note, "hello typed");
    EXPECT_TRUE(
        c().kingpin().wait_for(std::regex{"EVENT typed_note back \\d+ hello typed"}, 5s, mark))
        << c().kingpin().output();

    auto seq = back().cast(methods::nosuch);
    auto errors = probe_->wait_errors(1);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].code, errc::unknown_method);
    EXPECT_EQ(errors[0].seq, seq);
    EXPECT_EQ(w().pending_calls(), 0u);
}

TEST_F(typed_method, with_settings_apply_to_a_typed_call) {
    const auto begin = std::chrono::steady_clock::now();
    auto timed_out = back().with({.timeout = 300ms}).call(methods::slow_echo, 2000, 1).get(5s);
    ASSERT_FALSE(timed_out.ok());
    EXPECT_EQ(timed_out.error().code, errc::timeout);
    EXPECT_NE(timed_out.error().message.find("back.slow_echo"), std::string::npos);
    EXPECT_LT(std::chrono::steady_clock::now() - begin, 1800ms);  // the call's, not get()'s
    EXPECT_EQ(back().with({.timeout = 5s}).call(methods::slow_echo, 10, 7).value(5s), 7);
}

}  // namespace
}  // namespace mob::test
