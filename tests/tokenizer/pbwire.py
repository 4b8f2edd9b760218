"""pbwire.py: just enough of the protobuf wire format for tests to read the
fields of a SentencePiece model file, and to append pieces to one (Debian has
no Python protobuf module with SentencePiece's schema). Trusts its input."""
import struct


def varint(b, i):
    """The varint at b[i]: (value, index after it)."""
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return v, i


def typed_fields(b, lo=0, hi=None):
    """(number, wire type, start, end) of each field of the message b[lo:hi];
    start..end is the value's bytes (a length-delimited one without its length)."""
    i, hi = lo, len(b) if hi is None else hi
    while i < hi:
        key, i = varint(b, i)
        f, w = key >> 3, key & 7
        if w == 0:
            _, j = varint(b, i)
        elif w == 1:
            j = i + 8
        elif w == 5:
            j = i + 4
        else:
            n, i = varint(b, i)
            j = i + n
        yield f, w, i, j
        i = j


def fields(b, lo=0, hi=None):
    """(number, start, end) of each field of b[lo:hi]."""
    for f, _, i, j in typed_fields(b, lo, hi):
        yield f, i, j


def message(b):
    """{number: [value]} of a message: ints for varints, bytes for the others."""
    out = {}
    for f, w, i, j in typed_fields(b):
        out.setdefault(f, []).append(varint(b, i)[0] if w == 0 else b[i:j])
    return out


def encode_varint(n):
    out = b""
    while True:
        out += bytes([(n & 0x7F) | (0x80 if n > 0x7F else 0)])
        n >>= 7
        if not n:
            return out


def piece(text, score, typ=None):
    """One ModelProto.pieces entry (field 1): piece 1, score 2, type 3 when given."""
    t = text.encode()
    msg = b"\x0a" + encode_varint(len(t)) + t + b"\x15" + struct.pack("<f", score)
    if typ is not None:
        msg += b"\x18" + encode_varint(typ)
    return b"\x0a" + encode_varint(len(msg)) + msg
