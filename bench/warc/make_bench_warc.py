#!/usr/bin/env python3
"""make_bench_warc.py SRC.warc.gz OUT.warc.gz COPIES

Writes COPIES copies of every record of a per-record gzip WARC (as wget
writes it) into OUT, each copy with fresh WARC-Record-IDs, one gzip member per
record like Common Crawl. The warcinfo record is written once. Used to make the
~50 MB benchmark file from a loopback wget crawl (see README.md)."""
import gzip
import re
import sys
import uuid
import zlib


def records(path):
    data = gzip.open(path, "rb").read()
    pos = 0
    while pos < len(data):
        he = data.index(b"\r\n\r\n", pos) + 4
        m = re.search(rb"(?im)^Content-Length:\s*(\d+)", data[pos:he])
        end = he + int(m.group(1)) + 4
        yield data[pos:end]
        pos = end


def main():
    src, out, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
    recs = list(records(src))
    with open(out, "wb") as f:
        for i in range(copies):
            for rec in recs:
                if i and b"WARC-Type: warcinfo" in rec[:400]:
                    continue
                head, sep, rest = rec.partition(b"\r\n\r\n")
                # same length ids, so Content-Length stays right
                head = re.sub(rb"<urn:uuid:[0-9a-fA-F-]{36}>",
                              lambda _m: b"<urn:uuid:" + str(uuid.uuid4()).encode() + b">", head)
                c = zlib.compressobj(6, zlib.DEFLATED, 31)
                f.write(c.compress(head + sep + rest) + c.flush())


main()
