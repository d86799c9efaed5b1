"""Error codes of MOB/1 (docs/protocol.md, "Errors") and the exceptions that carry them.

The numbers are part of the protocol and never change; the names are the C++
``mob::errc`` names, so a log line reads the same on both sides.
"""

import enum


class errc(enum.IntEnum):
    ok = 0
    bad_frame = 1
    bad_version = 2
    unknown_role = 3
    unknown_pid = 4
    ambiguous_pid = 5
    no_ready_worker = 6
    queue_full = 7
    expired = 8
    bad_type = 9
    no_handler = 10
    handler_failed = 11
    shutting_down = 12
    not_a_mobster = 13
    unknown_worker = 14
    not_registered = 15
    wrong_app = 16
    unknown_method = 17
    remote_exception = 18
    worker_died = 19
    timeout = 20
    callback_used = 21
    origin_gone = 22
    callback_expired = 23
    broker_lost = 24
    fates_lost = 25
    key_not_allowed = 26
    too_large = 27


def code_name(code):
    """``"worker_died"`` for 19; ``"unknown_error"`` for a code this side does not know."""
    try:
        return errc(code).name
    except ValueError:
        return "unknown_error"


class MobError(Exception):
    """A failure with a MOB/1 error code: a failed call, or a value of the wrong type.

    ``code`` is an :class:`errc` (or a plain int for a code this side does not know),
    ``message`` the text the other side (or this one) gave.
    """

    def __init__(self, code, message):
        try:
            code = errc(code)
        except ValueError:
            pass
        super().__init__(f"{code_name(code)}: {message}")
        self.code = code
        self.message = message


class SendError:
    """An ERROR from the broker about something this worker sent (a message, or a
    callback it invoked), or a late failed RESULT: ``seq`` names what it is about
    (0: nothing in particular)."""

    __slots__ = ("seq", "code", "message")

    def __init__(self, seq, code, message):
        self.seq = seq
        try:
            self.code = errc(code)
        except ValueError:
            self.code = code
        self.message = message

    def __repr__(self):
        return f"SendError(seq={self.seq}, code={code_name(self.code)}, message={self.message!r})"
