// mobctl keygen: a CURVE key pair in two files, for a worker or a broker (the one
// command that talks to no kingpin).
#include <mob/curve.hpp>
#include <mob/error.hpp>
#include <mob/identity.hpp>

#include <fmt/format.h>

#include "mobctl.hpp"

namespace mob::ctl {

int run_keygen(const arguments& args, const options& opt) {
    if (!valid_role_name(args[0]) || args[0].front() == '.') {
        throw failure{exit_code::usage,
                      fmt::format("key name '{}' is not valid: use [A-Za-z0-9_.-], at most 64, "
                                  "not starting with a dot",
                                  args[0])};
    }
    try {
        auto files = curve::write_key_pair(opt.dir, args[0], curve::generate());
        auto pub = curve::read_public_file(files.public_file);
        fmt::print(
            "{}  public key: give it to the broker (its --curve-allow directory), or to\n"
            "    the workers if this is the broker's key\n"
            "{}  secret key, mode 0600: keep it where it was made\n"
            "public key {}\n",
            files.public_file.string(), files.secret_file.string(), curve::z85(pub));
        return exit_code::ok;
    } catch (const mob::error& e) {
        throw failure{exit_code::failed, e.what()};
    }
}

}  // namespace mob::ctl
