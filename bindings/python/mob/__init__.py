"""mob for Python: a worker that joins a mob app's kingpin and speaks MOB/1 with its
C++ workers (docs/protocol.md). It depends on pyzmq only.

    import mob

    def main(w):
        w.export("add", "int(int, int)", lambda a, b: a + b)

    mob.serve(main)   # as mob::serve in C++: from MOB_ENDPOINT, MOB_ROLE, ...
"""

import os
import sys
import traceback

from .codec import decode, encode, infer_type, parse_signature, parse_type
from .errors import MobError, SendError, code_name, errc
from .worker import Message, Target, Worker

__all__ = [
    "Worker", "Message", "Target", "MobError", "SendError", "errc", "code_name", "serve",
    "encode", "decode", "parse_type", "parse_signature", "infer_type",
]
__version__ = "0.1.0"


def _write_crash_record(error):
    """The kingpin's crash pipe (MOB_CRASH_FD) gets one record for an exception that
    ends the worker, in one write: "MOBCRASH1" NUL where NUL type NUL what NUL."""
    fd = os.environ.get("MOB_CRASH_FD", "")
    if not fd.isdigit():
        return
    fields = [b"MOBCRASH1", b"the role function", type(error).__qualname__.encode(),
              str(error).encode("utf-8", "replace")]
    record = b"\0".join(fields) + b"\0"
    try:
        os.write(int(fd), record[:4096])
    except OSError:
        pass


def serve(entry=None, **options):
    """Runs a worker configured from the environment (see :meth:`Worker.from_env`):
    calls ``entry(worker)`` to set it up, says READY, and serves until the kingpin
    says STOP. Returns the exit code: 0, 2 if the broker refused it, 1 if `entry`
    raised (the exception then goes to the kingpin's crash report too)::

        sys.exit(mob.serve(main))
    """
    fd = os.environ.get("MOB_CRASH_FD", "")
    if fd.isdigit():
        try:
            os.set_inheritable(int(fd), False)  # not for the programs this one starts
        except OSError:
            pass
    worker = Worker.from_env(**options)
    try:
        if entry is not None:
            entry(worker)
    except Exception as e:  # noqa: BLE001 - reported, then the worker exits
        traceback.print_exc(file=sys.stderr)
        _write_crash_record(e)
        worker.close()
        return 1
    worker.ready()
    return worker.serve()
