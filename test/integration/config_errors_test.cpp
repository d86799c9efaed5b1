// Bad endpoints and configuration are refused with a clear message (issue 11, points 4
// and 7): a TCP port outside 1..65535 (libzmq would cut it to 16 bits and bind another
// port), a config path that is a directory or a binary file (said, never echoed), an
// unreadable key file, a key of the wrong length, and a runtime directory that is not
// this user's alone.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include <mob/worker.hpp>

#include "curve_support.hpp"

namespace {
using namespace mob::test;
using namespace std::chrono_literals;

/// Runs `argv` with `env`; expects exit code 2 and a line matching `message`.
void expect_refused(std::vector<std::string> argv, const std::string& message,
                    std::map<std::string, std::string> env = {}) {
    child_process p{std::move(argv), std::move(env)};
    auto status = p.wait_exit(10s);
    ASSERT_TRUE(status) << message << "\n" << p.output();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 2) << message << "\n" << p.output();
    EXPECT_TRUE(p.wait_for(std::regex{message}, 1s)) << message << "\n" << p.output();
}

/// Whether `text` holds only printable ASCII, tabs and newlines (no echoed raw bytes).
bool plain_text(const std::string& text) {
    for (unsigned char c : text) {
        if ((c < 0x20 && c != '\n' && c != '\t') || c >= 0x7f)
            return false;
    }
    return true;
}

void write(const std::string& path, const std::string& text) {
    std::ofstream{path, std::ios::binary} << text;
}

}  // namespace

TEST(endpoints, tcp_ports_outside_1_to_65535_are_refused_everywhere) {
    temp_dir dir;
    const std::vector<std::string> base{MOB_BROKER,      "--app",    "testapp",
                                        "--runtime-dir", dir.path(), "--insecure",
                                        "--role",        "back=1",   "--tcp"};
    for (const char* ep : {"tcp://127.0.0.1:99999", "tcp://127.0.0.1:65536", "tcp://127.0.0.1:-1",
                           "tcp://127.0.0.1:port", "tcp://127.0.0.1", "tcp://[::1]:70000"}) {
        auto argv = base;
        argv.emplace_back(ep);
        expect_refused(argv, "mob-broker: --tcp .* (has port|has no host and port)");
    }
    // 99999 would have bound 34463 (99999 mod 65536): nothing may listen there now.
    expect_refused({MOB_TEST_APP}, "TCP endpoint 'tcp://127.0.0.1:99999' has port '99999'",
                   {{"MOB_RUNTIME_DIR", dir.path()},
                    {"TEST_BACK", "1"},
                    {"TEST_TCP", "tcp://127.0.0.1:99999"},
                    {"MOB_TCP_INSECURE", "1"}});
    // A worker will not connect to one either.
    expect_refused({MOB_EXEC_WORKER}, "broker endpoint 'tcp://127.0.0.1:99999' has port '99999'",
                   {{"MOB_ENDPOINT", "tcp://127.0.0.1:99999"}, {"MOB_ROLE", "back"}});
    expect_refused({MOB_EXEC_WORKER}, "has port '0'",
                   {{"MOB_ENDPOINT", "tcp://127.0.0.1:0"}, {"MOB_ROLE", "back"}});
    // Ports 1 and 65535 are fine, and 0 binds a free one.
    auto argv = base;
    argv.emplace_back("tcp://127.0.0.1:0");
    child_process ok{argv};
    EXPECT_FALSE(tcp_endpoint_of(ok).empty()) << ok.output();
}

TEST(config_file, a_directory_or_a_binary_file_is_refused_without_echoing_it) {
    temp_dir dir;
    expect_refused({MOB_BROKER, "--config", dir.path()},
                   "mob-broker: config file .* is a directory, not a file");
    // An executable given by mistake: NUL bytes and worse.
    const auto binary = dir.path() + "/mob-broker.bin";
    write(binary, std::string{"\x7f"
                              "ELF\x02\x01\x01\x00\x00\x00\xff\xfe\x1b[31m",
                              18});
    child_process p{{MOB_BROKER, "--config", binary}};
    ASSERT_TRUE(exited_with(p, 2)) << p.output();
    EXPECT_TRUE(p.wait_for(std::regex{"config file .* is not a text file: it holds byte 0x7f at "
                                      "line 1, column 1"},
                           1s))
        << p.output();
    EXPECT_TRUE(plain_text(p.output())) << p.output();
    // Text that is not UTF-8, and a control byte further on, say where.
    const auto latin1 = dir.path() + "/latin1.conf";
    write(latin1, "app shop\nrole caf\xe9=1\n");
    expect_refused({MOB_BROKER, "--config", latin1},
                   "is not a text file: it holds byte 0xe9 at "
                   "line 2, column 9");
    expect_refused({MOB_BROKER, "--config", "/dev/null"}, "is not a regular file");
    // An app's env file (app.env_file) the same.
    expect_refused(
        {MOB_TEST_APP}, "env file .* is a directory, not a file",
        {{"MOB_RUNTIME_DIR", dir.path()}, {"TEST_BACK", "1"}, {"TEST_ENV_FILE", dir.path()}});
    child_process app{
        {MOB_TEST_APP},
        {{"MOB_RUNTIME_DIR", dir.path()}, {"TEST_BACK", "1"}, {"TEST_ENV_FILE", binary}}};
    ASSERT_TRUE(exited_with(app, 2)) << app.output();
    EXPECT_TRUE(app.wait_for(std::regex{"env file .* is not a text file"}, 1s)) << app.output();
    EXPECT_TRUE(plain_text(app.output())) << app.output();
}

TEST(key_files, unreadable_keys_and_keys_of_the_wrong_length_are_refused) {
    key_dir keys;
    ASSERT_TRUE(keys.keygen("broker"));
    ASSERT_TRUE(keys.keygen("alice"));
    temp_dir runtime;
    auto broker_with = [&](const std::string& secret, const std::string& allow) {
        return std::vector<std::string>{MOB_BROKER,
                                        "--app",
                                        "testapp",
                                        "--runtime-dir",
                                        runtime.path(),
                                        "--tcp",
                                        "tcp://127.0.0.1:0",
                                        "--curve-secret",
                                        secret,
                                        "--curve-allow",
                                        allow,
                                        "--role",
                                        "back=1"};
    };
    // Unreadable: missing, a directory, under something that is not a directory, and
    // (unless we are root, who reads anything) a file of mode 000.
    expect_refused(broker_with(keys.path() + "/none.secret", keys.allow()),
                   "cannot read key file .*none.secret: No such file");
    expect_refused(broker_with(keys.allow(), keys.allow()), "key file .* is a directory");
    expect_refused(broker_with(keys.pub("broker") + "/x.secret", keys.allow()),
                   "cannot read key file .*: Not a directory");
    if (::geteuid() != 0) {
        const auto locked = keys.path() + "/locked.secret";
        std::filesystem::copy_file(keys.secret("broker"), locked);
        ::chmod(locked.c_str(), 0);
        expect_refused(broker_with(locked, keys.allow()),
                       "cannot read key file .*Permission denied");
    }
    // A public file where the key pair belongs, and an allow-list that is no directory.
    expect_refused(broker_with(keys.pub("broker"), keys.allow()), "has no secret-key line");
    expect_refused(broker_with(keys.secret("broker"), keys.pub("alice")),
                   "allow-list .* is not a directory");

    // A key one character short.
    auto text = read_file(keys.secret("broker"));
    auto at = text.find("secret-key = \"") + 14;
    const auto short_key = keys.path() + "/short.secret";
    write(short_key, text.substr(0, at) + text.substr(at + 1));
    expect_refused(broker_with(short_key, keys.allow()),
                   "the secret key in .*short.secret is 39 characters long; a CURVE key in Z85 "
                   "is 40");

    // The worker's side: its own key file, and the broker's key given as text.
    const std::map<std::string, std::string> worker_env{{"MOB_ENDPOINT", "tcp://127.0.0.1:5"},
                                                        {"MOB_ROLE", "back"}};
    auto env = worker_env;
    env["MOB_CURVE_SECRET_FILE"] = short_key;
    env["MOB_CURVE_SERVER_KEY_FILE"] = keys.pub("broker");
    expect_refused({MOB_EXEC_WORKER}, "is 39 characters long", env);
    env["MOB_CURVE_SECRET_FILE"] = keys.secret("alice");
    env.erase("MOB_CURVE_SERVER_KEY_FILE");
    env["MOB_CURVE_SERVER_KEY"] = "tooshort";
    expect_refused({MOB_EXEC_WORKER},
                   "the broker's key \\(MOB_CURVE_SERVER_KEY\\) is 8 characters long", env);
    env.erase("MOB_CURVE_SERVER_KEY");
    expect_refused({MOB_EXEC_WORKER}, "not the broker's public key", env);
    env["MOB_CURVE_SERVER_KEY_FILE"] = keys.path();
    expect_refused({MOB_EXEC_WORKER}, "key file .* is a directory", env);
    // A secret copied where the broker's public key belongs is refused, not used.
    env["MOB_CURVE_SERVER_KEY_FILE"] = keys.secret("broker");
    expect_refused({MOB_EXEC_WORKER}, "holds a secret key", env);
}

TEST(runtime_dir, is_made_0700_and_one_of_another_owner_or_a_looser_mode_is_refused) {
    temp_dir dir;
    const auto root = dir.path() + "/run";
    // Made by the kingpin: 0700, ours.
    {
        child_process app{{MOB_TEST_APP}, {{"MOB_RUNTIME_DIR", root}, {"TEST_BACK", "1"}}};
        ASSERT_TRUE(app.wait_for(std::regex{"full: every role"}, 15s)) << app.output();
        for (const auto& d : {root, root + "/testapp"}) {
            struct stat st {};
            ASSERT_EQ(::stat(d.c_str(), &st), 0) << d;
            EXPECT_EQ(st.st_mode & 0777, 0700u) << d;
            EXPECT_EQ(st.st_uid, ::getuid()) << d;
        }
        app.signal(SIGTERM);
        ASSERT_TRUE(exited_with(app, 0)) << app.output();
    }
    // Loosened by someone: refused, not quietly fixed (the sockets may have been reached).
    ::chmod(root.c_str(), 0755);
    expect_refused({MOB_TEST_APP}, "runtime directory .*/run has mode 0755: others may reach",
                   {{"MOB_RUNTIME_DIR", root}, {"TEST_BACK", "1"}});
    ::chmod(root.c_str(), 0700);
    std::filesystem::create_directory(root + "/testapp");
    ::chmod((root + "/testapp").c_str(), 0770);
    expect_refused({MOB_TEST_APP}, "runtime directory .*/testapp has mode 0770",
                   {{"MOB_RUNTIME_DIR", root}, {"TEST_BACK", "1"}});
    ::chmod((root + "/testapp").c_str(), 0700);
    // A symbolic link (a classic /tmp trick) is refused too.
    const auto link = dir.path() + "/link";
    std::filesystem::create_directory_symlink(root, link);
    expect_refused({MOB_TEST_APP}, "is a symbolic link",
                   {{"MOB_RUNTIME_DIR", link}, {"TEST_BACK", "1"}});
    // Another owner: only root can make one to test with.
    if (::geteuid() == 0) {
        ASSERT_EQ(::chown((root + "/testapp").c_str(), 4242, 4242), 0);
        expect_refused({MOB_TEST_APP}, "runtime directory .*/testapp belongs to uid 4242",
                       {{"MOB_RUNTIME_DIR", root}, {"TEST_BACK", "1"}});
        ::chown((root + "/testapp").c_str(), 0, 0);
    }
}

TEST(bounds_options, out_of_range_bounds_are_refused_and_good_ones_are_in_effect) {
    temp_dir dir;
    const std::vector<std::string> base{MOB_BROKER, "--app",  "testapp", "--runtime-dir",
                                        dir.path(), "--role", "back=1"};
    auto with = [&](std::vector<std::string> extra) {
        auto argv = base;
        argv.insert(argv.end(), extra.begin(), extra.end());
        return argv;
    };
    expect_refused(with({"--max-message-bytes", "1000"}),
                   "mob-broker: max_message_size 1000 is out of range: 64 KiB to 2 GiB");
    expect_refused(with({"--max-credit", "0"}), "--max-credit wants a whole number of at least 1");
    expect_refused(with({"--max-queued", "many"}), "--max-queued wants a whole number");
    expect_refused(with({"--queue-timeout-ms", "-5"}), "--queue-timeout-ms wants a whole number");
    expect_refused(with({"--max-owed", ""}), "--max-owed wants a whole number");
    expect_refused(with({"--spread-workers", "0"}), "--spread-workers wants a whole number");
    expect_refused(with({"--fast-call-us", "fast"}), "--fast-call-us wants a whole number");
    expect_refused(with({"--slow-call-depth", "deep"}),
                   "--slow-call-depth wants a whole number of at least 0");
    // The same names in a config file.
    const auto conf = dir.path() + "/broker.conf";
    write(conf, "app testapp\nrole back=1\nmax-message-bytes 100\n");
    expect_refused({MOB_BROKER, "--runtime-dir", dir.path(), "--config", conf},
                   "max_message_size 100 is out of range");
    // In range, the broker runs with them.
    child_process ok{with({"--max-message-bytes", "65536", "--max-credit", "4", "--max-queued", "5",
                           "--queue-timeout-ms", "1000", "--max-owed", "7", "--spread-workers", "3",
                           "--fast-call-us", "100", "--slow-call-depth", "0"})};
    ASSERT_TRUE(ok.wait_for(std::regex{"kingpin of 'testapp'"}, 10s)) << ok.output();
    // A worker asking for credit 64 is sent at most 4 calls at once.
    mob::worker w{mob::worker_options{.endpoint = "ipc://" + dir.path() + "/testapp/broker.sock",
                                      .app = "testapp",
                                      .role = "back",
                                      .credit = 64}};
    w.export_fn("add", [](int a, int b) { return a + b; });
    w.ready();
    std::uint32_t credit = 0;
    EXPECT_TRUE(eventually(
        [&] {
            auto st = status_of(dir.path());
            // Its credit counts once its READY is in (before, it shows the default 1).
            const bool ready = st && st->workers.size() == 1 && st->workers[0].state == "ready";
            credit = ready ? st->workers[0].credit : 0;
            return ready;
        },
        10s));
    EXPECT_EQ(credit, 4u);
}
