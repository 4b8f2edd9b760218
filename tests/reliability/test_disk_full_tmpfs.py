"""test_disk_full_tmpfs.py: a real full disk. In a private mount namespace
(unshare -m: the mounts vanish with the process) a size-limited tmpfs is
mounted where the outputs go, so writes fail with ENOSPC, at fill points
measured from the outputs of a run on the normal disk so that the disk fills
in each stage in turn: `jaforge extract` alone, then the whole demo recipe
(extract, filter, dedup, tokenizer, shards, blend, training checkpoints).
Each failing run must exit non-zero with an error naming the file and "No
space left on device", leave every run database intact, and leave no
incomplete file under an output's final name (every output a database lists
as done is byte-identical to the normal run's); once the tmpfs is remounted
larger (space freed) the same command completes with the normal run's bytes.
Exits 77 (skipped) where unshare -m or a tmpfs mount is not permitted;
test_disk_full.py (RLIMIT_FSIZE) covers those machines."""
import filecmp
import json
import os
import re
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cli"))
from jftest import (DATA, DEMO_OUTPUTS, DEMO_RECIPE, DEMO_SETS, JAFORGE, check, finish,  # noqa: E402
                    require_data, run, tmp_files, tmpdir, train_log)
from tmpfs_ns import PAGE, db_state, enter_namespace, mount, pages, remount, umount  # noqa: E402


def footprint(root, rel_files):
    """Bytes the files take on a tmpfs (whole pages)."""
    return sum(pages(os.path.getsize(os.path.join(root, f))) for f in rel_files)


def files_under(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


def mmidx_consistent(prefix):
    """The .idx of a Megatron dataset agrees with its .bin (magic, counts,
    pointers, the .bin size)."""
    try:
        idx = open(prefix + ".idx", "rb").read()
        binsize = os.path.getsize(prefix + ".bin")
    except OSError:
        return False
    if len(idx) < 34 or idx[:9] != b"MMIDIDX\0\0":
        return False
    item = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 8, 7: 4, 8: 2}.get(idx[17], 0)
    s, d = struct.unpack_from("<QQ", idx, 18)
    if not item or len(idx) != 34 + 4 * s + 8 * s + 8 * d:
        return False
    sizes = struct.unpack_from(f"<{s}i", idx, 34)
    ptrs = struct.unpack_from(f"<{s}q", idx, 34 + 4 * s)
    at = 0
    for n, p in zip(sizes, ptrs):
        if p != at:
            return False
        at += n * item
    return at == binsize


def valid(path):
    """A final-named output checks as complete in its own format."""
    if path.endswith(".zst"):
        return subprocess.run(["zstd", "-tq", path], capture_output=True).returncode == 0
    if path.endswith((".idx", ".bin")) and os.path.basename(path)[:-4] in ("ja", "en"):
        return mmidx_consistent(path[:-4])
    if path.endswith(".json"):
        try:
            json.load(open(path, encoding="utf-8"))
            return True
        except ValueError:
            return False
    return True


def databases(root):
    return [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f == "jaforge.db"]


# Files that are no output: logs, step keys, databases, work files, and the
# training log and chart (timings, rewritten as training goes).
NOT_OUTPUT = re.compile(r"(^|/)(jaforge\.db[^/]*|logs/.*|\.steps/.*|tmp/.*|train/(log\.csv|loss\.svg)|.*\.tmp)$")
# Files replaced as a stage goes on: complete, but not yet the last version.
PROGRESS = ("train/state.json",)

def after_failure(what, p, mnt, ref, scratch, step_done=None):
    """Checks a run that ran out of space: exit status, message, databases,
    and that every file under an output's final name is complete."""
    check(p.returncode != 0, f"{what}: exits non-zero on a full disk ({p.returncode})")
    check(p.returncode < 128, f"{what}: no crash ({p.returncode})")
    m = [x for x in p.stderr.splitlines() if "No space left on device" in x]
    named = [x for x in m if re.search(r"jaforge: " + re.escape(mnt) + r"/\S+", x)]
    check(named, f"{what}: an error naming the file and 'No space left on device' "
                 f"({p.stderr.strip().splitlines()[-3:]})")
    for db in databases(mnt):
        ok, done = db_state(db, scratch)
        check(ok == "ok", f"{what}: {os.path.relpath(db, mnt)} opens and passes integrity_check ({ok})")
        for inp, outs in done:
            for o in outs:
                rel = os.path.relpath(o, mnt)
                check(os.path.exists(o) and filecmp.cmp(o, os.path.join(ref, rel), shallow=False),
                      f"{what}: {rel}, listed done in {os.path.relpath(db, mnt)}, is complete")
            if step_done is not None and inp.endswith(".args"):
                step_done.append(os.path.basename(inp)[:-5])
    for rel in files_under(mnt):
        if NOT_OUTPUT.search(rel):
            continue
        f = os.path.join(mnt, rel)
        same = os.path.exists(os.path.join(ref, rel)) and (
            rel in PROGRESS or filecmp.cmp(f, os.path.join(ref, rel), shallow=False))
        check(same and valid(f), f"{what}: {rel} exists under its final name, so it must be complete")
    return named[0] if named else ""


def space_used(path):
    s = os.statvfs(path)
    return (s.f_blocks - s.f_bfree) * s.f_frsize


def measure(args, mnt):
    """Runs jaforge args with its outputs on the (large) tmpfs at mnt,
    sampling the space used every millisecond. @return the exit status,
    standard error and, per step of `jaforge run` in order, (name, space used
    when it started, most space used while it ran)."""
    steps = [["start", space_used(mnt), space_used(mnt)]]
    p = subprocess.Popen([JAFORGE] + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stop = threading.Event()

    def poll():
        while not stop.is_set():
            s = steps[-1]
            s[2] = max(s[2], space_used(mnt))
            time.sleep(0.001)
    th = threading.Thread(target=poll)
    th.start()
    err = []
    for line in p.stderr:
        err.append(line)
        m = re.search(r"jaforge: run: \[\d+/\d+\] (\S+)", line)
        if m:
            u = space_used(mnt)
            steps[-1][2] = max(steps[-1][2], u)
            steps.append([m.group(1), u, u])
    p.wait()
    stop.set()
    th.join()
    steps[-1][2] = max(steps[-1][2], space_used(mnt))
    return p.returncode, "".join(err), steps


def fill_points(steps, ref):
    """Tmpfs sizes at which the disk fills in each step: halfway between the
    most space any earlier step used and the most this one used (extract: a
    third and two thirds of the way); in training,
    halfway through the first checkpoint, its optimizer state and the last
    checkpoint (from their sizes, as training only adds files)."""
    points, lo = [], 0
    for name, start, peak in steps:
        if name == "train":
            at = start + 2 * PAGE       # log.csv, loss.svg
            for f in ["ckpt-4.bin", "optim-4.bin", "state.json", "ckpt-8.bin", "optim-8.bin", "ckpt-12.bin"]:
                n = footprint(ref, ["train/" + f])
                if f in ("ckpt-4.bin", "optim-4.bin", "ckpt-12.bin") and at + n // 2 > lo:
                    points.append((name, at + n // 2))
                at += n
        elif name != "start" and peak > lo + 8 * PAGE:   # else no room to aim (the blend plan: 2 KB)
            # extract (with --filter) writes four document streams: two points
            for k in ((1, 3), (2, 3)) if name == "extract" else ((1, 2),):
                points.append((name, lo + (peak - lo) * k[0] // k[1]))
        lo = max(lo, peak)
    return points


def main():
    enter_namespace()
    require_data("warc/sample.warc.gz")
    work = tmpdir()
    scratch = os.path.join(work, "scratch")
    mnt = os.path.join(work, "out")        # the tmpfs; the normal run used the same path
    inp = os.path.join(DATA, "warc/sample.warc.gz")

    # ---- 1. jaforge extract alone ----
    args = ["extract", "-q", "--out", mnt, inp]
    r = run(args)
    check(r.returncode == 0, f"extract on the normal disk ({r.stderr[-300:]})")
    ref = os.path.join(work, "ref-extract")
    os.rename(mnt, ref)
    outs = [f for f in files_under(ref) if not NOT_OUTPUT.search(f)]
    total = footprint(ref, outs)
    # The run database alone (a few pages), then half of the documents.
    for size in (3 * PAGE, total // 2):
        what = f"extract, tmpfs of {size // 1024} KiB"
        mount(mnt, size)
        try:
            p = run(args)
            msg = after_failure(what, p, mnt, ref, scratch)
            print(f"{what}: {msg}")
            remount(mnt, 4 * total + (1 << 20))
            p = run(args)
            check(p.returncode == 0, f"{what}: completes once there is space ({p.stderr[-300:]})")
            for f in outs:
                check(filecmp.cmp(os.path.join(ref, f), os.path.join(mnt, f), shallow=False),
                      f"{what}: {f} as if it never failed")
            check(not tmp_files(mnt), f"{what}: no temporary file left ({tmp_files(mnt)[:3]})")
        finally:
            umount(mnt)

    # ---- 2. the whole demo recipe ----
    args = ["run", DEMO_RECIPE, "--workdir", mnt, *DEMO_SETS]
    r = run(args)
    check(r.returncode == 0, f"demo on the normal disk ({r.stderr[-300:]})")
    ref = os.path.join(work, "ref-demo")
    os.rename(mnt, ref)
    every = files_under(ref)
    big = footprint(ref, every) * 2 + (16 << 20)
    mount(mnt, big)
    try:
        rc, err, steps = measure(args, mnt)
        check(rc == 0, f"demo on a large tmpfs ({err[-300:]})")
        for f in DEMO_OUTPUTS:
            check(filecmp.cmp(os.path.join(ref, f), os.path.join(mnt, f), shallow=False),
                  f"demo on a large tmpfs: {f} as on the normal disk")
    finally:
        umount(mnt)
    print("space used per step (start, most):", ", ".join(f"{n} {a // 1024}-{b // 1024} KiB" for n, a, b in steps))
    points = [("run database", 3 * PAGE)] + fill_points(steps, ref)
    if os.environ.get("JF_DISK_FULL_KIB"):   # a sweep by hand: JF_DISK_FULL_KIB=64,128,...
        points = [("given", int(k) * 1024) for k in os.environ["JF_DISK_FULL_KIB"].split(",")]
    hit = {}
    for aim, size in points:
        what = f"demo, tmpfs of {size // 1024} KiB (aimed at {aim})"
        mount(mnt, size)
        try:
            p = run(args)
            done = []
            msg = after_failure(what, p, mnt, ref, scratch, done)
            failed = re.findall(r"step (\S+) failed", p.stderr)
            check(not failed or failed[-1] not in done, f"{what}: the failed step {failed} is not marked done")
            # The stage whose file the disk filled on: the first folder of its path.
            f = re.match(r"jaforge: " + re.escape(mnt) + r"/([^/:\s]+)", msg)
            hit[f.group(1) if f else "?"] = True
            print(f"{what}: ran out in step {failed[-1] if failed else '-'}; {len(done)} steps done; {msg}")
            st = subprocess.run([JAFORGE, "status", mnt], capture_output=True, text=True)
            check(st.returncode == 0, f"{what}: jaforge status reads the full work directory ({st.stderr[-200:]})")
            remount(mnt, big)
            p = run(args)
            check(p.returncode == 0, f"{what}: completes once there is space ({p.stderr[-300:]})")
            for f in DEMO_OUTPUTS:
                a, b = os.path.join(ref, f), os.path.join(mnt, f)
                check(os.path.exists(b) and filecmp.cmp(a, b, shallow=False), f"{what}: {f} byte-identical")
            if p.returncode == 0:
                check(train_log(os.path.join(ref, "train/log.csv")) == train_log(os.path.join(mnt, "train/log.csv")),
                      f"{what}: training log: same steps and losses")
            check(not tmp_files(mnt), f"{what}: no temporary file left ({tmp_files(mnt)[:3]})")
            for db in databases(mnt):
                ok, _ = db_state(db, scratch)
                check(ok == "ok", f"{what}: {os.path.relpath(db, mnt)} intact after the resume ({ok})")
        finally:
            umount(mnt)
    # (the extract step writes filter/, and extract/ too without --filter: either may fill)
    for stage in ("jaforge.db", "extract|filter", "dedup", "tokenizer", "shards", "train"):
        check(points[0][0] == "given" or any(s in hit for s in stage.split("|")),
              f"the disk filled up in {stage} at one of the fill points ({sorted(hit)})")
    finish()


main()
