// mob::detail::codec_context: a mob::callback finds its worker through the archive it is
// encoded into or decoded from (no thread-local): with a context it registers with that
// worker and its id is collected; without one, encoding it is a clear error. The bytes
// are cereal's portable binary either way.
#include "core_link.hpp"
#include "mob/callback.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <tuple>
#include <variant>

namespace {

using namespace std::chrono_literals;
using mob::detail::codec_context;
using mob::detail::core_link;

std::shared_ptr<core_link> a_worker() {
    return std::make_shared<core_link>("front/1@host#1", "front", 30s,
                                       core_link::bounds{100, 100, 100, 1u << 20});
}

TEST(codec_context, a_callback_encoded_without_a_worker_context_is_a_clear_error) {
    mob::callback<void(int)> cb{[](int) {}};
    try {
        (void)mob::encode_frame(std::tuple{cb});
        ADD_FAILURE() << "a callback was encoded with no worker to call back";
    } catch (const mob::error& e) {
        EXPECT_NE(std::string{e.what()}.find("travels only as an argument"), std::string::npos)
            << e.what();
    }
}

TEST(codec_context, a_callback_encoded_with_a_context_registers_with_its_worker) {
    auto link = a_worker();
    codec_context ctx{link, {}};
    mob::callback<void(int)> cb{[](int) {}, 5s};
    auto frame = mob::detail::encode_frame_for(ctx, std::tuple{1, cb});
    ASSERT_EQ(ctx.registered.size(), 1u);
    EXPECT_EQ(link->pending_callbacks.load(), 1u);
    auto w = link->box.take();  // what the I/O thread will register
    ASSERT_NE(w, nullptr);
    auto* made = std::get_if<mob::detail::new_callback>(&w->item);
    ASSERT_NE(made, nullptr);
    EXPECT_EQ(made->id, ctx.registered.front());

    // The receiver's side: decoded with its worker's context, calling it sends INVOKE.
    auto receiver = a_worker();
    codec_context in{receiver, {}};
    auto [n, remote] = mob::detail::decode_for<std::tuple<int, mob::callback<void(int)>>>(
        mob::protocol::bytes(frame), in);
    EXPECT_EQ(n, 1);
    remote(7);
    auto invoke = receiver->box.take();
    ASSERT_NE(invoke, nullptr);
    auto* msg = std::get_if<mob::detail::outgoing_message>(&invoke->item);
    ASSERT_NE(msg, nullptr);
    EXPECT_EQ(mob::protocol::command_of(msg->f.front()), mob::protocol::command::invoke);
}

TEST(codec_context, values_without_callbacks_encode_to_the_same_bytes_with_or_without_one) {
    auto link = a_worker();
    codec_context ctx{link, {}};
    auto value = std::tuple{42, std::string{"forty-two"}};
    auto plain = mob::encode_frame(value);
    auto with = mob::detail::encode_frame_for(ctx, value);
    EXPECT_EQ(mob::protocol::view(plain), mob::protocol::view(with));
    EXPECT_TRUE(ctx.registered.empty());
    EXPECT_EQ(
        (mob::detail::decode_for<std::tuple<int, std::string>>(mob::protocol::bytes(with), ctx)),
        value);
}

}  // namespace
