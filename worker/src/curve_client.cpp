#include "curve_client.hpp"

#include "mob/error.hpp"

#include <fmt/format.h>

namespace mob::detail {

std::optional<client_keys> load_client_keys(const worker_options& options) {
    const auto& c = options.curve;
    if (c.empty())
        return std::nullopt;
    if (c.secret_file.empty()) {
        throw error(
            "worker: the broker's CURVE key is given but not this worker's own: set "
            "MOB_CURVE_SECRET_FILE (or worker_options::curve.secret_file) to its "
            "NAME.secret");
    }
    if (c.server_key.empty() && c.server_key_file.empty()) {
        throw error(fmt::format(
            "worker: {} gives this worker's CURVE keys but not the broker's public key: set "
            "MOB_CURVE_SERVER_KEY (40 characters of Z85) or MOB_CURVE_SERVER_KEY_FILE (the "
            "broker's NAME.pub)",
            c.secret_file.string()));
    }
    if (!c.server_key.empty() && !c.server_key_file.empty()) {
        throw error(
            "worker: give the broker's CURVE key once: MOB_CURVE_SERVER_KEY or "
            "MOB_CURVE_SERVER_KEY_FILE, not both");
    }
    client_keys k;
    k.own = curve::read_secret_file(c.secret_file);
    k.name = curve::key_name(c.secret_file);
    k.server = c.server_key.empty()
                   ? curve::read_public_file(c.server_key_file)
                   : curve::decode(c.server_key, "the broker's key (MOB_CURVE_SERVER_KEY)");
    return k;
}

void set_curve_client(zmq::socket_ref socket, const client_keys& keys) {
    socket.set(zmq::sockopt::curve_serverkey, zmq::buffer(keys.server));
    socket.set(zmq::sockopt::curve_publickey, zmq::buffer(keys.own.public_key));
    socket.set(zmq::sockopt::curve_secretkey, zmq::buffer(keys.own.secret_key));
}

}  // namespace mob::detail
