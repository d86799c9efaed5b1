#include "mob/error.hpp"

namespace mob {

std::string_view to_string(errc code) noexcept {
    switch (code) {
        case errc::ok:
            return "ok";
        case errc::bad_frame:
            return "bad_frame";
        case errc::bad_version:
            return "bad_version";
        case errc::unknown_role:
            return "unknown_role";
        case errc::unknown_pid:
            return "unknown_pid";
        case errc::ambiguous_pid:
            return "ambiguous_pid";
        case errc::no_ready_worker:
            return "no_ready_worker";
        case errc::queue_full:
            return "queue_full";
        case errc::expired:
            return "expired";
        case errc::bad_type:
            return "bad_type";
        case errc::no_handler:
            return "no_handler";
        case errc::handler_failed:
            return "handler_failed";
        case errc::shutting_down:
            return "shutting_down";
        case errc::not_a_mobster:
            return "not_a_mobster";
        case errc::unknown_worker:
            return "unknown_worker";
        case errc::not_registered:
            return "not_registered";
        case errc::wrong_app:
            return "wrong_app";
        case errc::unknown_method:
            return "unknown_method";
        case errc::remote_exception:
            return "remote_exception";
        case errc::worker_died:
            return "worker_died";
        case errc::timeout:
            return "timeout";
        case errc::callback_used:
            return "callback_used";
        case errc::origin_gone:
            return "origin_gone";
        case errc::callback_expired:
            return "callback_expired";
        case errc::broker_lost:
            return "broker_lost";
        case errc::fates_lost:
            return "fates_lost";
        case errc::key_not_allowed:
            return "key_not_allowed";
        case errc::too_large:
            return "too_large";
    }
    return "unknown_error";
}

}  // namespace mob
