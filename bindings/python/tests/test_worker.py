"""The worker's duties, each checked against a fake broker (a ROUTER socket in the
test) in milliseconds: HELLO first, READY, heartbeats that go on while a function
runs, one HELLO for a burst of HELLO_AGAIN, a refusal, answers to malformed
REQUESTs and to INVOKED, STOP that lets a call finish, local deadlines, and REJECTs.
"""

import threading
import time
import unittest

import zmq

import mob
from mob import codec
from mob import protocol as p
from mob.errors import errc

HEARTBEAT_MS = 100


class FakeBroker:
    def __init__(self):
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.ROUTER)
        self.sock.setsockopt(zmq.LINGER, 0)
        port = self.sock.bind_to_random_port("tcp://127.0.0.1")
        self.endpoint = f"tcp://127.0.0.1:{port}"

    def close(self):
        self.sock.close()
        self.ctx.term()

    def next(self, timeout=5.0, skip_heartbeats=True):
        """(routing id, command, body frames) of the next message, or None."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not self.sock.poll(int(left * 1000)):
                return None
            rid, head, *body = self.sock.recv_multipart()
            c = p.cmd(head[4])
            if c != p.cmd.HEARTBEAT or not skip_heartbeats:
                return rid, c, body

    def expect(self, command, timeout=5.0):
        got = self.next(timeout)
        if got is None or got[1] != command:
            raise AssertionError(f"expected {command.name}, got {got}")
        return got[0], got[2]

    def send(self, rid, command, *body):
        self.sock.send_multipart([rid, p.header(command), *body])

    def welcome(self, rid):
        body = codec.encode(codec.Tuple(codec.String(), codec.String(), codec.parse_type("unsigned int"),
                                        codec.parse_type("unsigned int"),
                                        codec.Vector(codec.String()), codec.Bool()),
                            ("t", rid.decode(), HEARTBEAT_MS, 3, ["py"], False))
        self.send(rid, p.cmd.WELCOME, body)


class worker_duties(unittest.TestCase):
    def setUp(self):
        self.broker = FakeBroker()
        self.w = mob.Worker(self.broker.endpoint, "py", app="t", credit=2,
                            heartbeat_ms=HEARTBEAT_MS)
        self.addCleanup(self.broker.close)
        self.addCleanup(self.w.close)

    def join(self):
        """HELLO, WELCOME, READY: the worker ready at the fake broker."""
        rid, _ = self.broker.expect(p.cmd.HELLO)
        self.broker.welcome(rid)
        self.assertTrue(self.w.wait_until_welcomed(5))
        self.w.ready()
        self.broker.expect(p.cmd.READY)
        return rid

    def test_says_hello_first_with_who_it_is_then_ready_with_its_exports(self):
        rid, body = self.broker.expect(p.cmd.HELLO)
        self.assertEqual(rid.decode(), self.w.id)
        app, role, pid, host, nonce, spawned, credit, exports = codec.decode(p.HELLO_BODY, body[0])
        self.assertEqual((app, role, pid, host, nonce, spawned, credit, exports),
                         ("t", "py", self.w.pid, self.w.host, self.w.nonce, False, 2, []))
        self.assertRegex(self.w.id, rf"^py/{self.w.pid}@.+#[0-9a-f]{{16}}$")
        self.w.export("b", "int()", lambda: 1)
        self.w.export("a", "int()", lambda: 2)
        self.w.ready()
        _, body = self.broker.expect(p.cmd.READY)
        self.assertEqual(codec.decode(p.READY_BODY, body[0]), (2, ["a", "b"]))

    def test_heartbeats_go_on_while_an_exported_function_runs(self):
        started = threading.Event()

        def slow():
            started.set()
            time.sleep(0.8)  # eight heartbeat intervals of work
            return 8

        self.w.export("slow", "int()", slow)
        rid = self.join()
        self.broker.send(rid, p.cmd.REQUEST, p.call_head(77, 0, 0, "py", "slow", "std::tuple<>"),
                         b"\x01")
        beats = 0
        while True:
            got = self.broker.next(5, skip_heartbeats=False)
            self.assertIsNotNone(got)
            if got[1] == p.cmd.HEARTBEAT:
                beats += 1
                continue
            break
        self.assertTrue(started.is_set())
        self.assertEqual(got[1], p.cmd.REPLY)
        self.assertEqual(p.parse_outcome(got[2][0]), (77, errc.ok, "int"))
        self.assertEqual(codec.decode("int", got[2][1]), 8)
        self.assertGreaterEqual(beats, 5)

    def test_a_burst_of_hello_again_gets_one_hello_and_its_calls_fail_broker_lost(self):
        rid = self.join()
        future = self.w.call_async("other", "m", "int()")
        self.broker.expect(p.cmd.CALL)
        for _ in range(3):
            self.broker.send(rid, p.cmd.HELLO_AGAIN)
        self.broker.expect(p.cmd.HELLO)
        self.broker.expect(p.cmd.READY)  # it was ready: READY again after HELLO
        with self.assertRaises(mob.MobError) as caught:
            future.result(5)
        self.assertEqual(caught.exception.code, errc.broker_lost)
        self.assertIsNone(self.broker.next(0.2), "a second HELLO for the same burst")

    def test_a_refused_worker_stops_and_does_not_say_hello_again(self):
        rid, _ = self.broker.expect(p.cmd.HELLO)
        self.broker.send(rid, p.cmd.ERROR, p.u64(0), p.error_body(errc.unknown_role, "no role"))
        self.assertTrue(self.w.wait_until_stopping(5))
        self.assertEqual(self.w.refused, (errc.unknown_role, "no role"))
        self.broker.send(rid, p.cmd.HELLO_AGAIN)
        self.assertIsNone(self.broker.next(0.3))
        self.assertEqual(self.w.serve(), 2)

    def test_a_malformed_request_is_answered_bad_frame_under_its_ticket(self):
        rid = self.join()
        self.broker.send(rid, p.cmd.REQUEST, p.u64(9) + b"\x08", b"\x01")  # a bad flag bit
        _, body = self.broker.expect(p.cmd.REPLY)
        self.assertEqual(p.parse_outcome(body[0]), (9, errc.bad_frame, ""))

    def test_requests_for_no_export_or_other_types_are_refused(self):
        self.w.export("add", "int(int, int)", lambda a, b: a + b)
        rid = self.join()
        self.broker.send(rid, p.cmd.REQUEST, p.call_head(1, 0, 0, "py", "sub", "std::tuple<>"),
                         b"\x01")
        _, body = self.broker.expect(p.cmd.REPLY)
        self.assertEqual(p.parse_outcome(body[0])[:2], (1, errc.unknown_method))
        self.broker.send(rid, p.cmd.REQUEST,
                         p.call_head(2, 0, 0, "py", "add", "std::tuple<long, long>"), b"\x01")
        _, body = self.broker.expect(p.cmd.REPLY)
        self.assertEqual(p.parse_outcome(body[0])[:2], (2, errc.bad_type))
        self.assertEqual(body[1], b"py.add takes std::tuple<int, int>, not std::tuple<long, long>")
        # An empty types field skips the name check; the args must still decode.
        self.broker.send(rid, p.cmd.REQUEST, p.call_head(3, 0, 0, "py", "add", ""),
                         mob.encode("std::tuple<int, int>", (2, 3)))
        _, body = self.broker.expect(p.cmd.REPLY)
        self.assertEqual(p.parse_outcome(body[0]), (3, errc.ok, "int"))
        self.broker.send(rid, p.cmd.REQUEST, p.call_head(4, 0, 0, "py", "add", ""), b"\x01\x02")
        _, body = self.broker.expect(p.cmd.REPLY)
        self.assertEqual(p.parse_outcome(body[0])[:2], (4, errc.bad_type))

    def test_an_invoked_callback_is_rejected_as_used(self):
        rid = self.join()
        self.broker.send(rid, p.cmd.INVOKED, b"holder/1@h#1", p.u64(5), p.u64(3), b"", b"\x01")
        _, body = self.broker.expect(p.cmd.REJECT)
        self.assertEqual((body[0], p.parse_u64(body[1])), (b"holder/1@h#1", 5))
        self.assertEqual(p.parse_error_body(body[2])[0], errc.callback_used)

    def test_stop_lets_the_call_in_flight_answer_before_goodbye(self):
        self.w.export("work", "int(int)", lambda ms: time.sleep(ms / 1000) or ms)
        rid = self.join()
        self.broker.send(rid, p.cmd.REQUEST, p.call_head(4, 0, 0, "py", "work", "std::tuple<int>"),
                         mob.encode("std::tuple<int>", (300,)))
        self.broker.send(rid, p.cmd.STOP)
        code = []
        server = threading.Thread(target=lambda: code.append(self.w.serve()))
        server.start()
        _, body = self.broker.expect(p.cmd.REPLY)
        self.assertEqual(p.parse_outcome(body[0]), (4, errc.ok, "int"))
        self.broker.expect(p.cmd.GOODBYE)
        server.join(5)
        self.assertEqual(code, [0])

    def test_a_call_ends_at_its_deadline_and_checks_its_result_type(self):
        rid = self.join()
        started = time.monotonic()
        with self.assertRaises(mob.MobError) as caught:
            self.w.call("other", "m", "int()", timeout=0.2)
        self.assertEqual(caught.exception.code, errc.timeout)
        self.assertLess(time.monotonic() - started, 2)
        _, body = self.broker.expect(p.cmd.CALL)
        head = p.parse_call_head(body[0])
        self.assertEqual((head.role, head.method, head.types, head.timeout_ms),
                         ("other", "m", "std::tuple<>", 200))
        errors = []
        self.w.on_error(errors.append)
        # Its RESULT comes late: a failure is reported, a success dropped.
        self.broker.send(rid, p.cmd.RESULT, p.outcome(head.id, errc.worker_died), b"gone")
        future = self.w.call_async("other", "m", "int()")
        _, body = self.broker.expect(p.cmd.CALL)
        second = p.parse_call_head(body[0]).id
        self.broker.send(rid, p.cmd.RESULT, p.outcome(second, errc.ok, "std::string"),
                         mob.encode("std::string", "x"))
        with self.assertRaises(mob.MobError) as caught:
            future.result(5)
        self.assertEqual(caught.exception.code, errc.bad_type)
        self.assertEqual([(e.seq, e.code, e.message) for e in errors],
                         [(head.id, errc.worker_died, "gone")])

    def test_calls_fail_with_broker_lost_when_the_broker_falls_silent(self):
        # Not spawned (an external worker): its broker may be gone for good.
        self.join()
        future = self.w.call_async("other", "m", "int()", timeout=20)
        self.broker.expect(p.cmd.CALL)
        started = time.monotonic()
        with self.assertRaises(mob.MobError) as caught:
            future.result(5)  # the fake broker says nothing more: silent after 3 x 100 ms
        self.assertEqual(caught.exception.code, errc.broker_lost)
        self.assertLess(time.monotonic() - started, 2)

    def test_a_message_it_cannot_take_is_rejected_to_its_sender(self):
        got = []
        self.w.on("job", "int", lambda v, m: got.append((v, m.sender_role, m.sender_pid)))
        rid = self.join()
        self.broker.send(rid, p.cmd.DELIVER, b"cpp/42@h#1", p.u64(6), b"job", b"std::string",
                         mob.encode("std::string", "x"))
        _, body = self.broker.expect(p.cmd.REJECT)
        self.assertEqual((body[0], p.parse_u64(body[1])), (b"cpp/42@h#1", 6))
        code, text = p.parse_error_body(body[2])
        self.assertEqual(code, errc.bad_type)
        self.assertEqual(text, f"topic 'job' on {self.w.id} takes int, not std::string")
        self.broker.send(rid, p.cmd.DELIVER, b"cpp/42@h#1", p.u64(7), b"job", b"int",
                         mob.encode("int", 5))
        self.broker.send(rid, p.cmd.DELIVER, b"cpp/42@h#1", p.u64(8), b"job", b"int", b"\x01")
        _, body = self.broker.expect(p.cmd.REJECT)
        self.assertEqual(p.parse_u64(body[1]), 8)
        self.assertEqual(got, [(5, "cpp", 42)])


if __name__ == "__main__":
    unittest.main()
