"""The I/O thread of a worker and the DEALER socket it alone touches.

It connects, says HELLO, heartbeats whenever nothing went out for one interval, reads
what the broker sends and hands each message to the worker, and sends what the other
threads post through an inproc pipe (pyzmq sockets are not thread-safe). Heartbeats
come from this thread and never wait for application code: that is what keeps a
worker alive in the broker's eyes while one of its functions runs for minutes.
"""

import logging
import os
import threading
import time

import zmq

from . import protocol as p

log = logging.getLogger("mob")

# Messages taken from the socket or the pipe in one go before looking at the other.
_BATCH = 256


class Link:
    """`events` is the worker: ``hello()`` (the messages that introduce it: HELLO,
    then READY if it was ready), ``handle(command, body)`` for each well-formed
    message from the broker, and ``tick(now)``, ``silent()``, ``orphaned()`` for time
    passing, a broker that fell silent and a kingpin that is gone."""

    def __init__(self, endpoint, routing_id, heartbeat_ms, liveness, reconnect_ms,
                 reconnect_max_ms, spawned, events):
        self.endpoint = endpoint
        self.heartbeat = heartbeat_ms / 1000.0
        self.liveness = liveness
        self._spawned = spawned
        self._events = events
        self._ctx = zmq.Context()
        self._sock = self._ctx.socket(zmq.DEALER)
        self._sock.setsockopt(zmq.ROUTING_ID, routing_id.encode())
        self._sock.setsockopt(zmq.LINGER, 1000)
        self._sock.setsockopt(zmq.SNDHWM, 100000)
        self._sock.setsockopt(zmq.RCVHWM, 100000)
        self._sock.setsockopt(zmq.RECONNECT_IVL, reconnect_ms)
        self._sock.setsockopt(zmq.RECONNECT_IVL_MAX, reconnect_max_ms)
        if endpoint.startswith("tcp://"):
            # ZMTP pings drop a connection to a broker host that vanished, so ZeroMQ
            # reconnects as it does when a broker closes the connection.
            self._sock.setsockopt(zmq.HEARTBEAT_IVL, heartbeat_ms)
            self._sock.setsockopt(zmq.HEARTBEAT_TIMEOUT, heartbeat_ms * liveness)
        pipe = f"inproc://mob-python-{id(self)}"
        self._pipe_in = self._ctx.socket(zmq.PAIR)
        self._pipe_in.bind(pipe)
        self._pipe_out = self._ctx.socket(zmq.PAIR)
        self._pipe_out.connect(pipe)
        self._post_lock = threading.Lock()
        self._closed = False
        self._backlog = []
        self._thread = threading.Thread(target=self._run, name="mob-io", daemon=True)

    def start(self):
        self._thread.start()

    # ---- any thread ----

    def post(self, frames):
        """Hands a message to the I/O thread; False once the link is closed."""
        with self._post_lock:
            if self._closed:
                return False
            self._pipe_out.send_multipart(frames)
            return True

    def close(self):
        """Sends what was posted, then GOODBYE, and closes the socket."""
        with self._post_lock:
            if self._closed:
                return
            self._closed = True
            self._pipe_out.send_multipart([b"", b"close"])  # no message has an empty header
        self._thread.join()
        self._pipe_out.close(linger=0)
        self._pipe_in.close(linger=0)
        self._sock.close(linger=1000)
        self._ctx.term()

    # ---- the I/O thread ----

    def send(self, frames):
        """Sends now, or after what waits for the socket to take more."""
        if self._backlog or not self._try_send(frames):
            self._backlog.append(frames)

    def adopt(self, heartbeat_ms, liveness):
        """The broker's heartbeat settings, from WELCOME (0 stands for the default)."""
        self.heartbeat = (heartbeat_ms or 1000) / 1000.0
        self.liveness = liveness or 3
        self._hello_answered = True

    def rejoin(self, before):
        """Answers HELLO_AGAIN: sends what waits, calls `before()`, says HELLO again;
        False when it was ignored. Every message that reached a broker which did not
        know this worker gets one, so only the first is answered: while a HELLO is
        unanswered and younger than the silence that makes a peer dead, the others
        are ignored."""
        if (not self._hello_answered
                and time.monotonic() - self._hello_sent < self.heartbeat * self.liveness):
            return False
        self._flush()
        before()
        self._say_hello()
        return True

    def _say_hello(self):
        self._hello_sent = time.monotonic()
        self._hello_answered = False
        for frames in self._events.hello():
            self.send(frames)

    def _run(self):
        self._hello_answered = False
        self._warned_silent = False
        self._parent = os.getppid()
        self._last_heard = self._last_sent = time.monotonic()
        self._sock.connect(self.endpoint)
        self._say_hello()
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
        self.send(p.message(p.cmd.GOODBYE))

    def _wait_ms(self):
        wait = min(self.heartbeat, 0.1, self._events.next_deadline() - time.monotonic())
        return max(0, int(wait * 1000))

    def _drain_pipe(self):
        """Sends what other threads posted; True when told to close."""
        for _ in range(_BATCH):
            try:
                frames = self._pipe_in.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return False
            if not frames[0]:
                return True
            self.send(frames)
        return False

    def _drain_socket(self):
        for _ in range(_BATCH):
            try:
                frames = self._sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            self._last_heard = time.monotonic()  # any message is a sign of life
            self._warned_silent = False
            c = p.check_envelope(frames)
            if c is None:
                log.warning("dropped a malformed message from the broker")
                continue
            try:
                self._events.handle(c, frames[1:])
            except Exception:  # noqa: BLE001 - one bad message must not stop the worker
                log.exception("failed to handle %s from the broker", c.name)

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

    def _tick(self, now):
        # A HEARTBEAT whenever nothing went out for one interval (one that cannot go
        # at once is skipped: anything queued will say the same when it goes).
        if not self._backlog and now - self._last_sent >= self.heartbeat:
            self._try_send(p.message(p.cmd.HEARTBEAT))
        if now - self._last_heard > self.heartbeat * self.liveness and not self._warned_silent:
            self._warned_silent = True
            log.warning("the broker at %s is silent (%.1f s)", self.endpoint,
                        now - self._last_heard)
            self._events.silent()
        if self._spawned and os.getppid() != self._parent:
            self._events.orphaned()
        self._events.tick(now)
