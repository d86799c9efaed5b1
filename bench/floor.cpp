#include "floor.hpp"

#include <sys/prctl.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <iterator>
#include <stdexcept>
#include <thread>
#include <unordered_map>

namespace bench {
namespace {

using frames = std::vector<zmq::message_t>;

void tune(zmq::socket_t& s) {
    // As mob's sockets are set.
    s.set(zmq::sockopt::linger, 0);
    s.set(zmq::sockopt::sndhwm, 100000);
    s.set(zmq::sockopt::rcvhwm, 100000);
}

char command_of(const zmq::message_t& m) {
    return m.size() == 1 ? *static_cast<const char*>(m.data()) : '\0';
}

/// Sends `parts` as one message, all but the last with sndmore.
template <typename... M>
void send_all(zmq::socket_t& s, M&&... parts) {
    constexpr std::size_t n = sizeof...(M);
    std::size_t i = 0;
    (
        [&](auto&& part) {
            ++i;
            (void)s.send(part, i < n ? zmq::send_flags::sndmore : zmq::send_flags::none);
        }(std::forward<M>(parts)),
        ...);
}

}  // namespace

int floor_broker_main(const std::string& endpoint) {
    ::prctl(PR_SET_NAME, "floor broker", 0, 0, 0);
    zmq::context_t context{1};
    zmq::socket_t router{context, zmq::socket_type::router};
    tune(router);
    router.bind(endpoint);

    struct worker {
        zmq::message_t id;
        std::uint32_t credit = 1;
        std::uint32_t in_flight = 0;
    };
    std::vector<worker> workers;
    std::unordered_map<std::string, std::size_t> index;
    std::deque<std::size_t> free;  // workers with credit to spare, least recently used first
    std::deque<frames> waiting;    // [client][id][payload], for when none is free

    auto make_recent = [&](std::size_t w) {
        auto it = std::find(free.begin(), free.end(), w);
        if (it != free.end()) {
            free.erase(it);
        }
        free.push_back(w);
    };
    auto dispatch = [&](frames& call) {
        auto w = free.front();
        free.pop_front();
        auto& wk = workers[w];
        zmq::message_t to;
        to.copy(wk.id);
        send_all(router, to, call[0], call[1], call[2]);
        if (++wk.in_flight < wk.credit) {
            free.push_back(w);
        }
    };

    for (;;) {
        frames f;
        if (!zmq::recv_multipart(router, std::back_inserter(f))) {
            continue;
        }
        if (f.size() < 2) {
            continue;
        }
        switch (command_of(f[1])) {
            case 'R': {
                if (f.size() != 3) {
                    break;
                }
                auto key = f[0].to_string();
                if (index.count(key) != 0) {
                    break;
                }
                auto credit = std::max(1L, std::atol(f[2].to_string().c_str()));
                index.emplace(key, workers.size());
                workers.push_back({std::move(f[0]), static_cast<std::uint32_t>(credit), 0});
                free.push_back(workers.size() - 1);
                break;
            }
            case 'C': {
                if (f.size() != 4) {
                    break;
                }
                frames call;
                call.reserve(3);
                call.push_back(std::move(f[0]));
                call.push_back(std::move(f[2]));
                call.push_back(std::move(f[3]));
                if (waiting.empty() && !free.empty()) {
                    dispatch(call);
                } else {
                    waiting.push_back(std::move(call));
                }
                break;
            }
            case 'Y': {
                if (f.size() != 5) {
                    break;
                }
                auto it = index.find(f[0].to_string());
                if (it == index.end()) {
                    break;
                }
                auto& wk = workers[it->second];
                if (wk.in_flight > 0) {
                    --wk.in_flight;
                }
                if (wk.in_flight < wk.credit) {
                    make_recent(it->second);
                }
                send_all(router, f[2], f[3], f[4]);
                while (!waiting.empty() && !free.empty()) {
                    dispatch(waiting.front());
                    waiting.pop_front();
                }
                break;
            }
            case 'P': {
                if (f.size() != 3) {
                    break;
                }
                auto count = std::to_string(workers.size());
                send_all(router, f[0], zmq::message_t{"P", 1},
                         zmq::message_t{count.data(), count.size()}, f[2]);
                break;
            }
            default:
                break;
        }
    }
}

int floor_worker_main(const std::string& endpoint, std::uint32_t credit) {
    ::prctl(PR_SET_NAME, "floor worker", 0, 0, 0);
    zmq::context_t context{1};
    zmq::socket_t socket{context, zmq::socket_type::dealer};
    tune(socket);
    socket.connect(endpoint);
    auto c = std::to_string(credit);
    send_all(socket, zmq::message_t{"R", 1}, zmq::message_t{c.data(), c.size()});
    zmq::message_t reply_tag{"Y", 1};
    for (;;) {
        frames f;
        if (!zmq::recv_multipart(socket, std::back_inserter(f))) {
            continue;
        }
        if (f.size() != 3) {
            continue;
        }
        zmq::message_t tag;
        tag.copy(reply_tag);
        send_all(socket, tag, f[0], f[1], f[2]);  // [Y][client][id][payload]: the echo
    }
}

floor_client::floor_client(const std::string& endpoint, std::size_t payload)
    : socket_(context_, zmq::socket_type::dealer), payload_(payload, 'x') {
    tune(socket_);
    socket_.set(zmq::sockopt::rcvtimeo, static_cast<int>(reply_timeout.count()));
    socket_.connect(endpoint);
}

void floor_client::wait_for_workers(std::size_t workers, std::chrono::milliseconds timeout) {
    // Pings carry a number, so a late answer to an earlier one is told apart and read.
    auto deadline = clock::now() + timeout;
    std::uint64_t ping = 0;
    bool answered = true;
    while (clock::now() < deadline) {
        if (answered) {
            ++ping;
            send_all(socket_, zmq::message_t{"P", 1}, zmq::message_t{&ping, sizeof ping});
            answered = false;
        }
        zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
        if (zmq::poll(&item, 1, std::chrono::milliseconds{100}) <= 0) {
            answered = true;  // lost before the broker was up: ask again
            continue;
        }
        frames f;
        (void)zmq::recv_multipart(socket_, std::back_inserter(f));
        if (f.size() != 3 || command_of(f[0]) != 'P' || f[2].size() != sizeof ping ||
            std::memcmp(f[2].data(), &ping, sizeof ping) != 0) {
            continue;
        }
        if (std::stoul(f[1].to_string()) >= workers) {
            return;
        }
        answered = true;
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    throw std::runtime_error("floor: the workers did not all say ready in time");
}

void floor_client::send_call() {
    auto id = next_id_++;
    send_all(socket_, zmq::message_t{"C", 1}, zmq::message_t{&id, sizeof id},
             zmq::message_t{payload_.data(), payload_.size()});
}

void floor_client::receive_reply() {
    zmq::message_t id;
    zmq::message_t body;
    if (!socket_.recv(id)) {
        throw std::runtime_error("floor: no reply within the reply timeout");
    }
    if (!id.more()) {
        throw std::runtime_error("floor: a reply of one frame");
    }
    (void)socket_.recv(body);
    if (id.size() != sizeof(std::uint64_t) || body.size() != payload_.size()) {
        throw std::runtime_error("floor: a malformed reply");
    }
}

std::vector<double> floor_client::latency(std::size_t warmup, std::size_t calls) {
    std::vector<double> us;
    us.reserve(calls);
    for (std::size_t i = 0; i < warmup + calls; ++i) {
        auto t0 = clock::now();
        send_call();
        receive_reply();
        auto t1 = clock::now();
        if (i >= warmup) {
            us.push_back(micros(t1 - t0));
        }
    }
    return us;
}

double floor_client::throughput(std::size_t window, std::size_t warmup, std::size_t calls) {
    warmup = std::max<std::size_t>(warmup, 1);
    std::size_t outstanding = 0;
    for (; outstanding < window; ++outstanding) {
        send_call();
    }
    std::size_t done = 0;
    auto t0 = clock::now();
    // Every reply sends the next call, so `window` stay in flight until the last
    // measured reply; the ones still out then are drained unmeasured.
    while (done < warmup + calls) {
        receive_reply();
        if (++done == warmup) {
            t0 = clock::now();
        }
        send_call();
    }
    auto t1 = clock::now();
    for (; outstanding > 0; --outstanding) {
        receive_reply();
    }
    return static_cast<double>(calls) / seconds(t1 - t0);
}

}  // namespace bench
