"""The frames of MOB/1 (docs/protocol.md): header, numbers, targets, call heads,
outcomes and the cereal bodies of HELLO, WELCOME, READY and ERROR.

Builders return lists of ``bytes`` frames, header first, as a DEALER sends them;
parsers take the frames after the header and return None for what is malformed.
Nothing here touches a socket.
"""

import enum
import struct

from . import codec
from .errors import errc

HEADER = b"MOB1"


class cmd(enum.IntEnum):
    HELLO = 0x01
    READY = 0x02
    HEARTBEAT = 0x03
    SEND = 0x04
    REJECT = 0x05
    GOODBYE = 0x06
    CALL = 0x07
    REPLY = 0x08
    INVOKE = 0x09
    RELEASE = 0x0A
    SCALE = 0x0B
    STOP_APP = 0x0C
    WELCOME = 0x81
    DELIVER = 0x82
    ERROR = 0x83
    STOP = 0x84
    HELLO_AGAIN = 0x85
    REQUEST = 0x86
    RESULT = 0x87
    INVOKED = 0x88
    RELEASED = 0x89
    LOST = 0x8A
    HOLDER_GONE = 0x8B


# Body frames of each command the broker sends: (fewest, most). Only RESULT has an
# optional frame (served by), and only for a CALL that asked for it.
FROM_BROKER = {
    cmd.HEARTBEAT: (0, 0), cmd.WELCOME: (1, 1), cmd.DELIVER: (5, 5), cmd.ERROR: (2, 2),
    cmd.STOP: (0, 0), cmd.HELLO_AGAIN: (0, 0), cmd.REQUEST: (2, 2), cmd.RESULT: (2, 3),
    cmd.INVOKED: (5, 5), cmd.RELEASED: (2, 2), cmd.LOST: (1, 1), cmd.HOLDER_GONE: (1, 1),
}

FLAG_IDEMPOTENT = 0x01
FLAG_ONEWAY = 0x02
FLAG_REPORT_SERVER = 0x04


def header(c):
    return HEADER + bytes([c])


def message(c, *body):
    return [header(c), *body]


def check_envelope(frames):
    """The command of a message from the broker, or None if it fails the envelope
    check (header, direction, frame count): such a message is dropped."""
    if not frames or len(frames[0]) != 5 or frames[0][:4] != HEADER:
        return None
    try:
        c = cmd(frames[0][4])
    except ValueError:
        return None
    counts = FROM_BROKER.get(c)
    if counts is None or not counts[0] <= len(frames) - 1 <= counts[1]:
        return None
    return c


def u64(n):
    return struct.pack("<Q", n)


def parse_u64(frame):
    return struct.unpack("<Q", frame)[0] if len(frame) == 8 else None


def i32(n):
    return struct.pack("<i", n)


# ---- targets (SEND frame 2) ----

def target_all():
    return b"*"


def target_role(role):
    return b"R" + _text(role)


def target_any(role):
    return b"?" + _text(role)


def target_pid(pid):
    return b"P" + str(int(pid)).encode()


def target_id(routing_id):
    return b"I" + _text(routing_id)


def _text(s):
    return s.encode() if isinstance(s, str) else bytes(s)


# ---- call head (CALL, REQUEST frame 1) and outcome (REPLY, RESULT frame 1) ----

def call_head(call_id, flags, timeout_ms, role, method, types):
    role, method, types = _text(role), _text(method), _text(types)
    if len(role) > 255 or len(method) > 255:
        raise ValueError("role and method names are at most 255 bytes")
    return (struct.pack("<QBIB", call_id, flags, timeout_ms, len(role)) + role
            + bytes([len(method)]) + method + types)


class CallHead:
    __slots__ = ("id", "flags", "timeout_ms", "role", "method", "types")


def parse_call_head(frame):
    """The fields of a call head, or None if it is malformed (docs: "Call head frame")."""
    if len(frame) < 15:
        return None
    h = CallHead()
    h.id, h.flags, h.timeout_ms, role_size = struct.unpack_from("<QBIB", frame)
    if h.flags & ~0x07:
        return None
    at = 14
    if at + role_size + 1 > len(frame):
        return None
    h.role = bytes(frame[at:at + role_size]).decode("utf-8", "replace")
    at += role_size
    method_size = frame[at]
    at += 1
    if at + method_size > len(frame):
        return None
    h.method = bytes(frame[at:at + method_size]).decode("utf-8", "replace")
    h.types = bytes(frame[at + method_size:]).decode("utf-8", "replace")
    return h


def outcome(call_id, code, type_name=""):
    return struct.pack("<QH", call_id, int(code)) + _text(type_name)


def parse_outcome(frame):
    """(id, code, type) of an outcome frame, or None if shorter than 10 bytes."""
    if len(frame) < 10:
        return None
    call_id, code = struct.unpack_from("<QH", frame)
    return call_id, code, bytes(frame[10:]).decode("utf-8", "replace")


# ---- cereal bodies ----

_strings = codec.Vector(codec.String())
HELLO_BODY = codec.Tuple(codec.String(), codec.String(), codec.parse_type("long"),
                         codec.String(), codec.parse_type("unsigned long"), codec.Bool(),
                         codec.parse_type("unsigned int"), _strings)
READY_BODY = codec.Tuple(codec.parse_type("unsigned int"), _strings)
ERROR_BODY = codec.Tuple(codec.parse_type("unsigned short"), codec.String())
_u32 = codec.parse_type("unsigned int")
_i32 = codec.parse_type("int")
_i64 = codec.parse_type("long")
CRASH_REPORT = codec.Tuple(codec.String(), _i64, _i32, _i32, codec.String(), codec.String(),
                           codec.String(), codec.String(), codec.String(), _i64)
CRASH_FIELDS = ("role", "pid", "exit_code", "signal", "signal_name", "exception_type",
                "exception_what", "exception_where", "note", "time")
SCALE_RESULT = codec.Tuple(codec.String(), _u32, _u32, _u32, _u32, codec.Bool())


def hello_body(app, role, pid, host, nonce, spawned, credit):
    return codec.encode(HELLO_BODY, (app, role, pid, host, nonce, spawned, credit, []))


def ready_body(credit, exports):
    return codec.encode(READY_BODY, (credit, sorted(exports)))


def error_body(code, text):
    return codec.encode(ERROR_BODY, (int(code), text))


def parse_error_body(frame):
    """(code, message); an undecodable body reads as bad_frame, as in C++."""
    try:
        return codec.decode(ERROR_BODY, frame)
    except Exception as e:  # noqa: BLE001 - anything undecodable is reported, not raised
        return errc.bad_frame, f"undecodable ERROR from the broker: {e}"


def parse_welcome(frame):
    """The welcome body as a dict; ``last_error`` is a dict of the crash report or
    None. A body that ends after ``roles`` (an older broker) has no crash report."""
    r = codec.Reader(frame)
    s = codec.String()
    w = {"app": s.read(r), "worker_id": s.read(r), "heartbeat_ms": _u32.read(r),
         "liveness": _u32.read(r), "roles": _strings.read(r), "last_error": None}
    if r.remaining() > 0 and codec.Bool().read(r):
        w["last_error"] = dict(zip(CRASH_FIELDS, CRASH_REPORT.read(r)))
    if r.remaining() != 0:
        raise ValueError(f"welcome body: {r.remaining()} bytes left over")
    return w
