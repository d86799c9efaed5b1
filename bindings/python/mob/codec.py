"""Values in cereal's portable binary layout, as the C++ side of mob encodes them.

A payload, a call's arguments and a call's result are each one cereal body: one flag
byte (``0x01``: the numbers that follow are little-endian), then the value with no tags
and no padding (docs/protocol.md, "Payload types"). Every value travels beside its type
*name*, the C++ type as GCC prints it after mob's rewriting (``int``, ``long`` for
``std::int64_t``, ``std::vector<int>``, ``std::map<std::string, int>``), and a receiver
compares names before it decodes. So a type here is a name plus an encoder and a
decoder::

    t = parse_type("std::map<std::string, std::vector<int>>")
    data = encode(t, {"a": [1, 2]})
    assert decode(t, data) == {"a": [1, 2]}

Decoding is strict, as in C++: the body must be consumed whole, a bool byte must be 0
or 1, and a count larger than the bytes left is refused before anything is built.
Anything else (a type this module has no encoding for, a value that does not fit)
raises :class:`~mob.errors.MobError` with code ``bad_type``.
"""

import struct

from .errors import MobError, errc

__all__ = [
    "Type", "Int", "Float", "Bool", "String", "Char", "Void", "Vector", "Map", "Tuple",
    "Pair", "Optional", "parse_type", "parse_signature", "infer_type", "encode", "decode",
    "Reader",
]


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


# The scalar names as mob's C++ side spells them on x86-64/arm64 Linux (GCC, LP64), and
# the <cstdint> names that are the same types there.
_SCALARS = {
    "signed char": Int("signed char", "b"),
    "unsigned char": Int("unsigned char", "B"),
    "short": Int("short", "h"),
    "unsigned short": Int("unsigned short", "H"),
    "int": Int("int", "i"),
    "unsigned int": Int("unsigned int", "I"),
    "long": Int("long", "q"),
    "unsigned long": Int("unsigned long", "Q"),
    "long long": Int("long long", "q"),
    "unsigned long long": Int("unsigned long long", "Q"),
    "float": Float("float", "f"),
    "double": Float("double", "d"),
    "bool": Bool(),
    "char": Char(),
    "std::string": String(),
    "void": Void(),
}
_ALIASES = {
    "std::int8_t": "signed char", "int8_t": "signed char",
    "std::uint8_t": "unsigned char", "uint8_t": "unsigned char",
    "std::int16_t": "short", "int16_t": "short", "short int": "short",
    "std::uint16_t": "unsigned short", "uint16_t": "unsigned short",
    "std::int32_t": "int", "int32_t": "int", "signed int": "int", "signed": "int",
    "std::uint32_t": "unsigned int", "uint32_t": "unsigned int", "unsigned": "unsigned int",
    "std::int64_t": "long", "int64_t": "long", "long int": "long",
    "std::uint64_t": "unsigned long", "uint64_t": "unsigned long",
    "std::size_t": "unsigned long", "size_t": "unsigned long",
    "unsigned long int": "unsigned long",
    "std::basic_string<char>": "std::string",
}


def _split_args(text, full):
    """The top-level comma-separated parts of `text` (inside one <...> or (...))."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c in "<(":
            depth += 1
        elif c in ">)":
            depth -= 1
            if depth < 0:
                raise _bad(f"unbalanced brackets in '{full}'")
        elif c == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    if depth != 0:
        raise _bad(f"unbalanced brackets in '{full}'")
    last = text[start:].strip()
    if parts or last:
        parts.append(last)
    return parts


_TEMPLATES = {
    "std::vector": (1, lambda a: Vector(*a)),
    "std::map": (2, lambda a: Map(*a)),
    "std::pair": (2, lambda a: Pair(*a)),
    "std::optional": (1, lambda a: Optional(*a)),
}


def parse_type(spec):
    """The type of a C++ type name: ``"int"``, ``"std::int64_t"`` (same as ``"long"``),
    ``"std::vector<std::string>"``, ``"std::tuple<int, double>"``. A :class:`Type`
    is returned as it is. Raises MobError(bad_type) for a type with no encoding here."""
    if isinstance(spec, Type):
        return spec
    if not isinstance(spec, str):
        raise _bad(f"{spec!r} is not a type name")
    name = " ".join(spec.split())
    name = _ALIASES.get(name, name)
    if name in _SCALARS:
        return _SCALARS[name]
    lt = name.find("<")
    if lt > 0 and name.endswith(">"):
        template = name[:lt].strip()
        args = [parse_type(a) for a in _split_args(name[lt + 1:-1], spec)]
        if template == "std::tuple":
            return Tuple(*args)
        if template in _TEMPLATES:
            arity, make = _TEMPLATES[template]
            if len(args) == arity:
                return make(args)
    raise _bad(f"the Python binding has no encoding for the C++ type '{spec}'")


def parse_signature(spec):
    """``"int(int, int)"`` -> (result type, [argument types]); a (result, args) pair of
    names or types is taken as well."""
    if isinstance(spec, str):
        text = spec.strip()
        open_at = text.find("(")
        if open_at <= 0 or not text.endswith(")"):
            raise _bad(f"'{spec}' is not a signature like 'int(int, int)'")
        result = parse_type(text[:open_at])
        args = [parse_type(a) for a in _split_args(text[open_at + 1:-1], spec)]
        if len(args) == 1 and args[0].name == "void":
            args = []
        return result, args
    result, args = spec
    return parse_type(result), [parse_type(a) for a in args]


def infer_type(value):
    """A type for a Python value when none is given: bool, int (C++ ``int``),
    float (``double``), str (``std::string``), and lists, dicts and tuples of those.
    Give the type explicitly for anything else, or when the receiver wants another
    width (``long``, ``unsigned int``, ...)."""
    if isinstance(value, bool):
        return _SCALARS["bool"]
    if isinstance(value, int):
        return _SCALARS["int"]
    if isinstance(value, float):
        return _SCALARS["double"]
    if isinstance(value, str):
        return _SCALARS["std::string"]
    if isinstance(value, list) and value:
        return Vector(infer_type(value[0]))
    if isinstance(value, dict) and value:
        k, v = next(iter(value.items()))
        return Map(infer_type(k), infer_type(v))
    if isinstance(value, tuple):
        return Tuple(*(infer_type(v) for v in value))
    raise _bad(f"cannot tell the C++ type of {value!r}: give it")


def encode(type_, value):
    """The body of `value` as `type_` (a Type or a C++ type name): flag byte, then the
    value. A ``void`` body is empty."""
    t = parse_type(type_)
    if isinstance(t, Void):
        t.write(bytearray(), value)
        return b""
    out = bytearray(b"\x01")
    t.write(out, value)
    return bytes(out)


def decode(type_, data):
    """The value of a body of `type_`; raises MobError(bad_type) if it does not decode
    or leaves bytes over."""
    t = parse_type(type_)
    if isinstance(t, Void):
        if len(data) != 0:
            raise _bad(f"{len(data)} bytes where void was expected")
        return None
    reader = Reader(data)
    try:
        value = t.read(reader)
    except struct.error as e:
        raise _bad(f"body does not decode as {t.name}: {e}") from None
    except MobError as e:
        raise _bad(f"body does not decode as {t.name}: {e.message}") from None
    if reader.remaining() != 0:
        raise _bad(f"body does not decode as {t.name}: {reader.remaining()} bytes left over")
    return value
