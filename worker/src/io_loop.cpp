// The I/O thread: the loop that owns the socket. Each turn it takes the work other
// threads queued in the outbox (sending it, tracking calls, registering callbacks and
// exports), reads a batch of messages and handles them, heartbeats and expires what is
// overdue, then sleeps until the socket, the outbox's eventfd or the next deadline. It
// holds the I/O mutex all the while but for that sleep, when a sender may take its place
// for a moment (send_direct, direct_sink.hpp).
#include "link_ops.hpp"
#include "mob/log.hpp"
#include "worker_core.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <type_traits>
#include <variant>

namespace mob::detail {
namespace proto = mob::protocol;
using namespace std::chrono_literals;

void worker_core::io_loop() {
    std::unique_lock held{link_->io_mutex};
    link_->io_thread.store(std::this_thread::get_id());
    conn_.say_hello();  // before anything a direct sender sends
    link_->sink = this;
    struct unset_sink {  // before the mutex is let go, even on the way out of a throw
        core_link& link;
        ~unset_sink() { link.sink = nullptr; }
    } unset{*link_};
    auto& box = link_->box;
    auto next_check = clock::now();
    proto::frames f;
    f.reserve(8);
    while (!io_stop_) {
        take_work();
        // Read what is there before sleeping: a busy worker needs no poll per message.
        bool got_any = false;
        bool drained = false;
        for (int i = 0; i < 256; ++i) {
            if (!conn_.receive(f)) {
                drained = true;
                break;
            }
            got_any = true;
            handle(f);
        }
        // What the batch's handling queued (replies of inline exports, calls made by
        // inline result handlers) leaves together: ZeroMQ's I/O thread is woken once
        // for all of it, not once per message.
        if (box.has_work())
            take_work();

        conn_.drain_monitor();
        auto now = clock::now();
        conn_.retry_if_refused(now);
        conn_.heartbeat_if_idle(now);
        if (now >= next_check) {
            check_broker(now);
            next_check = now + 100ms;
        }
        calls_.expire(now);
        callbacks_.expire(now);
        // Another read now would only find nothing again (two system calls in libzmq):
        // what came in since the last one is signalled on the socket's descriptor.
        if (got_any && !drained)
            continue;

        // Going to sleep: say so, then look once more, so a wake-up is never missed.
        // (While the socket takes nothing, what is queued waits for it, not for us.)
        box.set_sleeping(true);
        if ((box.has_work() && conn_.backlog_empty()) || io_stop_) {
            box.set_sleeping(false);
            continue;
        }
        // Not woken for check_broker(): an idle worker wakes for its heartbeats only
        // (a thousand idle workers each waking ten times a second cost a core), and
        // the check runs on those wakes. The kingpin's end kills a spawned worker
        // anyway (PDEATHSIG); a broker's silence is seen a heartbeat late at most.
        auto wake_at = std::min({conn_.next_heartbeat(), conn_.next_retry(), calls_.next_deadline(),
                                 callbacks_.next_deadline()});
        auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(wake_at - now);
        sleep_until_ = wake_at;
        conn_.wait(std::max(wait, 0ms), box.wake_fd(), &held);
        box.set_sleeping(false);
    }
    // Leaving (the outbox is closed: nothing more comes in): send what was accepted,
    // unless the socket takes nothing more (the destructor fails what is left), then
    // say goodbye.
    while (box.has_work() && conn_.backlog_empty()) {
        take_work();
        std::this_thread::yield();  // in case a producer is still linking its item
    }
    conn_.send_signal(proto::command::goodbye);
    link_->io_thread.store(std::thread::id{});
}

bool worker_core::send_direct(work& w) {
    // What waits in the outbox was pushed before: it goes first. If some of it must stay
    // (the socket takes nothing more, or a producer is still linking it), so must `w`.
    take_work();
    if (link_->box.has_work() || !conn_.backlog_empty())
        return false;
    apply(w);
    // The I/O thread sleeps in poll(2) (it holds the mutex whenever it is awake). Wake it
    // if it would sleep through something: a message this send took in on the socket's
    // way (the descriptor does not signal it again), a backlog to flush, or a deadline
    // sooner than it planned to wake.
    if (!conn_.backlog_empty() || conn_.readable() || calls_.next_deadline() < sleep_until_)
        link_->box.wake();
    return true;
}

void worker_core::take_work() {
    // While the socket would not take what waits in the backlog, the rest stays in the
    // outbox, in order (and counts against its bound).
    while (conn_.flush()) {
        auto w = link_->box.take();
        if (!w)
            break;  // empty, or a producer still linking its item: the loop comes back
        apply(*w);
    }
    if (want_ready_ && (!ready_sent_ || exports_.take_changed())) {
        exports_.take_changed();  // this READY lists them all
        send_ready();
        ready_sent_ = true;
    }
}

namespace {
template <typename... F>
struct overloaded : F... {
    using F::operator()...;
};
template <typename... F>
overloaded(F...) -> overloaded<F...>;
}  // namespace

void worker_core::apply(work& w) {
    std::visit(overloaded{
                   [&](outgoing_message& m) { conn_.send(std::move(m.f)); },
                   [&](outgoing_call& c) {
                       // Tracked before it leaves: its RESULT cannot come first.
                       calls_.add(c.id, {std::move(c.state), std::move(c.callbacks)}, c.deadline);
                       conn_.send(std::move(c.f), c.id);
                   },
                   [&](new_callback& c) { callbacks_.add(c.id, std::move(c.cb), c.deadline); },
                   [&](dropped_callback& c) { callbacks_.release(c.id); },
                   [&](new_export& e) { exports_.add(std::move(e.name), std::move(e.entry)); },
                   [&](ready_request&) {
                       // At once, not after the batch: a send() made after ready() must
                       // reach the broker after the READY (an all() would miss this worker).
                       want_ready_ = true;
                       if (!ready_sent_) {
                           exports_.take_changed();
                           send_ready();
                           ready_sent_ = true;
                       }
                   },
                   [&](dispatcher_task& t) { dispatcher_.post(std::move(t.fn)); },
               },
               w.item);
}

void worker_core::send_ready() {
    proto::ready r;
    r.credit = options_.credit;
    r.exports = exports_.names();
    conn_.send(proto::make_ready(r));
}

void worker_core::check_broker(clock::time_point now) {
    // A spawned worker leaves when its kingpin is gone (it is reparented; PDEATHSIG
    // does the same). Silence alone may be a stalled kingpin, which comes back.
    if (options_.spawned && ::getppid() != parent_pid_) {
        request_stop("the kingpin is gone (reparented)");
        return;
    }
    // An external worker's broker may be gone for good: its answers are not coming.
    if (conn_.broker_lost(now) && !options_.spawned) {
        fail_calls_in_flight(
            fmt::format("the broker at {} fell silent with the call in "
                        "flight; it may or may not have run",
                        options_.endpoint));
    }
}

void worker_core::fail_calls_in_flight(const std::string& why) {
    // CALLs still in the backlog (or the outbox) go after the new HELLO and will be
    // answered: keep them.
    auto n = calls_.fail_all_but(conn_.unsent_calls(), errc::broker_lost, why);
    if (n != 0)
        log::warn("{} call{} lost with the broker", n, n == 1 ? "" : "s");
}

}  // namespace mob::detail
