"""A mob worker in Python: joins a kingpin's broker over ZeroMQ and speaks MOB/1.

One I/O thread owns the DEALER socket: it says HELLO, heartbeats, reads what the
broker sends and sends what the other threads hand it through an inproc pipe. Exported
functions run on a pool of ``credit`` threads and message handlers on one dispatcher
thread, so a function that runs for minutes never stops the heartbeats (a worker that
falls silent for heartbeat x liveness is declared dead, and its callers get
``worker_died``). Every public method is safe to call from any thread.

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
import queue
import secrets
import signal
import socket
import threading
import time

import zmq

from . import codec
from . import protocol as p
from .errors import MobError, SendError, errc

log = logging.getLogger("mob")

# Calls a broker message handler may queue on the I/O thread at once before it sends.
_DRAIN_BATCH = 256


class Message:
    """A message delivered to this worker (DELIVER)."""

    __slots__ = ("sender", "seq", "topic", "type", "payload", "value")

    def __init__(self, sender, seq, topic, type_name, payload, value=None):
        self.sender, self.seq, self.topic = sender, seq, topic
        self.type, self.payload, self.value = type_name, payload, value

    @property
    def sender_role(self):
        """The sender's role: its routing id up to the first ``/``."""
        return self.sender.split("/", 1)[0]

    @property
    def sender_pid(self):
        """The sender's pid, from its routing id (``role/pid@host#nonce``); 0 if none."""
        try:
            return int(self.sender.split("/", 1)[1].split("@", 1)[0])
        except (IndexError, ValueError):
            return 0


class Target:
    """Where a message goes: ``w.to_all()``, ``w.to_role("back")``,
    ``w.to_any("back")``, ``w.to_pid(4242)``, ``w.to_id(routing_id)``."""

    def __init__(self, worker, frame):
        self._worker, self._frame = worker, frame

    def send(self, topic, value, type=None):  # noqa: A002 - the protocol's word
        """Sends `value` (as C++ type `type`, else :func:`mob.codec.infer_type`) under
        `topic`; returns the seq an ERROR about it will carry."""
        return self._worker._send(self._frame, topic, value, type)


class _Export:
    __slots__ = ("name", "result", "args", "fn")

    def __init__(self, name, signature, fn):
        self.name, self.fn = name, fn
        self.result, arg_types = codec.parse_signature(signature)
        self.args = codec.Tuple(*arg_types)


class _Pending:
    __slots__ = ("future", "deadline", "what", "result")

    def __init__(self, future, deadline, what, result):
        self.future, self.deadline, self.what, self.result = future, deadline, what, result


class _ScaleResult(codec.Type):
    """``mob::scale_result``: role, min, max, before, target, clamped (a dict here)."""

    name = "mob::scale_result"
    fields = ("role", "min", "max", "before", "target", "clamped")

    def read(self, reader):
        return dict(zip(self.fields, p.SCALE_RESULT.read(reader)))


def _env_int(name, fallback):
    value = os.environ.get(name, "")
    return int(value) if value.strip() else fallback


class Worker:
    """A connection to a broker as a worker of `role`. It starts at once (HELLO); call
    :meth:`ready` when its exports and handlers are in place, then :meth:`serve`."""

    def __init__(self, endpoint, role, app="", credit=1, heartbeat_ms=1000, liveness=3,
                 spawned=False, call_timeout=30.0, reconnect_ms=1000, reconnect_max_ms=32000):
        self.endpoint, self.role, self.app = endpoint, role, app
        self.credit = max(1, int(credit))
        self.spawned = spawned
        self.call_timeout = call_timeout
        self.pid = os.getpid()
        self.host = socket.gethostname() or "localhost"
        self.nonce = secrets.randbits(64) or 1
        # role/pid@host#nonce: unique across hosts, containers and restarts, and the
        # C++ side reads the sender's role and pid from it.
        self.id = f"{role[:64]}/{self.pid}@{self.host[:128]}#{self.nonce:016x}"
        self.last_error = None  # the crash report of the worker this one replaces
        self.refused = None     # (code, message) if the broker refused our HELLO

        self._heartbeat = heartbeat_ms / 1000.0
        self._liveness = liveness
        self._lock = threading.Lock()
        self._exports = {}
        self._handlers = {}
        self._catch_all = None
        self._error_handler = None
        self._pending = {}
        self._next_seq = 1
        self._ready = False
        self._stopping = threading.Event()
        self._welcomed = threading.Event()
        self._closed = False

        self._ctx = zmq.Context()
        self._sock = self._ctx.socket(zmq.DEALER)
        self._sock.setsockopt(zmq.ROUTING_ID, self.id.encode())
        self._sock.setsockopt(zmq.LINGER, 1000)
        self._sock.setsockopt(zmq.SNDHWM, 100000)
        self._sock.setsockopt(zmq.RCVHWM, 100000)
        self._sock.setsockopt(zmq.RECONNECT_IVL, reconnect_ms)
        self._sock.setsockopt(zmq.RECONNECT_IVL_MAX, reconnect_max_ms)
        if endpoint.startswith("tcp://"):
            # ZMTP pings drop a connection to a broker host that vanished, so that
            # ZeroMQ reconnects as it does when a broker closes the connection.
            self._sock.setsockopt(zmq.HEARTBEAT_IVL, heartbeat_ms)
            self._sock.setsockopt(zmq.HEARTBEAT_TIMEOUT, heartbeat_ms * liveness)
        pipe = f"inproc://mob-python-{id(self)}"
        self._pipe_in = self._ctx.socket(zmq.PAIR)
        self._pipe_in.bind(pipe)
        self._pipe_out = self._ctx.socket(zmq.PAIR)
        self._pipe_out.connect(pipe)
        self._send_lock = threading.Lock()

        self._calls = concurrent.futures.ThreadPoolExecutor(
            max_workers=self.credit, thread_name_prefix="mob-call")
        self._deliveries = queue.Queue()
        self._dispatcher = threading.Thread(target=self._dispatch_loop, name="mob-dispatch",
                                            daemon=True)
        self._dispatcher.start()
        self._io = threading.Thread(target=self._io_loop, name="mob-io", daemon=True)
        self._io.start()

    @classmethod
    def from_env(cls, **overrides):
        """A worker configured as the kingpin configures the ones it spawns:
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
        must send ``std::tuple<int, int>`` and get an ``int``. Usable as a decorator.
        An exception raised by `fn` reaches the caller as ``remote_exception``
        ("role.name: TYPE: message"); a MobError with code bad_type as ``bad_type``."""
        if fn is None:
            return lambda f: self.export(name, signature, f) or f
        if len(name.encode()) > 255:
            raise MobError(errc.unknown_method, "method names are at most 255 bytes")
        entry = _Export(name, signature, fn)
        with self._lock:
            self._exports[name] = entry
            again = self._ready
        if again:
            self._post(p.message(p.cmd.READY, self._ready_body()))
        return None

    def on(self, topic, type_, fn=None):
        """Handles messages under `topic` carrying C++ type `type_`: ``fn(value,
        message)``, one at a time on the dispatcher thread. A message of another type
        is rejected with ``bad_type``; an exception in `fn` with ``handler_failed``."""
        if fn is None:
            return lambda f: self.on(topic, type_, f) or f
        t = codec.parse_type(type_)
        with self._lock:
            self._handlers[topic] = (t, fn)
        return None

    def on_message(self, fn):
        """Gets every message no typed handler takes: ``fn(message)``, payload raw."""
        self._catch_all = fn

    def on_error(self, fn):
        """Gets each :class:`mob.SendError` (ERROR from the broker, a late failed
        RESULT); without one they are logged."""
        self._error_handler = fn

    def ready(self):
        """Tells the broker this worker takes messages and calls (READY)."""
        with self._lock:
            self._ready = True
        self._post(p.message(p.cmd.READY, self._ready_body()))

    # ---- messages ----------------------------------------------------------------

    def to_all(self):
        """Every ready worker of every role, this one too if it is ready (``*``)."""
        return Target(self, p.target_all())

    def to_role(self, role):
        """Every ready worker of `role` (target ``R``)."""
        return Target(self, p.target_role(role))

    def to_any(self, role):
        """One ready worker of `role`, least recently used first (target ``?``)."""
        return Target(self, p.target_any(role))

    def to_pid(self, pid):
        """The worker whose HELLO gave that pid, ready or not (target ``P``)."""
        return Target(self, p.target_pid(pid))

    def to_id(self, routing_id):
        """The worker with that routing id, ready or not (target ``I``)."""
        return Target(self, p.target_id(routing_id))

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
        (``remote_exception``, ``worker_died``, ``timeout`` ...). It always completes:
        by the deadline (`timeout` seconds, default `call_timeout`) at the latest.
        Its done-callbacks run on the I/O thread: keep them short."""
        result, arg_types = codec.parse_signature(signature)
        args_type = codec.Tuple(*arg_types)
        body = codec.encode(args_type, args)
        timeout = self.call_timeout if timeout is None else timeout
        flags = (p.FLAG_IDEMPOTENT if idempotent else 0) | (p.FLAG_ONEWAY if oneway else 0)
        future = concurrent.futures.Future()
        with self._lock:
            call_id = self._next_seq
            self._next_seq += 1
            if not oneway:
                self._pending[call_id] = _Pending(future, time.monotonic() + timeout,
                                                  f"{role}.{method}", result)
        head = p.call_head(call_id, flags, max(1, int(timeout * 1000)), role, method,
                           args_type.name)
        self._post(p.message(p.cmd.CALL, head, body))
        if oneway:
            future.set_result(None)
        return future

    def call(self, role, method, signature, *args, **options):
        """:meth:`call_async`, waited for: the result, or raises MobError."""
        return self.call_async(role, method, signature, *args, **options).result()

    def cast(self, role, method, signature, *args):
        """A oneway call: no result; failures reach :meth:`on_error`."""
        self.call_async(role, method, signature, *args, oneway=True)

    def scale(self, delta, role=None, timeout=None):
        """Asks the kingpin for `delta` more (or fewer) workers of `role` (default this
        one's); a Future of a dict: role, min, max, before, target, clamped."""
        role = role or self.role
        timeout = self.call_timeout if timeout is None else timeout
        future = concurrent.futures.Future()
        with self._lock:
            call_id = self._next_seq
            self._next_seq += 1
            self._pending[call_id] = _Pending(future, time.monotonic() + timeout,
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
        """Makes :meth:`serve` return, as a STOP from the kingpin does."""
        self._stopping.set()

    def serve(self):
        """Serves until the kingpin says STOP (or SIGTERM/SIGINT, when called on the
        main thread), then closes; returns the process exit code (2 if the broker
        refused this worker, else 0)."""
        if threading.current_thread() is threading.main_thread():
            for s in (signal.SIGTERM, signal.SIGINT):
                signal.signal(s, lambda *_: self._stopping.set())
        while not self._stopping.wait(0.2):  # a timed wait lets signal handlers run
            pass
        self.close()
        return 2 if self.refused else 0

    def close(self):
        """Finishes the calls and messages received, says GOODBYE and closes. Calls of
        this worker still waiting fail with ``shutting_down``."""
        with self._send_lock:
            if self._closed:
                return
        self._stopping.set()
        self._deliveries.put(None)
        self._dispatcher.join()
        self._calls.shutdown(wait=True)  # the calls being served answer first
        with self._send_lock:
            self._closed = True
            self._pipe_out.send_multipart([b"", b"close"])
        self._io.join()
        self._fail_pending(errc.shutting_down, "the worker is closing")
        for s in (self._pipe_out, self._pipe_in, self._sock):
            s.close(linger=1000 if s is self._sock else 0)
        self._ctx.term()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- helpers of the public API ----------------------------------------------

    def _take_seq(self):
        with self._lock:
            seq = self._next_seq
            self._next_seq += 1
            return seq

    def _ready_body(self):
        with self._lock:
            return p.ready_body(self.credit, list(self._exports))

    def _post(self, frames):
        """Hands a message to the I/O thread (the only one that touches the socket)."""
        with self._send_lock:
            if self._closed:
                raise MobError(errc.shutting_down, "the worker is closed")
            self._pipe_out.send_multipart(frames)

    def _fail_pending(self, code, why):
        with self._lock:
            pending, self._pending = self._pending, {}
        for call in pending.values():
            call.future.set_exception(MobError(code, f"{call.what}: {why}"))

    def _report(self, error):
        handler = self._error_handler
        if handler is None:
            log.warning("%s: %s", self.id, error)
            return
        try:
            handler(error)
        except Exception:  # noqa: BLE001 - a user's handler must not kill the I/O thread
            log.exception("on_error handler raised")

    # ---- the I/O thread ------------------------------------------------------------

    def _io_loop(self):
        self._backlog = []
        self._hello_answered = False
        self._warned_silent = False
        self._parent = os.getppid()
        now = time.monotonic()
        self._last_heard = self._last_sent = now
        self._sock.connect(self.endpoint)
        self._send_hello()
        poller = zmq.Poller()
        poller.register(self._pipe_in, zmq.POLLIN)
        poller.register(self._sock, zmq.POLLIN)
        while True:
            poller.modify(self._sock, zmq.POLLIN | (zmq.POLLOUT if self._backlog else 0))
            events = dict(poller.poll(self._wait_ms()))
            if self._pipe_in in events and self._drain_pipe():
                break
            if self._sock in events:
                self._flush()
                self._drain_socket()
            self._tick(time.monotonic())
        self._flush()
        self._out(p.message(p.cmd.GOODBYE))

    def _wait_ms(self):
        wait = min(self._heartbeat, 0.1)
        with self._lock:
            if self._pending:
                soonest = min(c.deadline for c in self._pending.values())
                wait = min(wait, soonest - time.monotonic())
        return max(0, int(wait * 1000))

    def _drain_pipe(self):
        """Sends what the other threads handed over; True when told to close."""
        for _ in range(_DRAIN_BATCH):
            try:
                frames = self._pipe_in.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return False
            if not frames[0]:
                return True
            self._out(frames)
        return False

    def _drain_socket(self):
        for _ in range(_DRAIN_BATCH):
            try:
                frames = self._sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            self._last_heard = time.monotonic()
            self._warned_silent = False
            try:
                self._handle(frames)
            except Exception:  # noqa: BLE001 - one bad message must not stop the worker
                log.exception("failed to handle a message from the broker")

    def _out(self, frames):
        if self._backlog or not self._try_send(frames):
            self._backlog.append(frames)

    def _try_send(self, frames):
        try:
            self._sock.send_multipart(frames, zmq.NOBLOCK)
        except zmq.Again:
            return False
        self._last_sent = time.monotonic()
        return True

    def _flush(self):
        while self._backlog and self._try_send(self._backlog[0]):
            self._backlog.pop(0)

    def _send_hello(self):
        self._hello_sent = time.monotonic()
        self._hello_answered = False
        body = p.hello_body(self.app, self.role, self.pid, self.host, self.nonce,
                            self.spawned, self.credit)
        self._out(p.message(p.cmd.HELLO, body))

    def _tick(self, now):
        # A HEARTBEAT whenever nothing went out for one interval: it is what tells the
        # broker this worker lives, whatever its functions are doing.
        if not self._backlog and now - self._last_sent >= self._heartbeat:
            self._try_send(p.message(p.cmd.HEARTBEAT))
        silence = self._heartbeat * self._liveness
        if now - self._last_heard > silence and not self._warned_silent:
            self._warned_silent = True
            log.warning("%s: the broker at %s is silent (%.1f s)", self.id, self.endpoint,
                        now - self._last_heard)
            if not self.spawned:
                # An external worker's broker may be gone for good: do not let its
                # calls hang until their timeouts.
                self._fail_pending(errc.broker_lost,
                                   f"the broker at {self.endpoint} fell silent with the call "
                                   "in flight; it may or may not have run")
        if self.spawned and os.getppid() != self._parent:
            self._stopping.set()  # the kingpin is gone
        expired = []
        with self._lock:
            for call_id, call in list(self._pending.items()):
                if call.deadline <= now:
                    expired.append(self._pending.pop(call_id))
        for call in expired:
            call.future.set_exception(
                MobError(errc.timeout, f"{call.what}: no result before the call's timeout"))

    # ---- what the broker sends -----------------------------------------------------

    def _handle(self, frames):
        c = p.check_envelope(frames)
        if c is None:
            log.warning("dropped a malformed message from the broker")
            return
        body = frames[1:]
        if c == p.cmd.REQUEST:
            self._on_request(body)
        elif c == p.cmd.RESULT:
            self._on_result(body)
        elif c == p.cmd.DELIVER:
            seq = p.parse_u64(body[1])
            if seq is None:
                log.warning("dropped a DELIVER with a bad seq frame")
                return
            self._deliveries.put(Message(body[0].decode("utf-8", "surrogateescape"), seq,
                                         body[2].decode("utf-8", "replace"),
                                         body[3].decode("utf-8", "replace"), body[4]))
        elif c == p.cmd.WELCOME:
            self._on_welcome(body[0])
        elif c == p.cmd.ERROR:
            self._on_error(body)
        elif c == p.cmd.HELLO_AGAIN:
            self._on_hello_again()
        elif c == p.cmd.STOP:
            self._stopping.set()
        elif c == p.cmd.INVOKED:
            # This worker never gives out callbacks: none of that id is waiting here.
            seq = body[1] if len(body[1]) == 8 else p.u64(0)
            self._out(p.message(p.cmd.REJECT, body[0], seq, p.error_body(
                errc.callback_used, f"{self.id} has no callback {p.parse_u64(body[2])}")))
        # HEARTBEAT and RELEASED: heard, nothing to do.

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
        self._heartbeat = (w["heartbeat_ms"] or 1000) / 1000.0
        self._liveness = w["liveness"] or 3
        self._hello_answered = True
        if not self._welcomed.is_set():
            self.last_error = w["last_error"]
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
        if self.refused:
            return
        # Every message that reached a broker which did not know us gets one: answer
        # the first, not each of them.
        if (not self._hello_answered
                and time.monotonic() - self._hello_sent < self._heartbeat * self._liveness):
            return
        self._flush()
        self._fail_pending(errc.broker_lost,
                           f"the broker at {self.endpoint} no longer knows this worker (it "
                           "restarted?): the call was lost; it may or may not have run")
        self._send_hello()
        with self._lock:
            ready = self._ready
        if ready:
            self._out(p.message(p.cmd.READY, self._ready_body()))

    def _on_result(self, body):
        out = p.parse_outcome(body[0])
        if out is None:
            log.warning("dropped a malformed RESULT")
            return
        call_id, code, type_name = out
        with self._lock:
            call = self._pending.pop(call_id, None)
        if call is None:
            if code != errc.ok:
                self._report(SendError(call_id, code, body[1].decode("utf-8", "replace")))
            return
        if code != errc.ok:
            call.future.set_exception(MobError(code, body[1].decode("utf-8", "replace")))
        elif type_name and type_name != call.result.name:
            call.future.set_exception(MobError(
                errc.bad_type, f"{call.what} returned {type_name}, not {call.result.name}"))
        else:
            try:
                call.future.set_result(codec.decode(call.result, body[1]))
            except MobError as e:
                call.future.set_exception(MobError(e.code, f"{call.what}: {e.message}"))

    def _on_request(self, body):
        head = p.parse_call_head(body[0])
        if head is None:
            ticket = p.parse_u64(bytes(body[0][:8])) if len(body[0]) >= 8 else None
            if ticket is not None:
                self._out(p.message(p.cmd.REPLY, p.outcome(ticket, errc.bad_frame),
                                    b"REQUEST: malformed call head"))
            return
        self._calls.submit(self._serve_call, head, body[1])

    # ---- the call pool and the dispatcher thread ------------------------------------

    def _reply(self, ticket, code, type_name, body):
        self._post(p.message(p.cmd.REPLY, p.outcome(ticket, code, type_name), body))

    def _serve_call(self, head, args):
        what = f"{self.role}.{head.method}"
        with self._lock:
            entry = self._exports.get(head.method)
            names = ", ".join(sorted(self._exports))
        if entry is None:
            self._reply(head.id, errc.unknown_method, "",
                        f"role '{self.role}' has no method '{head.method}' (worker {self.id} "
                        f"exports: {names})".encode())
            return
        if head.types and head.types != entry.args.name:
            self._reply(head.id, errc.bad_type, "",
                        f"{what} takes {entry.args.name}, not {head.types}".encode())
            return
        try:
            values = codec.decode(entry.args, args)
        except MobError as e:
            self._reply(head.id, errc.bad_type, "", f"{what}: {e.message}".encode())
            return
        try:
            result = entry.fn(*values)
        except MobError as e:
            code = errc.bad_type if e.code == errc.bad_type else errc.remote_exception
            self._reply(head.id, code, "", f"{what}: MobError: {e.message}".encode())
            return
        except Exception as e:  # noqa: BLE001 - every failure goes back to the caller
            self._reply(head.id, errc.remote_exception, "",
                        f"{what}: {type(e).__name__}: {e}".encode())
            return
        try:
            out = codec.encode(entry.result, result)
        except MobError as e:
            self._reply(head.id, errc.bad_type, "",
                        f"{what} returned what is no {entry.result.name}: {e.message}".encode())
            return
        self._reply(head.id, errc.ok, entry.result.name, out)

    def _dispatch_loop(self):
        while True:
            m = self._deliveries.get()
            if m is None:
                return
            try:
                self._dispatch(m)
            except MobError as e:
                if not self._closed:
                    log.warning("could not answer a message: %s", e)

    def _dispatch(self, m):
        with self._lock:
            typed = self._handlers.get(m.topic)
        on = f"topic '{m.topic}' on {self.id}"
        if typed is None:
            if self._catch_all is not None:
                self._run_handler(m, lambda: self._catch_all(m))
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
        self._run_handler(m, lambda: fn(m.value, m))

    def _run_handler(self, m, run):
        try:
            run()
        except Exception as e:  # noqa: BLE001 - the sender hears of every failure
            self._reject(m, errc.handler_failed,
                         f"handler for '{m.topic}' on {self.id} threw: {type(e).__name__}: {e}")

    def _reject(self, m, code, text):
        log.warning("%s", text)
        self._post(p.message(p.cmd.REJECT, m.sender.encode("utf-8", "surrogateescape"),
                             p.u64(m.seq), p.error_body(code, text)))
