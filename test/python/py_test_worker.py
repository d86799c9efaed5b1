"""The Python worker that test/python/python_worker_test.cpp runs, with only the
binding (bindings/python) and pyzmq. It is started by hand (MOB_ENDPOINT, MOB_ROLE) or
by a kingpin through mob::exec, and prints "EVENT ..." lines the tests wait for.

Exports: add(int, int), whoami(), boom() (raises ValueError), work(int ms) (busy for ms, a long computation), mirror(...)
(every common payload type, changed in a known way) and bad_result() (returns what is
not its declared type). Messages: "ping" (std::string) is answered with "pong" to its
sender; "explode" raises in its handler.

PY_RAISE_AT_START=1: the set-up raises, so the process ends with an uncaught exception.
PY_CALL_ROLE=R: once ready, calls R's exports (add, boom, add with the wrong types,
slow with a short deadline, a method R does not have) and sends "note" messages to R by
every kind of target, printing "EVENT call NAME CODE RESULT" for each call.
"""

import os
import sys
import threading
import time

import mob


def say(line):
    print(line, flush=True)


def boom():
    raise ValueError("kaboom")


def mirror(n, x, flag, text, numbers, counts, pair, maybe):
    return (n + 1, x * 2, not flag, text.upper(), numbers[::-1],
            {k: v * 10 for k, v in counts.items()}, (pair[0] + 1, pair[1] + "!"),
            None if maybe is not None else 7)


MIRROR = ("std::tuple<std::int64_t, double, bool, std::string, std::vector<int>, "
          "std::map<std::string, int>, std::pair<int, std::string>, std::optional<int>>"
          "(std::int64_t, double, bool, std::string, std::vector<int>, "
          "std::map<std::string, int>, std::pair<int, std::string>, std::optional<int>)")


def outcome(name, run):
    try:
        say(f"EVENT call {name} ok {run()}")
    except mob.MobError as e:
        say(f"EVENT call {name} {mob.code_name(e.code)} {e.message}")


def call_cpp(w, role):
    outcome("add", lambda: w.call(role, "add", "int(int, int)", 2, 3))
    outcome("boom", lambda: w.call(role, "boom", "int()"))
    outcome("wrong_types", lambda: w.call(role, "add", "int(std::string)", "2"))
    outcome("wrong_result", lambda: w.call(role, "add", "std::string(int, int)", 2, 3))
    outcome("deadline", lambda: w.call(role, "slow", "int(int)", 1000, timeout=0.3))
    outcome("missing", lambda: w.call(role, "no_such_method", "void()"))
    cpp_pid = w.call(role, "whoami", "long()")
    cpp_id = w.call(role, "id", "std::string()")
    w.to_all().send("note", "to all")
    w.to_role(role).send("note", "to role")
    w.to_any(role).send("note", "to any")
    w.to_pid(cpp_pid).send("note", "to pid")
    w.to_id(cpp_id).send("note", "to id")
    seq = w.to_any(role).send("note", 12, type="int")
    say(f"EVENT sent wrong_type seq {seq}")
    seq = w.to_role("no_such_role").send("note", "lost")
    say(f"EVENT sent unknown_role seq {seq}")
    say("EVENT calls done")


def main(w):
    say(f"EVENT start {w.role} {w.pid} spawned={w.spawned}")
    if os.environ.get("PY_RAISE_AT_START"):
        raise LookupError("no such config")  # for the kingpin's crash report
    w.export("add", "int(int, int)", lambda a, b: a + b)
    w.export("whoami", "long()", lambda: w.pid)
    w.export("boom", "int()", boom)
    w.export("mirror", MIRROR, mirror)
    w.export("bad_result", "int()", lambda: "not an int")

    @w.export("work", "int(int)")
    def work(ms):
        say(f"EVENT sleeping {ms}")
        time.sleep(ms / 1000.0)  # allowed-sleep: stands for a long computation
        return ms

    @w.on("ping", "std::string")
    def ping(text, message):
        w.to_id(message.sender).send("pong", f"pong {text} from {message.sender_role}")

    @w.on("explode", "int")
    def explode(value, message):
        raise RuntimeError(f"cannot take {value}")

    w.on_error(lambda e: say(f"EVENT error {e.seq} {mob.code_name(e.code)} {e.message}"))
    role = os.environ.get("PY_CALL_ROLE")
    if role:
        def later():
            w.wait_until_welcomed(10)
            call_cpp(w, role)
        threading.Thread(target=later, daemon=True).start()


if __name__ == "__main__":
    sys.exit(mob.serve(main))
