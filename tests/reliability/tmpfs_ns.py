"""tmpfs_ns.py: a real full disk for the reliability tests. enter_namespace()
re-runs the calling script under `unshare -m` (a private mount namespace: its
mounts vanish with it) after probing that a tmpfs mount is allowed, and exits
77 (skipped) saying why where it is not; mount/remount/umount then manage
size-limited tmpfs mounts inside it."""
import json
import os
import shutil
import sqlite3
import subprocess
import sys

from jftest import check

PAGE = os.sysconf("SC_PAGE_SIZE")
NS_MARK = "JF_DISK_FULL_NS"


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(77)


def enter_namespace():
    """Re-runs the main script in a private mount namespace (after a probe that
    unshare -m and a tmpfs mount are allowed); returns only inside it."""
    if os.environ.get(NS_MARK) == "1":
        return
    if not shutil.which("unshare") or not shutil.which("mount"):
        skip("unshare or mount not found")
    probe = ("d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs \"$d\" && umount \"$d\"; "
             "rc=$?; rmdir \"$d\"; exit $rc")
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", probe],
                       capture_output=True, text=True)
    if p.returncode != 0:
        skip(f"no private tmpfs mount here (unshare -m + mount -t tmpfs: {p.stderr.strip()[:200]})")
    env = dict(os.environ, **{NS_MARK: "1"})
    sys.stdout.flush()
    p = subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable,
                        os.path.abspath(sys.argv[0]), *sys.argv[1:]], env=env)
    sys.exit(p.returncode)


def pages(n):
    return (n + PAGE - 1) // PAGE * PAGE


def mount(path, size):
    os.makedirs(path, exist_ok=True)
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={pages(size)},mode=0755", "tmpfs", path],
                       capture_output=True, text=True)
    if p.returncode != 0:
        skip(f"mount -t tmpfs refused: {p.stderr.strip()[:200]}")


def remount(path, size):
    p = subprocess.run(["mount", "-o", f"remount,size={pages(size)}", path], capture_output=True, text=True)
    check(p.returncode == 0, f"remount {path} to {size} bytes ({p.stderr.strip()})")


def umount(path):
    subprocess.run(["umount", path], capture_output=True)


def db_state(path, scratch):
    """integrity_check of a run database and its done tasks' outputs. Read
    from a copy (with its -wal) on the normal disk: opening it in place may
    need room the full disk no longer has, and must not change it."""
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    for ext in ("", "-wal"):
        if os.path.exists(path + ext):
            shutil.copyfile(path + ext, os.path.join(scratch, "jaforge.db" + ext))
    con = sqlite3.connect(os.path.join(scratch, "jaforge.db"))
    try:
        ok = con.execute("PRAGMA integrity_check").fetchone()[0]
        if not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'tasks'").fetchall():
            return ok, []           # the disk filled before the schema was made: an empty database
        done = con.execute("SELECT inputs.path, tasks.outputs FROM tasks JOIN inputs ON inputs.id = "
                           "tasks.input_id WHERE tasks.status = 'done'").fetchall()
    except sqlite3.DatabaseError as e:
        return str(e), []
    finally:
        con.close()
    return ok, [(p, json.loads(o)) for p, o in done]
