// What the remote worker serves, declared once for the program that exports it
// (remote_worker.cpp) and the app that calls it (main.cpp).
#pragma once

#include <mob/method.hpp>

#include <cstdint>
#include <string>

namespace remote {

/// A fingerprint of a text, and where it was computed.
struct fingerprint_result {
    std::uint64_t hash = 0;  ///< 64-bit FNV-1a of the text
    std::string host;
    std::int64_t pid = 0;

    template <class Archive>
    void serialize(Archive& ar) {
        ar(hash, host, pid);
    }
};

inline constexpr mob::method<fingerprint_result(std::string)> fingerprint{"fingerprint"};

}  // namespace remote
