// The checks that come before libzmq sees a setting: TCP ports (libzmq 4.3.4 cuts a port
// to 16 bits in silence), text files that a person wrote (a directory or a binary file
// is said plainly, its bytes never echoed), and CURVE key files.
#include <gtest/gtest.h>

#include <mob/curve.hpp>
#include <mob/detail/text_file.hpp>
#include <mob/endpoint.hpp>
#include <mob/error.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace {
namespace fs = std::filesystem;
using mob::endpoint_use;

std::string error_of(auto&& f) {
    try {
        f();
    } catch (const mob::error& e) {
        return e.what();
    }
    return "";
}

struct temp {
    temp() {
        char tmpl[] = "/tmp/mobcfg-XXXXXX";
        dir = ::mkdtemp(tmpl);
    }
    ~temp() { fs::remove_all(dir); }
    fs::path file(const std::string& name, const std::string& text) const {
        std::ofstream{dir / name, std::ios::binary} << text;
        return dir / name;
    }
    fs::path dir;
};

}  // namespace

TEST(check_tcp_endpoint, takes_ports_1_to_65535_and_0_or_star_for_a_bind) {
    for (const char* ok : {"tcp://127.0.0.1:1", "tcp://127.0.0.1:65535", "tcp://host.example:5555",
                           "tcp://[::1]:5555", "tcp://*:5555", "tcp://eth0:5555"}) {
        EXPECT_NO_THROW(mob::check_tcp_endpoint(ok, endpoint_use::connect, "x")) << ok;
        EXPECT_NO_THROW(mob::check_tcp_endpoint(ok, endpoint_use::bind, "x")) << ok;
    }
    EXPECT_NO_THROW(mob::check_tcp_endpoint("tcp://127.0.0.1:0", endpoint_use::bind, "x"));
    EXPECT_NO_THROW(mob::check_tcp_endpoint("tcp://127.0.0.1:*", endpoint_use::bind, "x"));
    EXPECT_NE(
        error_of([] { mob::check_tcp_endpoint("tcp://127.0.0.1:0", endpoint_use::connect, "x"); }),
        "");
}

TEST(check_tcp_endpoint, refuses_a_port_libzmq_would_cut_to_16_bits) {
    EXPECT_EQ(error_of([] {
                  mob::check_tcp_endpoint("tcp://127.0.0.1:99999", endpoint_use::bind, "--tcp");
              }),
              "--tcp 'tcp://127.0.0.1:99999' has port '99999': a TCP port is a number from 1 to "
              "65535 (0 or * picks a free one)");
    for (const char* bad : {"tcp://127.0.0.1:65536", "tcp://127.0.0.1:-1", "tcp://127.0.0.1:",
                            "tcp://127.0.0.1:5x", "tcp://127.0.0.1", "tcp://[::1]", "tcp://:5555",
                            "udp://127.0.0.1:5555", "tcp://[::1]:99999"}) {
        EXPECT_NE(error_of([&] { mob::check_tcp_endpoint(bad, endpoint_use::bind, "x"); }), "")
            << bad;
    }
}

TEST(read_text_file, says_what_is_wrong_with_a_directory_a_device_or_a_binary_file) {
    temp t;
    EXPECT_EQ(mob::detail::read_text_file(t.file("ok.conf", "app shop\n\tcafé\r\n"), "config file"),
              "app shop\n\tcafé\r\n");
    EXPECT_NE(error_of([&] {
                  mob::detail::read_text_file(t.dir, "config file");
              }).find("is a directory, not a file"),
              std::string::npos);
    EXPECT_NE(error_of([] {
                  mob::detail::read_text_file("/dev/null", "config file");
              }).find("is not a regular file"),
              std::string::npos);
    EXPECT_NE(error_of([&] {
                  mob::detail::read_text_file(t.dir / "none", "config file");
              }).find("cannot read config file"),
              std::string::npos);
    auto binary = t.file("bin", std::string{"ab\ncd\0\xff", 7});
    auto message = error_of([&] { mob::detail::read_text_file(binary, "config file"); });
    EXPECT_NE(message.find("is not a text file: it holds a NUL byte at line 2, column 3"),
              std::string::npos)
        << message;
    for (unsigned char c : message)
        EXPECT_TRUE(c >= 0x20 && c < 0x7f) << message;
    auto overlong = t.file("overlong", "\xc0\xaf");
    EXPECT_NE(error_of([&] { mob::detail::read_text_file(overlong, "x"); }).find("byte 0xc0"),
              std::string::npos);
    EXPECT_NE(error_of([&] {
                  mob::detail::read_text_file(t.file("big", "0123456789"), "x", 5);
              }).find("more than the 5 bytes"),
              std::string::npos);
    EXPECT_EQ(mob::detail::printable("a\x1b[31mb"), "a\\x1b[31mb");
}

TEST(curve_keys, round_trip_through_files_and_refuse_bad_ones_plainly) {
    temp t;
    auto pair = mob::curve::generate();
    auto files = mob::curve::write_key_pair(t.dir, "alice", pair);
    struct stat st {};
    ASSERT_EQ(::stat(files.secret_file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto read = mob::curve::read_secret_file(files.secret_file);
    EXPECT_EQ(read.public_key, pair.public_key);
    EXPECT_EQ(read.secret_key, pair.secret_key);
    EXPECT_EQ(mob::curve::read_public_file(files.public_file), pair.public_key);
    EXPECT_EQ(mob::curve::key_name(files.public_file), "alice");
    EXPECT_NE(error_of([&] { mob::curve::write_key_pair(t.dir, "alice", pair); }).find("exists"),
              std::string::npos);
    EXPECT_NE(error_of([&] { mob::curve::write_key_pair(t.dir, "../x", pair); }).find("not valid"),
              std::string::npos);

    const auto z = mob::curve::z85(pair.public_key);
    EXPECT_EQ(mob::curve::decode(z, "k"), pair.public_key);
    EXPECT_EQ(error_of([&] { mob::curve::decode(z.substr(1), "the key"); }),
              "the key is 39 characters long; a CURVE key in Z85 is 40");
    EXPECT_NE(error_of([&] { mob::curve::decode(z.substr(1) + "\x01", "k"); }).find("\\x01"),
              std::string::npos);
    // czmq's certificate layout reads too (metadata, comments, other properties).
    auto czmq = t.file("czmq.pub",
                       "#   ZeroMQ CURVE Public Certificate\nmetadata\n    name = "
                       "\"x\"\ncurve\n    public-key = \"" +
                           z + "\"\n");
    EXPECT_EQ(mob::curve::read_public_file(czmq), pair.public_key);
    // A pair whose halves do not belong together.
    auto other = mob::curve::generate();
    auto mixed = t.file("mixed.secret",
                        "curve\n    public-key = \"" + mob::curve::z85(other.public_key) +
                            "\"\n    secret-key = \"" + mob::curve::z85(pair.secret_key) + "\"\n");
    EXPECT_NE(error_of([&] { mob::curve::read_secret_file(mixed); }).find("do not belong together"),
              std::string::npos);
    EXPECT_NE(error_of([&] {
                  mob::curve::read_public_file(files.secret_file);
              }).find("holds a secret key"),
              std::string::npos);
}
