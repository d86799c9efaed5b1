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
from .layouts import (Bool, Char, Float, Int, Map, Optional, Pair, Reader, String, Tuple,
                      Type, Vector, Void)

__all__ = [
    "Type", "Int", "Float", "Bool", "String", "Char", "Void", "Vector", "Map", "Tuple",
    "Pair", "Optional", "Reader", "parse_type", "parse_signature", "infer_type", "encode",
    "decode",
]


def _bad(text):
    return MobError(errc.bad_type, text)


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
