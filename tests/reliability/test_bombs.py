"""test_bombs.py JAFORGE DATA_DIR: decompression bombs end an input with a
clear error, quickly, and what came before them still comes out.

- mC4-style JSON lines in bzip2: real Japanese documents, then a line of
  300 MB that bzip2 stores in a few hundred bytes;
- a zstd WARC: real records crawled by wget, then a response record whose
  300 MB body of zeros zstd stores in a few KiB (the ratio is over the whole
  file, so a bomb must outweigh what precedes it: a file can cost at most
  1000 times its size in decompression).
Each is extracted as shipped (ratio limit 1000:1) and with --max-ratio 0 (no
limit, for comparison: the huge line / record is then skipped by the size
limits after decompressing all of it)."""
import bz2
import json
import os
import subprocess

from jftest import DATA, check, finish, read_docs, require_data, run, tmpdir

require_data("tutor/tutor.ja.utf-8", "warc/sample.warc")
work = tmpdir()
BOMB = 300 << 20

# --- JSON lines in bzip2 ---------------------------------------------------
tutor = open(os.path.join(DATA, "tutor/tutor.ja.utf-8"), encoding="utf-8").read()
paras = [p.strip() for p in tutor.split("\n\n") if len(p.strip()) > 100][:12]
check(len(paras) >= 6, f"enough Japanese paragraphs in the tutor ({len(paras)})")
good = "".join(json.dumps({"text": p, "url": f"https://example.jp/{i}", "timestamp": "2024-01-01T00:00:00Z"},
                          ensure_ascii=False) + "\n" for i, p in enumerate(paras)).encode()
comp = bz2.BZ2Compressor(9)
parts = [comp.compress(good), comp.compress(b'{"text":"')]
chunk = b"a" * (1 << 20)
for _ in range(BOMB >> 20):
    parts.append(comp.compress(chunk))
parts += [comp.compress(b'"}\n' + good), comp.flush()]
bomb = os.path.join(work, "in-json", "c4-ja.bomb.json.bz2")
os.makedirs(os.path.dirname(bomb))
with open(bomb, "wb") as f:
    f.write(b"".join(parts))
size = os.path.getsize(bomb)
check(size < 20000, f"the bzip2 bomb is small ({size} bytes for {BOMB >> 20} MB)")

ctrl = os.path.join(work, "in-ctrl", "c4-ja.ctrl.json.bz2")
os.makedirs(os.path.dirname(ctrl))
with open(ctrl, "wb") as f:
    f.write(bz2.compress(good))
r = run(["extract", "-q", "--out", os.path.join(work, "out-ctrl"), ctrl])
check(r.returncode == 0, f"control: exit 0 ({r.stderr[-300:]})")
want = [d["text"] for d in read_docs(os.path.join(work, "out-ctrl/ja/c4-ja.ctrl.jsonl.zst"))]
check(len(want) >= 6, f"control: the good documents come out ({len(want)})")

r = run(["extract", "-q", "--out", os.path.join(work, "out-json"), bomb])
check("ratio limit" in r.stderr and "c4-ja.bomb.json.bz2" in r.stderr,
      f"bzip2 bomb reported with the file and the ratio limit ({r.stderr[-400:]!r})")
check(r.returncode in (0, 3), f"bzip2 bomb: ends normally, exit {r.returncode}")
got = [d["text"] for d in read_docs(os.path.join(work, "out-json/ja/c4-ja.bomb.jsonl.zst"))]
check(got == want, f"the {len(want)} documents before the bomb come out ({len(got)})")

r = run(["extract", "-q", "--max-ratio", "0", "--out", os.path.join(work, "out-json0"), bomb])
check("ratio limit" not in r.stderr and "longer than" in r.stderr,
      f"--max-ratio 0: no ratio limit; the 300 MB line is skipped by the line limit ({r.stderr[-300:]!r})")
got = [d["text"] for d in read_docs(os.path.join(work, "out-json0/ja/c4-ja.bomb.jsonl.zst"))]
check(got == want + want, f"--max-ratio 0: documents before and after the line ({len(got)})")

# --- a zstd WARC -----------------------------------------------------------
raw = open(os.path.join(DATA, "warc/sample.warc"), "rb").read()
starts = []
i = raw.find(b"WARC/1.0\r\n")
while i >= 0 and len(starts) < 10:
    starts.append(i)
    i = raw.find(b"WARC/1.0\r\n", i + 1)
head = raw[:starts[-1]]
hdr = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-00000000b0b0>\r\n"
       b"WARC-Date: 2026-01-01T00:00:00Z\r\nWARC-Target-URI: http://127.0.0.1/bomb.html\r\n"
       b"Content-Type: application/http; msgtype=response\r\nContent-Length: %d\r\n\r\n")
http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
warc = os.path.join(work, "in-warc", "bomb.warc.zst")
os.makedirs(os.path.dirname(warc))
with open(warc, "wb") as f:
    z = subprocess.Popen(["zstd", "-q", "-3", "-c"], stdin=subprocess.PIPE, stdout=f)
    z.stdin.write(head + hdr % (len(http) + BOMB) + http)
    zeros = bytes(1 << 20)
    for _ in range(BOMB >> 20):
        z.stdin.write(zeros)
    z.stdin.write(b"\r\n\r\n")
    z.stdin.close()
    check(z.wait() == 0, "zstd made the WARC")
ctrlw = os.path.join(work, "in-warc-ctrl", "bomb.warc")
os.makedirs(os.path.dirname(ctrlw))
open(ctrlw, "wb").write(head)
r = run(["extract", "-q", "--out", os.path.join(work, "out-wctrl"), ctrlw])
want = sorted(d["id"] for lang in ("ja", "en")
              for d in read_docs(os.path.join(work, f"out-wctrl/{lang}/bomb.jsonl.zst")))
check(len(want) >= 3, f"control WARC: pages come out ({len(want)})")

r = run(["extract", "-q", "--out", os.path.join(work, "out-warc"), warc])
check("ratio limit" in r.stderr and "bomb.warc.zst" in r.stderr,
      f"zstd WARC bomb reported with the file and the ratio limit ({r.stderr[-400:]!r})")
got = sorted(d["id"] for lang in ("ja", "en")
             for d in read_docs(os.path.join(work, f"out-warc/{lang}/bomb.jsonl.zst")))
check(got == want, f"the {len(want)} pages before the bomb come out ({len(got)})")
finish()
