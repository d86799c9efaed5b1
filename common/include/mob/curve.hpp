// CURVE keys (CurveZMQ, RFC 26) as mob keeps them: a key pair is two files made by
// `mobctl keygen NAME`, NAME.pub (the public key, to hand out) and NAME.secret (both
// keys, mode 0600), text in the style of czmq's certificates (docs/security.md):
//
//     #   mob CURVE public key "alice": copy it to the broker's allow-list directory
//     curve
//         public-key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
//
// A .secret file also has a `secret-key = "..."` line. Keys are 40 characters of Z85.
// The name of a key is its file's name without the extension: the broker reports it
// as the worker's user id (ZAP, RFC 27).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace mob::curve {

/// A 32-byte CURVE key.
using key = std::array<std::uint8_t, 32>;
inline constexpr std::size_t z85_length = 40;

struct key_pair {
    key public_key{};
    key secret_key{};
};

/// `k` as 40 characters of Z85.
std::string z85(const key& k);
/// The key that `text` encodes. Throws mob::error naming `what` if it is not 40
/// characters of Z85 (the message gives the length or the place, not the key).
key decode(std::string_view text, std::string_view what);

/// Reads NAME.secret: both keys, which must belong together. Throws mob::error (a
/// directory, an unreadable or binary file, a missing or malformed key). Logs a warning
/// if others may read it.
key_pair read_secret_file(const std::filesystem::path& path);
/// Reads the public key of NAME.pub. Throws mob::error, also for a file that holds a
/// secret key (a secret copied where only public keys belong).
key read_public_file(const std::filesystem::path& path);
/// A key's name: its file name without the extension ("keys/alice.pub" -> "alice").
std::string key_name(const std::filesystem::path& path);

/// A new key pair (zmq_curve_keypair).
key_pair generate();

struct written_files {
    std::filesystem::path public_file;
    std::filesystem::path secret_file;
};
/// Writes dir/NAME.pub (mode 0644) and dir/NAME.secret (0600, created so: never
/// readable by others, not even for a moment). Refuses a bad name or existing files.
written_files write_key_pair(const std::filesystem::path& dir, std::string_view name,
                             const key_pair& keys);

}  // namespace mob::curve
