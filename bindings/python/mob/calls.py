"""The calls a worker made that wait for a RESULT, by call id, each with a deadline.

Every call completes exactly once: with its RESULT, with ``timeout`` when its deadline
passes (the I/O thread sweeps them), or with ``broker_lost`` / ``shutting_down`` when
the worker loses its broker or closes. A RESULT that finds no call (it came after the
deadline) is reported if it is a failure, as the C++ worker does.
"""

import concurrent.futures
import threading
import time

from . import codec
from .errors import MobError, errc


class _Call:
    __slots__ = ("future", "deadline", "what", "result")

    def __init__(self, future, deadline, what, result):
        self.future, self.deadline, self.what, self.result = future, deadline, what, result


class PendingCalls:
    def __init__(self):
        self._lock = threading.Lock()
        self._calls = {}

    def add(self, call_id, timeout, what, result):
        """A Future for call `call_id` to `what` ("role.method"), whose result is of
        type `result`, failing with ``timeout`` after `timeout` seconds."""
        future = concurrent.futures.Future()
        with self._lock:
            self._calls[call_id] = _Call(future, time.monotonic() + timeout, what, result)
        return future

    def complete(self, call_id, code, type_name, body):
        """Completes a call from its RESULT; False if no call has that id."""
        with self._lock:
            call = self._calls.pop(call_id, None)
        if call is None:
            return False
        if code != errc.ok:
            call.future.set_exception(MobError(code, body.decode("utf-8", "replace")))
        elif type_name and type_name != call.result.name:
            call.future.set_exception(MobError(
                errc.bad_type, f"{call.what} returns {type_name}, not {call.result.name}"))
        else:
            try:
                call.future.set_result(codec.decode(call.result, body))
            except MobError as e:
                call.future.set_exception(MobError(e.code, f"{call.what}: {e.message}"))
        return True

    def next_deadline(self):
        with self._lock:
            return min((c.deadline for c in self._calls.values()), default=float("inf"))

    def expire(self, now):
        with self._lock:
            late = [i for i, c in self._calls.items() if c.deadline <= now]
            expired = [self._calls.pop(i) for i in late]
        for call in expired:
            call.future.set_exception(
                MobError(errc.timeout, f"{call.what}: no result before the call's timeout"))

    def fail_all(self, code, why):
        with self._lock:
            calls, self._calls = self._calls, {}
        for call in calls.values():
            call.future.set_exception(MobError(code, f"{call.what}: {why}"))
