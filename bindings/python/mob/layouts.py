"""The layouts of C++ values in cereal's portable binary archive: one class per kind
of type, each with its wire name, a writer and a reader. codec.py names them and
encodes and decodes whole bodies.

cereal writes no tags, no padding and no lengths except a uint64 count before each
string, vector and map (its "size tag"); numbers are little-endian after a body's
``0x01`` flag byte (big-endian after ``0x00``, which a reader honours).
"""

import struct

from .errors import MobError, errc

__all__ = ["Reader", "Type", "Int", "Float", "Bool", "String", "Char", "Void", "Vector", "Map",
           "Tuple", "Pair", "Optional"]


def _bad(text):
    return MobError(errc.bad_type, text)


class Reader:
    """Reads one cereal portable-binary body: its flag byte first, then values."""

    def __init__(self, data):
        self.data = memoryview(bytes(data))
        self.pos = 0
        if len(self.data) == 0:
            raise _bad("empty body: no byte-order flag")
        flag = self.data[0]
        if flag not in (0, 1):
            raise _bad(f"bad byte-order flag {flag}")
        self.order = "<" if flag == 1 else ">"
        self.pos = 1

    def remaining(self):
        return len(self.data) - self.pos

    def take(self, n):
        if n > self.remaining():
            raise _bad(f"body ends early: {n} bytes wanted, {self.remaining()} left")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt, size):
        return struct.unpack(self.order + fmt, self.take(size))[0]

    def count(self):
        """A cereal size tag (uint64), refused if larger than the bytes left."""
        n = self.unpack("Q", 8)
        if n > self.remaining():
            raise _bad(f"count {n} is larger than the {self.remaining()} bytes left")
        return n


class Type:
    """A C++ type: its wire name and how its values are written and read."""

    name = ""

    def write(self, out, value):
        raise NotImplementedError

    def read(self, reader):
        raise NotImplementedError

    def __eq__(self, other):
        return isinstance(other, Type) and other.name == self.name

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return f"<mob type {self.name}>"


class Int(Type):
    def __init__(self, name, fmt):
        self.name = name
        self.fmt = fmt
        self.size = struct.calcsize(fmt)
        bits = 8 * self.size
        self.low, self.high = ((-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if fmt.islower()
                               else (0, (1 << bits) - 1))

    def write(self, out, value):
        if not isinstance(value, int):
            raise _bad(f"{value!r} is not an integer ({self.name})")
        if not self.low <= value <= self.high:
            raise _bad(f"{value} does not fit in {self.name}")
        out += struct.pack("<" + self.fmt, value)

    def read(self, reader):
        return reader.unpack(self.fmt, self.size)


class Float(Type):
    def __init__(self, name, fmt):
        self.name = name
        self.fmt = fmt
        self.size = struct.calcsize(fmt)

    def write(self, out, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _bad(f"{value!r} is not a number ({self.name})")
        try:
            out += struct.pack("<" + self.fmt, value)
        except OverflowError:
            raise _bad(f"{value} does not fit in {self.name}") from None

    def read(self, reader):
        return reader.unpack(self.fmt, self.size)


class Bool(Type):
    name = "bool"

    def write(self, out, value):
        if not isinstance(value, bool):
            raise _bad(f"{value!r} is not a bool")
        out.append(1 if value else 0)

    def read(self, reader):
        b = reader.take(1)[0]
        if b not in (0, 1):
            raise _bad(f"bool byte {b} is neither 0 nor 1")
        return b == 1


class String(Type):
    """``std::string``: a uint64 byte count, then the bytes. C++ strings are bytes;
    they read as ``str`` (UTF-8, with bytes that are not UTF-8 kept as surrogates, so
    they travel back unchanged). ``bytes`` values are written as they are."""

    name = "std::string"

    def write(self, out, value):
        if isinstance(value, str):
            value = value.encode("utf-8", "surrogateescape")
        elif not isinstance(value, (bytes, bytearray, memoryview)):
            raise _bad(f"{value!r} is not a string")
        out += struct.pack("<Q", len(value))
        out += value

    def read(self, reader):
        n = reader.count()
        return bytes(reader.take(n)).decode("utf-8", "surrogateescape")


class Char(Type):
    """``char``: one byte, read as a one-character ``str``."""

    name = "char"

    def write(self, out, value):
        if isinstance(value, str) and len(value) == 1 and ord(value) < 256:
            out.append(ord(value))
        else:
            raise _bad(f"{value!r} is not one character (char)")

    def read(self, reader):
        return chr(reader.take(1)[0])


class Void(Type):
    """The result of a function that returns nothing: an empty body, no flag byte."""

    name = "void"

    def write(self, out, value):
        if value is not None:
            raise _bad(f"{value!r} returned where void was declared")

    def read(self, reader):
        return None


class Vector(Type):
    def __init__(self, element):
        self.element = element
        self.name = f"std::vector<{element.name}>"
        # cereal writes a vector of numbers (not bools) as one block of raw elements.
        self.block = element if isinstance(element, (Int, Float)) else None

    def write(self, out, value):
        if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
            raise _bad(f"{value!r} is not a sequence ({self.name})")
        items = list(value)
        out += struct.pack("<Q", len(items))
        for item in items:
            self.element.write(out, item)

    def read(self, reader):
        n = reader.count()
        if self.block is not None:
            size = n * self.block.size
            raw = reader.take(size)
            return list(struct.unpack(f"{reader.order}{n}{self.block.fmt}", raw))
        return [self.element.read(reader) for _ in range(n)]


class Map(Type):
    """``std::map<K, V>``: a count, then key and value of each entry in key order."""

    def __init__(self, key, value):
        self.key, self.value = key, value
        self.name = f"std::map<{key.name}, {value.name}>"

    def write(self, out, value):
        if not isinstance(value, dict):
            raise _bad(f"{value!r} is not a dict ({self.name})")
        items = list(value.items())
        try:
            items.sort(key=lambda kv: kv[0])  # the order a std::map keeps
        except TypeError:
            pass
        out += struct.pack("<Q", len(items))
        for k, v in items:
            self.key.write(out, k)
            self.value.write(out, v)

    def read(self, reader):
        n = reader.count()
        out = {}
        for _ in range(n):
            k = self.key.read(reader)
            out[k] = self.value.read(reader)
        return out


class Tuple(Type):
    """``std::tuple<A, B, ...>`` (a Python tuple): each element in order, no count."""

    template = "std::tuple"

    def __init__(self, *elements):
        self.elements = tuple(elements)
        self.name = f"{self.template}<{', '.join(e.name for e in self.elements)}>"

    def write(self, out, value):
        if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__len__"):
            raise _bad(f"{value!r} is not a tuple ({self.name})")
        if len(value) != len(self.elements):
            raise _bad(f"{len(value)} values given for {self.name}")
        for t, v in zip(self.elements, value):
            t.write(out, v)

    def read(self, reader):
        return tuple(t.read(reader) for t in self.elements)


class Pair(Tuple):
    """``std::pair<A, B>``: first then second, as a two-element tuple."""

    template = "std::pair"

    def __init__(self, first, second):
        super().__init__(first, second)


class Optional(Type):
    """``std::optional<T>``: a bool that is true when the value is *absent* (cereal's
    "nullopt" flag), then the value if present. ``None`` is absent."""

    def __init__(self, element):
        self.element = element
        self.name = f"std::optional<{element.name}>"

    def write(self, out, value):
        out.append(1 if value is None else 0)
        if value is not None:
            self.element.write(out, value)

    def read(self, reader):
        return None if Bool().read(reader) else self.element.read(reader)
