#include "mob/curve.hpp"

#include "mob/detail/text_file.hpp"
#include "mob/error.hpp"
#include "mob/identity.hpp"
#include "mob/log.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <cerrno>
#include <cstring>
#include <optional>

namespace mob::curve {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view z85_alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

struct key_lines {
    std::optional<std::string> public_key;
    std::optional<std::string> secret_key;
};

std::string_view trim(std::string_view s) {
    auto first = s.find_first_not_of(" \t\r");
    if (first == std::string_view::npos)
        return {};
    auto last = s.find_last_not_of(" \t\r");
    return s.substr(first, last - first + 1);
}

/// The `public-key = "..."` and `secret-key = "..."` lines of a key file; comments,
/// section names ("curve", "metadata") and other properties are skipped, as czmq does.
key_lines parse(std::string_view text, const fs::path& path) {
    key_lines out;
    std::size_t number = 0;
    while (!text.empty()) {
        ++number;
        auto nl = text.find('\n');
        auto line = trim(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        if (line.empty() || line.front() == '#')
            continue;
        auto eq = line.find('=');
        if (eq == std::string_view::npos)
            continue;
        auto name = trim(line.substr(0, eq));
        auto value = trim(line.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
            value = value.substr(1, value.size() - 2);
        std::optional<std::string>* slot = name == "public-key"   ? &out.public_key
                                           : name == "secret-key" ? &out.secret_key
                                                                  : nullptr;
        if (slot == nullptr)
            continue;
        if (*slot) {
            throw error(fmt::format("key file {}: line {} gives {} a second time", path.string(),
                                    number, std::string{name}));
        }
        *slot = std::string{value};
    }
    return out;
}

void write_file(const fs::path& path, const std::string& text, mode_t mode) {
    // O_EXCL: never overwrite a key (a lost secret key cannot be made again), and the
    // mode is set at creation, so a secret is never readable by others in between.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        throw error(fmt::format("cannot create {}: {}", path.string(),
                                errno == EEXIST ? "it exists (remove it first to replace the key)"
                                                : std::strerror(errno)));
    }
    ::fchmod(fd, mode);  // whatever the umask said
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    const bool closed = ::close(fd) == 0;
    if (!ok || !closed) {
        std::error_code ec;
        fs::remove(path, ec);
        throw error(fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
    }
}

}  // namespace

std::string z85(const key& k) {
    char text[z85_length + 1] = {};
    zmq_z85_encode(text, k.data(), k.size());
    return text;
}

key decode(std::string_view text, std::string_view what) {
    if (text.size() != z85_length) {
        throw error(fmt::format("{} is {} characters long; a CURVE key in Z85 is {}", what,
                                text.size(), z85_length));
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (z85_alphabet.find(text[i]) == std::string_view::npos) {
            throw error(fmt::format("{} is not Z85: character {} is '{}'", what, i + 1,
                                    detail::printable(text.substr(i, 1))));
        }
    }
    key k{};
    std::string z{text};
    if (zmq_z85_decode(k.data(), z.c_str()) == nullptr)
        throw error(fmt::format("{} is not a valid Z85 key", what));
    return k;
}

key_pair read_secret_file(const fs::path& path) {
    auto lines = parse(detail::read_text_file(path, "key file", 64 * 1024), path);
    const auto name = path.string();
    if (!lines.secret_key) {
        throw error(
            fmt::format("key file {} has no secret-key line: give the .secret file of "
                        "a pair made by mobctl keygen",
                        name));
    }
    if (!lines.public_key)
        throw error(fmt::format("key file {} has no public-key line", name));
    key_pair pair;
    pair.secret_key = decode(*lines.secret_key, fmt::format("the secret key in {}", name));
    pair.public_key = decode(*lines.public_key, fmt::format("the public key in {}", name));
    char derived[z85_length + 1] = {};
    if (zmq_curve_public(derived, lines.secret_key->c_str()) != 0 || *lines.public_key != derived) {
        throw error(fmt::format("the public and secret keys in {} do not belong together", name));
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 0077) != 0) {
        log::warn("key file {} may be read by others (mode {:04o}): chmod 600 it", name,
                  st.st_mode & 0777);
    }
    return pair;
}

key read_public_file(const fs::path& path) {
    auto lines = parse(detail::read_text_file(path, "key file", 64 * 1024), path);
    if (!lines.public_key)
        throw error(fmt::format("key file {} has no public-key line", path.string()));
    if (lines.secret_key) {
        throw error(
            fmt::format("key file {} holds a secret key: give out NAME.pub, and keep "
                        "NAME.secret where it was made",
                        path.string()));
    }
    return decode(*lines.public_key, fmt::format("the public key in {}", path.string()));
}

std::string key_name(const fs::path& path) {
    return path.stem().string();
}

key_pair generate() {
    char pub[z85_length + 1] = {};
    char sec[z85_length + 1] = {};
    if (zmq_curve_keypair(pub, sec) != 0) {
        throw error(fmt::format("cannot make a CURVE key pair: {} (libzmq built without CURVE?)",
                                zmq_strerror(zmq_errno())));
    }
    return key_pair{decode(pub, "a new public key"), decode(sec, "a new secret key")};
}

written_files write_key_pair(const fs::path& dir, std::string_view name, const key_pair& keys) {
    if (!valid_role_name(name) || name.front() == '.') {
        throw error(
            fmt::format("key name '{}' is not valid: use [A-Za-z0-9_.-], at most 64, "
                        "not starting with a dot",
                        detail::printable(name)));
    }
    written_files out{dir / (std::string{name} + ".pub"), dir / (std::string{name} + ".secret")};
    for (const auto& f : {out.public_file, out.secret_file}) {
        std::error_code ec;
        if (fs::symlink_status(f, ec).type() != fs::file_type::not_found) {
            throw error(
                fmt::format("{} exists: remove it first to replace the key (a lost "
                            "secret key cannot be made again)",
                            f.string()));
        }
    }
    const auto pub = z85(keys.public_key);
    write_file(out.public_file,
               fmt::format("#   mob CURVE public key \"{}\" (made by mobctl keygen)\n"
                           "#   Give it to the broker: copy it into its allow-list directory.\n"
                           "curve\n    public-key = \"{}\"\n",
                           name, pub),
               0644);
    try {
        write_file(out.secret_file,
                   fmt::format("#   mob CURVE key pair \"{}\" (made by mobctl keygen)\n"
                               "#   SECRET: keep this file private (mode 0600); never copy it to "
                               "the broker.\n"
                               "curve\n    public-key = \"{}\"\n    secret-key = \"{}\"\n",
                               name, pub, z85(keys.secret_key)),
                   0600);
    } catch (...) {
        std::error_code ec;
        fs::remove(out.public_file, ec);  // half a pair is no pair
        throw;
    }
    return out;
}

}  // namespace mob::curve
