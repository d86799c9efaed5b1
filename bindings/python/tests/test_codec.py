"""The Python codec against the C++ encoder: every case below is encoded by
test/python/codec_golden.cpp with mob::encode and the real protocol builders, and must
come out of the Python side byte for byte, with the same type name, and decode back.

Run by ctest (test/python/CMakeLists.txt) with MOB_CODEC_GOLDEN set to the helper.
"""

import os
import subprocess
import unittest

import mob
from mob import codec
from mob import protocol as p
from mob.errors import MobError, errc

# name -> (C++ type as Python spells it, value): the same values as codec_golden.cpp.
CASES = {
    "int8": ("std::int8_t", -5),
    "uint8": ("std::uint8_t", 200),
    "int16": ("std::int16_t", -300),
    "uint16": ("std::uint16_t", 60000),
    "int32": ("std::int32_t", -42),
    "uint32": ("std::uint32_t", 4000000000),
    "int64": ("std::int64_t", -1234567890123),
    "uint64": ("std::uint64_t", 2**64 - 1),
    "long_long": ("long long", 7),
    "unsigned_long_long": ("unsigned long long", 8),
    "char": ("char", "A"),
    "float": ("float", 1.5),
    "double": ("double", -2.25),
    "double_pi": ("double", 3.141592653589793),
    "bool_true": ("bool", True),
    "bool_false": ("bool", False),
    "string": ("std::string", "h\u00e9llo"),
    "string_empty": ("std::string", ""),
    "vector_int": ("std::vector<int>", [1, 2, 3]),
    "vector_int_empty": ("std::vector<int>", []),
    "vector_double": ("std::vector<double>", [0.5, -1.0]),
    "vector_bool": ("std::vector<bool>", [True, False, True]),
    "vector_string": ("std::vector<std::string>", ["a", "bc"]),
    "vector_vector_int": ("std::vector<std::vector<int>>", [[1], [2, 3]]),
    "map_string_int": ("std::map<std::string, int>", {"a": 1, "b": 2}),
    "map_int_vector_string": ("std::map<int, std::vector<std::string>>", {3: ["x"], 1: []}),
    "tuple_int_string_double": ("std::tuple<int, std::string, double>", (7, "seven", 7.5)),
    "tuple_empty": ("std::tuple<>", ()),
    "pair_int_string": ("std::pair<int, std::string>", (1, "one")),
    "optional_int": ("std::optional<int>", 5),
    "optional_int_empty": ("std::optional<int>", None),
    "add_args": ("std::tuple<int, int>", (1, 2)),
    "nested": ("std::tuple<std::int64_t, std::vector<std::pair<std::string, double>>, bool>",
               (-1, [("x", 0.25)], True)),
}


def golden():
    """{name: (type name, bytes)} as the C++ helper prints them."""
    helper = os.environ.get("MOB_CODEC_GOLDEN")
    if not helper:
        raise unittest.SkipTest("MOB_CODEC_GOLDEN is not set (ctest sets it)")
    out = subprocess.run([helper], check=True, capture_output=True, text=True).stdout
    table = {}
    for line in out.splitlines():
        name, type_name, hex_bytes = line.split("\t")
        table[name] = (type_name, bytes.fromhex(hex_bytes))
    return table


class codec_matches_the_cpp_encoder(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.golden = golden()

    def test_every_case_is_printed_by_the_helper(self):
        for name in CASES:
            self.assertIn(name, self.golden)

    def test_type_names_are_the_ones_cpp_puts_on_the_wire(self):
        for name, (spec, _) in CASES.items():
            with self.subTest(name):
                self.assertEqual(mob.parse_type(spec).name, self.golden[name][0])

    def test_values_encode_to_the_cpp_bytes(self):
        for name, (spec, value) in CASES.items():
            with self.subTest(name):
                self.assertEqual(mob.encode(spec, value).hex(), self.golden[name][1].hex())

    def test_cpp_bytes_decode_to_the_values(self):
        for name, (spec, value) in CASES.items():
            with self.subTest(name):
                self.assertEqual(mob.decode(spec, self.golden[name][1]), value)

    def test_protocol_bodies_are_built_as_cpp_builds_them(self):
        self.assertEqual(p.hello_body("myapp", "back", 4242, "box", 0x0123456789ABCDEF, True, 1),
                         self.golden["hello_body"][1])
        self.assertEqual(p.ready_body(1, ["add"]), self.golden["ready_body"][1])
        self.assertEqual(p.error_body(errc.unknown_role, "no role"),
                         self.golden["error_body"][1])
        self.assertEqual(p.parse_error_body(self.golden["error_body"][1]),
                         (errc.unknown_role, "no role"))

    def test_welcome_bodies_decode_with_and_without_a_crash_report(self):
        w = p.parse_welcome(self.golden["welcome_body"][1])
        self.assertEqual((w["app"], w["worker_id"], w["heartbeat_ms"], w["liveness"],
                          w["roles"], w["last_error"]),
                         ("loopapp", "back/1@raw#0000000000000001", 1000, 3, ["back"], None))
        w = p.parse_welcome(self.golden["welcome_body_crash"][1])
        self.assertEqual(w["roles"], ["back", "front"])
        self.assertEqual(w["last_error"]["role"], "back")
        self.assertEqual(w["last_error"]["pid"], 41)
        self.assertEqual(w["last_error"]["exit_code"], 1)
        self.assertEqual(w["last_error"]["signal"], 0)
        self.assertEqual(w["last_error"]["exception_type"], "std::runtime_error")
        self.assertEqual(w["last_error"]["exception_what"], "disk full")
        self.assertEqual(w["last_error"]["exception_where"], "the role function")
        self.assertEqual(w["last_error"]["time"], 1700000000)
        # A broker from before the crash-report fields ends the body after roles.
        old = self.golden["welcome_body"][1][:-1]
        self.assertIsNone(p.parse_welcome(old)["last_error"])

    def test_scale_result_decodes(self):
        self.assertEqual(mob.decode(p.SCALE_RESULT, self.golden["scale_result"][1]),
                         ("back", 1, 8, 2, 3, False))

    def test_call_heads_and_outcomes_are_laid_out_as_cpp_lays_them_out(self):
        self.assertEqual(p.call_head(7, 0, 30000, "back", "add", "std::tuple<int, int>"),
                         self.golden["call_head"][1])
        h = p.parse_call_head(self.golden["call_head"][1])
        self.assertEqual((h.id, h.flags, h.timeout_ms, h.role, h.method, h.types),
                         (7, 0, 30000, "back", "add", "std::tuple<int, int>"))
        self.assertEqual(p.outcome(7, errc.ok, "int"), self.golden["outcome"][1])
        self.assertEqual(p.outcome(1, errc.unknown_method), self.golden["outcome_failed"][1])
        self.assertEqual(p.parse_outcome(self.golden["outcome"][1]), (7, 0, "int"))


class decoding_is_strict(unittest.TestCase):
    def assert_bad_type(self, spec, data):
        with self.assertRaises(MobError) as caught:
            mob.decode(spec, data)
        self.assertEqual(caught.exception.code, errc.bad_type)

    def test_trailing_bytes_are_refused(self):
        self.assert_bad_type("int", b"\x01\x2a\x00\x00\x00\x00")

    def test_a_short_body_is_refused(self):
        self.assert_bad_type("int", b"\x01\x2a\x00")
        self.assert_bad_type("int", b"")

    def test_a_bool_byte_other_than_0_or_1_is_refused(self):
        self.assert_bad_type("bool", b"\x01\x02")

    def test_a_bad_flag_byte_is_refused(self):
        self.assert_bad_type("int", b"\x02\x2a\x00\x00\x00")

    def test_a_count_larger_than_the_body_is_refused_before_allocating(self):
        self.assert_bad_type("std::string", b"\x01" + (2**63).to_bytes(8, "little"))
        self.assert_bad_type("std::vector<std::string>", b"\x01" + (10**12).to_bytes(8, "little"))
        self.assert_bad_type("std::vector<long>", b"\x01" + (3).to_bytes(8, "little") + b"\0" * 8)

    def test_a_big_endian_body_is_read_by_its_flag(self):
        self.assertEqual(mob.decode("int", b"\x00\x00\x00\x00\x2a"), 42)
        self.assertEqual(mob.decode("std::vector<short>", b"\x00" + (2).to_bytes(8, "big")
                                    + b"\x00\x01\x00\x02"), [1, 2])

    def test_void_is_an_empty_body(self):
        self.assertEqual(mob.encode("void", None), b"")
        self.assertIsNone(mob.decode("void", b""))
        self.assert_bad_type("void", b"\x01")


class encoding_refuses_what_has_no_cpp_type(unittest.TestCase):
    def assert_bad_type(self, fn):
        with self.assertRaises(MobError) as caught:
            fn()
        self.assertEqual(caught.exception.code, errc.bad_type)

    def test_unknown_type_names(self):
        self.assert_bad_type(lambda: mob.parse_type("mob::callback<void (int)>"))
        self.assert_bad_type(lambda: mob.parse_type("std::set<int>"))
        self.assert_bad_type(lambda: mob.parse_type("std::vector<int"))

    def test_values_that_do_not_fit(self):
        self.assert_bad_type(lambda: mob.encode("signed char", 128))
        self.assert_bad_type(lambda: mob.encode("unsigned int", -1))
        self.assert_bad_type(lambda: mob.encode("int", "3"))
        self.assert_bad_type(lambda: mob.encode("bool", 1))
        self.assert_bad_type(lambda: mob.encode("std::tuple<int, int>", (1,)))
        self.assert_bad_type(lambda: mob.encode("std::vector<int>", "abc"))

    def test_values_whose_type_cannot_be_told(self):
        self.assert_bad_type(lambda: mob.infer_type(object()))
        self.assert_bad_type(lambda: mob.infer_type([]))

    def test_inferred_types(self):
        self.assertEqual(mob.infer_type(3).name, "int")
        self.assertEqual(mob.infer_type(2.5).name, "double")
        self.assertEqual(mob.infer_type("x").name, "std::string")
        self.assertEqual(mob.infer_type({"a": [1.0]}).name,
                         "std::map<std::string, std::vector<double>>")
        self.assertEqual(mob.infer_type((1, "a")).name, "std::tuple<int, std::string>")


class signatures(unittest.TestCase):
    def test_a_signature_gives_the_result_and_argument_types(self):
        result, args = mob.parse_signature("int(int, std::map<std::string, int>)")
        self.assertEqual(result.name, "int")
        self.assertEqual([a.name for a in args], ["int", "std::map<std::string, int>"])
        self.assertEqual(codec.Tuple(*args).name, "std::tuple<int, std::map<std::string, int>>")

    def test_no_arguments_is_an_empty_tuple(self):
        for spec in ("void()", "void(void)"):
            result, args = mob.parse_signature(spec)
            self.assertEqual((result.name, codec.Tuple(*args).name), ("void", "std::tuple<>"))


if __name__ == "__main__":
    unittest.main()
