"""docs/protocol.md's byte examples are what the C++ encoder writes.

An example marked ``<!-- checked: NAME -->`` just before its code block is read from
the document (a ``hexdump -C`` listing, or an annotated body: hex bytes and quoted
texts at the start of each line, a comment after them) and compared byte for byte
with case NAME of test/python/codec_golden.cpp, which the real C++ code encodes. So
a reader who trusts the examples trusts the code.
"""

import pathlib
import re
import unittest

from test_codec import golden

DOC = pathlib.Path(__file__).resolve().parents[3] / "docs" / "protocol.md"
MARKER = re.compile(r"^<!-- checked: (\w+) -->$")
HEXDUMP = re.compile(r"^[0-9a-f]{8}(\s|$)")


def line_bytes(line):
    """The bytes a line of an example shows."""
    if HEXDUMP.match(line):
        return bytes.fromhex(line[8:].split("|")[0])
    out = bytearray()
    rest = line.lstrip()
    while rest:
        if rest.startswith('"'):
            end = rest.index('"', 1)
            out += rest[1:end].encode()
            rest = rest[end + 1:].lstrip()
        elif re.match(r"[0-9a-f]{2}(\s|$)", rest):
            out.append(int(rest[:2], 16))
            rest = rest[2:].lstrip()
        else:
            break  # the comment
    return bytes(out)


def examples():
    """{name: bytes} of every checked example of the document."""
    found = {}
    lines = DOC.read_text().splitlines()
    for i, line in enumerate(lines):
        marker = MARKER.match(line)
        if not marker:
            continue
        if not lines[i + 1].startswith("```"):
            raise AssertionError(f"protocol.md:{i + 1}: the marker is not before a code block")
        data = bytearray()
        for body in lines[i + 2:]:
            if body.startswith("```"):
                break
            data += line_bytes(body)
        found[marker.group(1)] = bytes(data)
    return found


class protocol_md_examples(unittest.TestCase):
    def test_every_checked_example_is_what_cpp_encodes(self):
        table = golden()
        found = examples()
        self.assertGreaterEqual(len(found), 9, "checked examples went missing")
        for name, data in found.items():
            with self.subTest(name):
                self.assertIn(name, table, f"no case {name} in codec_golden.cpp")
                self.assertEqual(data.hex(" "), table[name][1].hex(" "))


if __name__ == "__main__":
    unittest.main()
