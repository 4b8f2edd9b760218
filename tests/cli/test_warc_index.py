"""test_warc_index.py: jaforge reads every record that npm warcio reads, on the
WARC files wget wrote from the loopback crawl of Debian documentation.
Per-record gzip and plain: `jaforge warc index` prints the same bytes as
`warcio index` (saved by make-sample-data.sh). Whole-file gzip and zstd, where
warcio's offsets mean nothing: the same records in the same order."""
import json
import os

from jftest import DATA, check, finish, require_data, run

FIELDS = "offset,length,warc-type,warc-target-uri,warc-record-id"
for name in ("sample.warc.gz", "sample.warc"):
    require_data(f"warc/{name}", f"warcio/{name}.index.jsonl")
    r = run(["warc", "index", "--fields", FIELDS, os.path.join(DATA, "warc", name)])
    want = open(os.path.join(DATA, "warcio", f"{name}.index.jsonl"), encoding="utf-8").read()
    check(r.returncode == 0 and r.stderr == "", f"{name}: exit 0, nothing on stderr ({r.stderr})")
    check(r.stdout == want, f"{name}: identical to warcio index "
          f"({len(r.stdout.splitlines())} vs {len(want.splitlines())} lines)")

for name in ("sample-whole.warc.gz", "sample.warc.zst"):
    require_data(f"warc/{name}", f"warcio/{name}.records.jsonl")
    r = run(["warc", "index", "--fields", "warc-type,warc-record-id,warc-target-uri",
             os.path.join(DATA, "warc", name)])
    ours = [json.loads(l) for l in r.stdout.splitlines()]
    theirs = [json.loads(l) for l in open(os.path.join(DATA, "warcio", f"{name}.records.jsonl"))]
    key = lambda d: (d["warc-type"], d["warc-record-id"], d.get("warc-target-uri"))
    check(r.returncode == 0, f"{name}: exit 0")
    check(len(ours) == len(theirs) and len(ours) > 600, f"{name}: {len(ours)} records, warcio {len(theirs)}")
    check([key(d) for d in ours] == [key(d) for d in theirs], f"{name}: same records in the same order")
finish()
