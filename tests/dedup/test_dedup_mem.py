"""test_dedup_mem.py JAFORGE DATA_DIR: --mem bounds what dedup holds, the
per-document arrays included. A corpus of 60,000 documents made by
bench/dedup/make_corpus.py from the real sample pages (extracted at test
time from $JF_DATA_DIR):
  mem-1: with --mem 2M the run spills, reports mem_planned (the most bytes of
         buffers and arrays it held at once) <= 2 MiB, and gives outputs
         byte-identical to a --mem 256M run;
  mem-2: its peak RSS (wait4) exceeds that of a 5,000-document run at
         --mem 128K (libraries, zstd contexts, reader buffers: the fixed
         part) by at most --mem plus 512 KiB; the 60,000 documents' former
         64 bytes each (3.8 MB) would not fit there (not checked in a
         sanitizer build, JF_SANITIZED=1: it counts shadow memory and freed
         blocks held in quarantine);
  mem-3: a --mem that cannot hold the per-document arrays (9 bytes per
         document) is an error that says how much is needed."""
import json
import os
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from jftest import JAFORGE, check, extract_sample, finish, tmpdir

work = tmpdir()
ext = extract_sample(work)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
MAKE = os.path.join(ROOT, "bench", "dedup", "make_corpus.py")
SRC = [os.path.join(ext, "ja", "sample.jsonl.zst"), os.path.join(ext, "en", "sample.jsonl.zst")]
big, small = os.path.join(work, "big"), os.path.join(work, "small")
subprocess.run([sys.executable, MAKE, big, "60000", "2"] + SRC, check=True, capture_output=True)
subprocess.run([sys.executable, MAKE, small, "5000", "1"] + SRC, check=True, capture_output=True)
OPTS = ["--bands", "14", "--rows", "8"]
MiB = 1 << 20


def dedup(out, mem, inp):
    """Runs dedup; returns (exit code, stderr, peak RSS in bytes, statistics)."""
    p = subprocess.Popen([JAFORGE, "dedup", "-q", "--mem", mem, "--out", out] + OPTS + [inp],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read().decode()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    st = {}
    if p.returncode == 0:
        db = sqlite3.connect(os.path.join(out, "jaforge.db"))
        st = json.loads(db.execute("select stats from tasks where stage='dedup'").fetchone()[0])
        db.close()
    return p.returncode, err, ru.ru_maxrss * 1024, st


rc, err, _, ref = dedup(os.path.join(work, "ref"), "256M", big)
check(rc == 0 and ref["docs_in"] == 60000, f"reference run at --mem 256M ({err[-200:]})")
rc, err, base_rss, _ = dedup(os.path.join(work, "base"), "128K", small)
check(rc == 0, f"5,000-document run at --mem 128K ({err[-200:]})")
rc, err, rss, st = dedup(os.path.join(work, "m2"), "2M", big)
check(rc == 0, f"mem-1.1: --mem 2M exit 0 ({err[-200:]})")
print(f"mem: 60,000 docs at --mem 2M: planned {st.get('mem_planned')} B, peak RSS {rss} B; "
      f"5,000 docs at --mem 128K: peak RSS {base_rss} B; {st.get('runs_spilled')} runs")
check(0 < st.get("mem_planned", 0) <= 2 * MiB, f"mem-1.2: mem_planned {st.get('mem_planned')} <= 2 MiB")
check(st.get("runs_spilled", 0) >= 2, f"mem-1.3: spilled ({st.get('runs_spilled')} runs)")
same = all(open(os.path.join(work, "ref", n), "rb").read() == open(os.path.join(work, "m2", n), "rb").read()
           for n in ("part-0.jsonl.zst", "part-1.jsonl.zst", "duplicates.tsv"))
check(same and st.get("removed_near") == ref["removed_near"], "mem-1.4: outputs identical to --mem 256M")
if os.environ.get("JF_SANITIZED") == "1":
    print("mem-2: peak RSS not checked in a sanitizer build")
else:
    check(rss <= base_rss + 2 * MiB + MiB // 2,
          f"mem-2: peak RSS {rss} <= fixed part {base_rss} + --mem 2 MiB + 512 KiB")
rc, err, _, _ = dedup(os.path.join(work, "m64k"), "64K", big)
check(rc == 1 and "too small for 60000 documents" in err, f"mem-3: --mem 64K refused ({err[-200:]})")
finish()
