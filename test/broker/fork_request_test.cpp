// The kingpin's requests to its fork server and the answers: encoded and decoded, a
// malformed one refused, and a datagram's descriptors carried over a socket pair.
#include "fork_request.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cerrno>

namespace mob::detail::forks {
namespace {

start_request sample() {
    start_request r;
    r.env = {"PATH=/usr/bin", "MOB_ROLE=back", "EMPTY="};
    r.listen_names = {"web", "admin"};
    r.has_stdout = true;
    r.has_crash = true;
    return r;
}

TEST(fork_request, a_start_request_decodes_to_what_was_encoded) {
    auto r = decode_start(encode_start(sample()));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->env, sample().env);
    EXPECT_EQ(r->listen_names, sample().listen_names);
    EXPECT_TRUE(r->has_stdout);
    EXPECT_FALSE(r->has_stderr);
    EXPECT_TRUE(r->has_crash);
}

TEST(fork_request, a_malformed_start_request_is_refused) {
    const auto good = encode_start(sample());
    // Cut anywhere, it is refused.
    for (std::size_t n = 0; n < good.size(); ++n)
        EXPECT_FALSE(decode_start(good.substr(0, n)).has_value()) << "cut at " << n;
    EXPECT_FALSE(decode_start(good + "x").has_value());   // bytes after the last string
    EXPECT_FALSE(decode_start(good + '\0').has_value());  // an extra string
    auto bad_kind = good;
    bad_kind[0] = 'P';
    EXPECT_FALSE(decode_start(bad_kind).has_value());
    auto bad_flags = good;
    bad_flags[1] = static_cast<char>(0x80);
    EXPECT_FALSE(decode_start(bad_flags).has_value());
    auto huge_count = good;
    huge_count[2] = huge_count[3] = huge_count[4] = huge_count[5] = static_cast<char>(0xff);
    EXPECT_FALSE(decode_start(huge_count).has_value());
    auto many_listeners = good;
    many_listeners[6] = static_cast<char>(max_listeners + 1);
    EXPECT_FALSE(decode_start(many_listeners).has_value());
}

TEST(fork_request, a_pid_answer_decodes_and_anything_else_does_not) {
    EXPECT_EQ(decode_pid(encode_pid(4242)), 4242);
    EXPECT_FALSE(decode_pid(encode_pid(4242).substr(0, 4)).has_value());
    EXPECT_FALSE(decode_pid(encode_pid(0)).has_value());
    EXPECT_FALSE(decode_pid(encode_text(kind::failed, "abcd")).has_value());
    EXPECT_EQ(encode_text(kind::failed, "no"), "Eno");
}

struct socket_pair {
    socket_pair() {
        int fds[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds), 0);
        a = unique_fd{fds[0]};
        b = unique_fd{fds[1]};
    }
    unique_fd a, b;
};

TEST(fork_request, a_packet_carries_its_descriptors) {
    socket_pair s;
    int pipe_fds[2];
    ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
    unique_fd read_end{pipe_fds[0]}, write_end{pipe_fds[1]};
    ASSERT_TRUE(send_packet(s.a.get(), "hello", {write_end.get(), read_end.get()}));
    auto p = receive_packet(s.b.get(), 64);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->bytes, "hello");
    ASSERT_EQ(p->fds.size(), 2u);
    // The received write end is the pipe's: what goes in comes out of the read end.
    ASSERT_EQ(::write(p->fds[0].get(), "x", 1), 1);
    char c = 0;
    ASSERT_EQ(::read(read_end.get(), &c, 1), 1);
    EXPECT_EQ(c, 'x');
    EXPECT_NE(::fcntl(p->fds[1].get(), F_GETFD) & FD_CLOEXEC, 0);  // close-on-exec
}

TEST(fork_request, nothing_waiting_end_of_file_and_a_truncated_packet_are_told_apart) {
    socket_pair s;
    EXPECT_FALSE(receive_packet(s.b.get(), 64, /*dont_wait=*/true).has_value());
    EXPECT_EQ(errno, EAGAIN);
    ASSERT_TRUE(send_packet(s.a.get(), std::string(100, 'x')));
    auto p = receive_packet(s.b.get(), 10);
    ASSERT_TRUE(p.has_value());
    EXPECT_TRUE(p->bytes.empty());  // too long for the buffer: empty, not cut
    s.a = unique_fd{};
    EXPECT_FALSE(receive_packet(s.b.get(), 64).has_value());
    EXPECT_EQ(errno, 0);
    EXPECT_FALSE(send_packet(s.b.get(), "to nobody"));  // EPIPE, and no SIGPIPE
    EXPECT_EQ(errno, EPIPE);
}

}  // namespace
}  // namespace mob::detail::forks
