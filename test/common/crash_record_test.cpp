// Crash reports on the wire: the welcome body's last_error field (and a welcome from
// a broker without it), and the record a dying worker writes into its crash pipe.
#include <gtest/gtest.h>

#include <mob/codec.hpp>
#include <mob/crash_report.hpp>
#include <mob/detail/crash_record.hpp>
#include <mob/protocol.hpp>

#include <signal.h>

namespace mob::test {
namespace {

namespace proto = mob::protocol;

crash_report sample_report() {
    crash_report r;
    r.role = "back";
    r.pid = 4242;
    r.exit_code = 1;
    r.exception_type = "std::runtime_error";
    r.exception_what = "disk full";
    r.exception_where = "the role function";
    r.time = 1700000000;
    return r;
}

/// The welcome body as a broker without the last_error field wrote it.
struct old_welcome {
    std::string app, worker_id;
    std::uint32_t heartbeat_ms = 1000, liveness = 3;
    std::vector<std::string> roles;
    template <class A>
    void serialize(A& ar) {
        ar(app, worker_id, heartbeat_ms, liveness, roles);
    }
};

TEST(crash_record, a_welcome_with_a_crash_report_round_trips) {
    proto::welcome w{"app", "back/1@h#00", 1000, 3, {"back"}, sample_report()};
    EXPECT_EQ(decode<proto::welcome>(encode(w)), w);
    w.last_error.reset();
    EXPECT_EQ(decode<proto::welcome>(encode(w)), w);
}

TEST(crash_record, a_signal_survives_the_round_trip_and_an_exit_code_stays_absent) {
    proto::welcome w{"app", "id", 1000, 3, {}, crash_report{}};
    w.last_error->signal = SIGSEGV;
    w.last_error->signal_name = "SIGSEGV";
    auto back = decode<proto::welcome>(encode(w));
    ASSERT_TRUE(back.last_error);
    EXPECT_EQ(back.last_error->signal, SIGSEGV);
    EXPECT_FALSE(back.last_error->exit_code);
}

TEST(crash_record, a_welcome_from_a_broker_without_the_field_decodes_as_no_report) {
    auto w = decode<proto::welcome>(encode(old_welcome{"app", "id", 500, 4, {"a", "b"}}));
    EXPECT_EQ(w.heartbeat_ms, 500u);
    EXPECT_EQ(w.roles.size(), 2u);
    EXPECT_FALSE(w.last_error);
}

TEST(crash_record, a_welcome_cut_inside_the_report_is_refused) {
    auto body = encode(proto::welcome{"app", "id", 1000, 3, {}, sample_report()});
    body.resize(body.size() - 3);
    EXPECT_THROW(decode<proto::welcome>(body), mob::error);
}

TEST(crash_record, the_summary_says_how_it_ended_and_what_escaped) {
    EXPECT_EQ(sample_report().summary(),
              "back worker pid 4242: exit code 1 after an uncaught std::runtime_error in the role "
              "function: disk full");
    crash_report killed;
    killed.role = "front";
    killed.pid = 7;
    killed.signal = SIGKILL;
    killed.signal_name = signal_name(SIGKILL);
    killed.note = "killed: not ready after 10000 ms";
    EXPECT_EQ(fmt::format("{}", killed),
              "front worker pid 7: signal SIGKILL (killed: not ready after 10000 ms)");
}

TEST(crash_record, a_record_round_trips_and_a_long_what_is_cut_to_one_pipe_write) {
    char buf[detail::crash_record_max];
    auto n = detail::format_crash_record(buf, "the role function", "std::logic_error", "bad");
    auto r = detail::parse_crash_record({buf, n});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->where, "the role function");
    EXPECT_EQ(r->type, "std::logic_error");
    EXPECT_EQ(r->what, "bad");

    std::string huge(10000, 'x');
    n = detail::format_crash_record(buf, nullptr, "t", huge.c_str());
    EXPECT_LE(n, detail::crash_record_max);
    r = detail::parse_crash_record({buf, n});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->where, "");
    EXPECT_GT(r->what.size(), 4000u);
}

TEST(crash_record, garbage_in_the_pipe_is_no_record) {
    EXPECT_FALSE(detail::parse_crash_record(""));
    EXPECT_FALSE(detail::parse_crash_record(std::string_view{"MOBCRASH1\0a\0b", 13}));
    EXPECT_FALSE(detail::parse_crash_record(std::string_view{"NOTCRASH1\0a\0b\0c\0", 17}));
}

}  // namespace
}  // namespace mob::test
