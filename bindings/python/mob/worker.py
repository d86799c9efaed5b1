"""A mob worker in Python: joins a kingpin's broker over ZeroMQ and speaks MOB/1.

Three kinds of threads, so that no application code ever delays a heartbeat (a worker
silent for heartbeat x liveness is declared dead and its callers get ``worker_died``):
the I/O thread owns the socket (link.py), exported functions run on a pool of
``credit`` threads and message handlers on one dispatcher thread (serving.py). Every
public method is safe to call from any thread.

    w = Worker.from_env()                     # MOB_ENDPOINT, MOB_ROLE, ...
    w.export("add", "int(int, int)", lambda a, b: a + b)
    w.on("job", "std::string", lambda text, msg: print(text, "from", msg.sender))
    w.ready()
    print(w.call("back", "mul", "int(int, int)", 6, 7))   # 42
    w.serve()                                 # until the kingpin says STOP
"""

import concurrent.futures
import logging
import os
import secrets
import signal
import socket
import threading

from . import codec
from . import protocol as p
from .calls import PendingCalls
from .errors import MobError, SendError, errc
from .link import Link
from .message import Message, Target
from .serving import Server

log = logging.getLogger("mob")


def _env_int(name, fallback):
    value = os.environ.get(name, "")
    return int(value) if value.strip() else fallback


class _ScaleResult(codec.Type):
    """``mob::scale_result``, read as a dict."""

    name = "mob::scale_result"
    fields = ("role", "min", "max", "before", "target", "clamped")

    def read(self, reader):
        return dict(zip(self.fields, p.SCALE_RESULT.read(reader)))


class Worker:
    """A worker of `role` in the app whose broker is at `endpoint`. It connects and says
    HELLO at once; call :meth:`ready` when its exports and handlers are in place, then
    :meth:`serve`. `app` empty joins whatever app the broker serves."""

    def __init__(self, endpoint, role, app="", credit=1, heartbeat_ms=1000, liveness=3,
                 spawned=False, call_timeout=30.0, reconnect_ms=1000, reconnect_max_ms=32000):
        self.endpoint, self.role, self.app = endpoint, role, app
        self.credit = max(1, int(credit))
        self.spawned = spawned
        self.call_timeout = call_timeout
        self.pid = os.getpid()
        self.host = socket.gethostname() or "localhost"
        self.nonce = secrets.randbits(64) or 1
        # role/pid@host#nonce: unique across hosts, containers and restarts; C++
        # receivers read the sender's role and pid from it.
        self.id = f"{role[:64]}/{self.pid}@{self.host[:128]}#{self.nonce:016x}"
        self.last_error = None  # the crash report of the worker this one replaces
        self.refused = None     # (code, message) if the broker refused this worker

        self._lock = threading.Lock()
        self._next_seq = 1
        self._ready = False
        self._error_handler = None
        self._stopping = threading.Event()
        self._welcomed = threading.Event()
        self._calls = PendingCalls()
        self._server = Server(self.credit, role, self.id, self._post)
        self._link = Link(endpoint, self.id, heartbeat_ms, liveness, reconnect_ms,
                          reconnect_max_ms, spawned, self)
        self._link.start()

    @classmethod
    def from_env(cls, **overrides):
        """A worker configured the way the kingpin configures those it spawns:
        MOB_ENDPOINT and MOB_ROLE (required), MOB_APP, MOB_SPAWNED, MOB_HEARTBEAT_MS,
        MOB_LIVENESS, MOB_CREDIT, MOB_CALL_TIMEOUT_MS, MOB_RECONNECT_MS,
        MOB_RECONNECT_MAX_MS. Keyword arguments override them."""
        options = {}
        for key, var in (("endpoint", "MOB_ENDPOINT"), ("role", "MOB_ROLE")):
            if key not in overrides and not os.environ.get(var):
                raise RuntimeError(f"{var} is not set: a worker needs MOB_ENDPOINT and MOB_ROLE")
            options[key] = os.environ.get(var, "")
        options["app"] = os.environ.get("MOB_APP", "")
        options["spawned"] = os.environ.get("MOB_SPAWNED") == "1"
        options["heartbeat_ms"] = _env_int("MOB_HEARTBEAT_MS", 1000)
        options["liveness"] = _env_int("MOB_LIVENESS", 3)
        options["credit"] = _env_int("MOB_CREDIT", 1)
        options["call_timeout"] = _env_int("MOB_CALL_TIMEOUT_MS", 30000) / 1000.0
        options["reconnect_ms"] = _env_int("MOB_RECONNECT_MS", 1000)
        options["reconnect_max_ms"] = _env_int("MOB_RECONNECT_MAX_MS", 32000)
        options.update(overrides)
        return cls(**options)

    # ---- exports and handlers ----------------------------------------------------

    def export(self, name, signature, fn=None):
        """Exports `fn` as `name` with a C++ signature, ``"int(int, int)"``: callers
        send a ``std::tuple<int, int>`` and get an ``int``. Usable as a decorator. An
        exception raised by `fn` reaches the caller as ``remote_exception``
        ("role.name: TYPE: message"), a MobError with code bad_type as ``bad_type``."""
        if fn is None:
            return lambda f: self.export(name, signature, f) or f
        if len(name.encode()) > 255:
            raise MobError(errc.unknown_method, "method names are at most 255 bytes")
        self._server.export(name, signature, fn)
        with self._lock:
            again = self._ready
        if again:  # the broker learns exports from READY
            self._post(self._ready_message())
        return None

    def on(self, topic, type_, fn=None):
        """Handles messages under `topic` of C++ type `type_`: ``fn(value, message)``,
        one at a time on the dispatcher thread. Usable as a decorator. A message of
        another type is rejected with ``bad_type``; an exception in `fn` with
        ``handler_failed``."""
        if fn is None:
            return lambda f: self.on(topic, type_, f) or f
        self._server.on(topic, type_, fn)
        return None

    def on_message(self, fn):
        """Gets every message that no typed handler takes: ``fn(message)``, raw."""
        self._server.catch_all = fn

    def on_error(self, fn):
        """Gets a :class:`mob.SendError` for each ERROR from the broker (a message or
        a callback of this worker's that failed) and each failed RESULT that came too
        late; without a handler they are logged."""
        self._error_handler = fn

    def ready(self):
        """Tells the broker this worker takes messages and calls (READY)."""
        with self._lock:
            self._ready = True
        self._post(self._ready_message())

    # ---- messages ----------------------------------------------------------------

    def to_all(self):
        """Every ready worker of every role, this one too if it is ready (``*``)."""
        return Target(self._send, p.target_all())

    def to_role(self, role):
        """Every ready worker of `role` (target ``R``)."""
        return Target(self._send, p.target_role(role))

    def to_any(self, role):
        """One ready worker of `role`, least recently used first (target ``?``)."""
        return Target(self._send, p.target_any(role))

    def to_pid(self, pid):
        """The worker whose HELLO gave that pid, ready or not (target ``P``)."""
        return Target(self._send, p.target_pid(pid))

    def to_id(self, routing_id):
        """The worker with that routing id, ready or not (target ``I``)."""
        return Target(self._send, p.target_id(routing_id))

    def _send(self, target, topic, value, type_):
        t = codec.infer_type(value) if type_ is None else codec.parse_type(type_)
        payload = codec.encode(t, value)
        seq = self._take_seq()
        self._post(p.message(p.cmd.SEND, p.u64(seq), target, topic.encode(), t.name.encode(),
                             payload))
        return seq

    # ---- calls -------------------------------------------------------------------

    def call_async(self, role, method, signature, *args, timeout=None, idempotent=False,
                   oneway=False):
        """Calls `role`.`method` with a C++ signature, ``"int(int, int)"``; returns a
        concurrent.futures.Future of the result, which fails with a MobError
        (``remote_exception``, ``worker_died``, ``timeout``, ...). It completes by its
        deadline at the latest (`timeout` seconds, default `call_timeout`). Its
        done-callbacks run on the I/O thread: keep them short."""
        result, arg_types = codec.parse_signature(signature)
        args_type = codec.Tuple(*arg_types)
        body = codec.encode(args_type, args)  # bad_type here, before anything is sent
        timeout = self.call_timeout if timeout is None else timeout
        flags = (p.FLAG_IDEMPOTENT if idempotent else 0) | (p.FLAG_ONEWAY if oneway else 0)
        call_id = self._take_seq()
        if oneway:  # no RESULT will come, unless it fails (then on_error hears of it)
            future = concurrent.futures.Future()
            future.set_result(None)
        else:
            future = self._calls.add(call_id, timeout, f"{role}.{method}", result)
        head = p.call_head(call_id, flags, max(1, int(timeout * 1000)), role, method,
                           args_type.name)
        self._post(p.message(p.cmd.CALL, head, body))
        return future

    def call(self, role, method, signature, *args, **options):
        """:meth:`call_async`, waited for: the result, or raises MobError."""
        return self.call_async(role, method, signature, *args, **options).result()

    def cast(self, role, method, signature, *args):
        """A oneway call: no result; failures reach :meth:`on_error`."""
        self.call_async(role, method, signature, *args, oneway=True)

    def scale(self, delta, role=None, timeout=None):
        """Asks the kingpin for `delta` more (or fewer) workers of `role` (default this
        worker's): a Future of a dict with role, min, max, before, target, clamped."""
        role = role or self.role
        call_id = self._take_seq()
        future = self._calls.add(call_id, self.call_timeout if timeout is None else timeout,
                                 f"scale {role}", _ScaleResult())
        self._post(p.message(p.cmd.SCALE, p.u64(call_id), role.encode(), p.i32(delta)))
        return future

    # ---- running and stopping ----------------------------------------------------

    @property
    def stopping(self):
        return self._stopping.is_set()

    def wait_until_welcomed(self, timeout=None):
        return self._welcomed.wait(timeout)

    def wait_until_stopping(self, timeout=None):
        return self._stopping.wait(timeout)

    def stop(self):
        """Makes :meth:`serve` return, as the kingpin's STOP does."""
        self._stopping.set()

    def serve(self):
        """Serves until the kingpin says STOP (or SIGTERM/SIGINT, when called on the
        main thread), then closes; returns the exit code: 2 if the broker refused
        this worker, else 0."""
        if threading.current_thread() is threading.main_thread():
            for s in (signal.SIGTERM, signal.SIGINT):
                signal.signal(s, lambda *_: self._stopping.set())
        while not self._stopping.wait(0.2):  # a timed wait lets signal handlers run
            pass
        self.close()
        return 2 if self.refused else 0

    def close(self):
        """Lets the calls and messages received run out (their answers are sent),
        says GOODBYE and closes. Its own calls still waiting fail with shutting_down."""
        self._stopping.set()
        self._server.close()
        self._link.close()
        self._calls.fail_all(errc.shutting_down, "the worker closed before the result came")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- helpers -----------------------------------------------------------------

    def _take_seq(self):
        # One counter for SEND seqs and call ids, as in C++: a number names one thing.
        with self._lock:
            seq = self._next_seq
            self._next_seq += 1
            return seq

    def _ready_message(self):
        return p.message(p.cmd.READY, p.ready_body(self.credit, self._server.exports()))

    def _post(self, frames):
        if not self._link.post(frames):
            raise MobError(errc.shutting_down, "the worker is closed")

    def _report(self, error):
        handler = self._error_handler
        if handler is None:
            log.warning("%s: %s", self.id, error)
            return
        try:
            handler(error)
        except Exception:  # noqa: BLE001 - a user's handler must not stop the I/O thread
            log.exception("on_error handler raised")

    # ---- events of the I/O thread (link.py) ------------------------------------------

    def hello(self):
        body = p.hello_body(self.app, self.role, self.pid, self.host, self.nonce,
                            self.spawned, self.credit)
        with self._lock:
            ready = self._ready
        return [p.message(p.cmd.HELLO, body)] + ([self._ready_message()] if ready else [])

    def next_deadline(self):
        return self._calls.next_deadline()

    def tick(self, now):
        self._calls.expire(now)

    def silent(self):
        if not self.spawned:
            # An external worker's broker may be gone for good: its calls must not
            # hang until their timeouts. (A spawned worker's kingpin may only be slow.)
            self._calls.fail_all(errc.broker_lost, f"the broker at {self.endpoint} fell "
                                 "silent with the call in flight; it may or may not have run")

    def orphaned(self):
        self._stopping.set()  # the kingpin that spawned this worker is gone

    def handle(self, c, body):
        if c == p.cmd.REQUEST:
            self._server.request(body)
        elif c == p.cmd.RESULT:
            self._on_result(body)
        elif c == p.cmd.DELIVER:
            seq = p.parse_u64(body[1])
            if seq is None:
                log.warning("dropped a DELIVER with a bad seq frame")
                return
            sender, topic, type_name = (body[i].decode("utf-8", "surrogateescape")
                                        for i in (0, 2, 3))
            self._server.deliver(Message(sender, seq, topic, type_name, body[4]))
        elif c == p.cmd.WELCOME:
            self._on_welcome(body[0])
        elif c == p.cmd.ERROR:
            self._on_error(body)
        elif c == p.cmd.HELLO_AGAIN:
            if not self.refused:  # a refused worker would only loop
                self._on_hello_again()
        elif c == p.cmd.STOP:
            self._stopping.set()
        elif c == p.cmd.LOST:
            # The broker gave up on some ERRORs/RESULTs it owed us (we read too slowly).
            n = p.parse_u64(body[0])
            self._report(SendError(0, errc.fates_lost, f"the broker could not keep {n} "
                                   "error(s) or result(s) it owed this worker"))
        elif c == p.cmd.INVOKED:
            # This worker gives out no callbacks: none of that id is waiting here.
            seq = body[1] if len(body[1]) == 8 else p.u64(0)
            self._link.send(p.message(p.cmd.REJECT, body[0], seq, p.error_body(
                errc.callback_used, f"{self.id} has no callback {p.parse_u64(body[2])}")))
        # HEARTBEAT, RELEASED and HOLDER_GONE (this worker gives out no callbacks):
        # heard, nothing to do.

    def _on_welcome(self, frame):
        try:
            w = p.parse_welcome(frame)
        except Exception as e:  # noqa: BLE001
            log.warning("dropped an undecodable WELCOME: %s", e)
            return
        if self.app and w["app"] != self.app:
            log.error("the broker serves app '%s', not '%s': stopping", w["app"], self.app)
            self._stopping.set()
            return
        self._link.adopt(w["heartbeat_ms"], w["liveness"])
        if not self._welcomed.is_set():
            self.last_error = w["last_error"]  # from the first WELCOME only
            self._welcomed.set()

    def _on_error(self, body):
        seq = p.parse_u64(body[0]) or 0
        code, text = p.parse_error_body(body[1])
        refusals = (errc.wrong_app, errc.unknown_role, errc.bad_version)
        if seq == 0 and code in refusals and not self._welcomed.is_set():
            log.error("%s: the broker refused this worker: %s", self.id, text)
            self.refused = (errc(code), text)
            self._stopping.set()
            return
        self._report(SendError(seq, code, text))

    def _on_hello_again(self):
        # A broker that does not know this worker has dropped its calls in flight.
        why = (f"the broker at {self.endpoint} no longer knows this worker (it restarted?): "
               "the call was lost; it may or may not have run")
        if self._link.rejoin(before=lambda: self._calls.fail_all(errc.broker_lost, why)):
            log.info("%s: said HELLO again", self.id)

    def _on_result(self, body):
        out = p.parse_outcome(body[0])
        if out is None:
            log.warning("dropped a malformed RESULT")
            return
        call_id, code, type_name = out
        if not self._calls.complete(call_id, code, type_name, body[1]) and code != errc.ok:
            self._report(SendError(call_id, code, body[1].decode("utf-8", "replace")))
