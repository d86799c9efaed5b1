"""What a worker serves: its exported functions (REQUEST -> REPLY) on a pool of
``credit`` threads, and its message handlers (DELIVER) one at a time on a dispatcher
thread, in arrival order. Neither runs on the I/O thread, which keeps heartbeating
whatever they do. Every REQUEST gets exactly one REPLY, and every message that cannot
be handled a REJECT, with the texts the C++ worker uses.
"""

import concurrent.futures
import logging
import queue
import threading

from . import codec
from . import protocol as p
from .errors import MobError, errc

log = logging.getLogger("mob")


class _Export:
    __slots__ = ("name", "result", "args", "fn")

    def __init__(self, name, signature, fn):
        self.name, self.fn = name, fn
        self.result, arg_types = codec.parse_signature(signature)
        self.args = codec.Tuple(*arg_types)


class Server:
    """`post(frames)` sends a message (from any thread); `who` is the worker's routing
    id and `role` its role, for the error texts."""

    def __init__(self, credit, role, who, post):
        self._role, self._who, self._post = role, who, post
        self._lock = threading.Lock()
        self._exports = {}
        self._handlers = {}
        self.catch_all = None
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=credit,
                                                           thread_name_prefix="mob-call")
        self._deliveries = queue.Queue()
        self._dispatcher = threading.Thread(target=self._dispatch_loop, name="mob-dispatch",
                                            daemon=True)
        self._dispatcher.start()

    def export(self, name, signature, fn):
        entry = _Export(name, signature, fn)
        with self._lock:
            self._exports[name] = entry

    def exports(self):
        with self._lock:
            return sorted(self._exports)

    def on(self, topic, type_, fn):
        t = codec.parse_type(type_)
        with self._lock:
            self._handlers[topic] = (t, fn)

    def close(self):
        """Lets the messages and calls received run out (their answers are sent)."""
        self._deliveries.put(None)
        self._dispatcher.join()
        self._pool.shutdown(wait=True)

    # ---- from the I/O thread ----

    def request(self, body):
        """A REQUEST [call head][args]: served on the pool."""
        head = p.parse_call_head(body[0])
        if head is None:
            # Still answered under its ticket, if it has one, so it holds no credit.
            ticket = p.parse_u64(bytes(body[0][:8])) if len(body[0]) >= 8 else None
            if ticket is not None:
                self._post(p.message(p.cmd.REPLY, p.outcome(ticket, errc.bad_frame),
                                     b"REQUEST: malformed call head"))
            return
        try:
            self._pool.submit(self._serve, head, body[1])
        except RuntimeError:
            # The pool has run out (the worker is closing): as a C++ worker, it does not
            # run the call; the broker fails it with worker_died when this worker leaves.
            log.info("REQUEST %s.%s after stop: not run", self._role, head.method)

    def deliver(self, message):
        self._deliveries.put(message)

    # ---- exported functions ----

    def _reply(self, ticket, code, type_name, body):
        self._post(p.message(p.cmd.REPLY, p.outcome(ticket, code, type_name), body))

    def _fail(self, ticket, code, text):
        self._reply(ticket, code, "", text.encode("utf-8", "replace"))

    def _serve(self, head, args):
        what = f"{self._role}.{head.method}"
        with self._lock:
            entry = self._exports.get(head.method)
            names = ", ".join(sorted(self._exports))
        if entry is None:
            self._fail(head.id, errc.unknown_method, f"role '{self._role}' has no method "
                       f"'{head.method}' (worker {self._who} exports: {names})")
            return
        # An empty types field skips the check (the args must still decode).
        if head.types and head.types != entry.args.name:
            self._fail(head.id, errc.bad_type, f"{what} takes {entry.args.name}, not {head.types}")
            return
        try:
            values = codec.decode(entry.args, args)
        except MobError as e:
            self._fail(head.id, errc.bad_type, f"{what}: {e.message}")
            return
        try:
            result = entry.fn(*values)
        except MobError as e:
            code = errc.bad_type if e.code == errc.bad_type else errc.remote_exception
            self._fail(head.id, code, f"{what}: MobError: {e.message}")
            return
        except Exception as e:  # noqa: BLE001 - every failure goes back to the caller
            self._fail(head.id, errc.remote_exception, f"{what}: {type(e).__name__}: {e}")
            return
        try:
            out = codec.encode(entry.result, result)
        except MobError as e:
            self._fail(head.id, errc.bad_type,
                       f"{what} returned what is no {entry.result.name}: {e.message}")
            return
        self._reply(head.id, errc.ok, entry.result.name, out)

    # ---- messages ----

    def _dispatch_loop(self):
        while True:
            m = self._deliveries.get()
            if m is None:
                return
            try:
                self._dispatch(m)
            except MobError as e:  # the link closed under a REJECT
                log.warning("could not answer a message: %s", e)

    def _dispatch(self, m):
        with self._lock:
            typed = self._handlers.get(m.topic)
        on = f"topic '{m.topic}' on {self._who}"
        if typed is None:
            if self.catch_all is not None:
                self._run(m, lambda: self.catch_all(m))
            else:
                log.debug("no handler for topic '%s' from %s: dropped", m.topic, m.sender)
            return
        t, fn = typed
        if m.type and m.type != t.name:
            self._reject(m, errc.bad_type, f"{on} takes {t.name}, not {m.type}")
            return
        try:
            m.value = codec.decode(t, m.payload)
        except MobError as e:
            self._reject(m, errc.bad_type, f"{on}: {e.message}")
            return
        self._run(m, lambda: fn(m.value, m))

    def _run(self, m, handler):
        try:
            handler()
        except Exception as e:  # noqa: BLE001 - the sender hears of every failure
            self._reject(m, errc.handler_failed,
                         f"handler for '{m.topic}' on {self._who} threw: {type(e).__name__}: {e}")

    def _reject(self, m, code, text):
        log.warning("%s", text)
        self._post(p.message(p.cmd.REJECT, m.sender.encode("utf-8", "surrogateescape"),
                             p.u64(m.seq), p.error_body(code, text)))
