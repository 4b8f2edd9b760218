#!/usr/bin/python3
"""train_mpi.py DRIVER WORKDIR: `mpirun -n 2` equals one rank at the same
global batch. One rank with micro_batch 2 x grad_accum 2 against two ranks
with micro_batch 2 x grad_accum 1 (global batch 4 both): training losses,
gradient norms and validation losses agree to 1e-5 relative. The same with
ZeRO stage 1 (train.zero = 1: optimizer state sharded, reduce-scatter and
all-gather): equal to one rank, half the AdamW state per rank, and a run
interrupted at step 4 and resumed logs the uninterrupted ZeRO run's losses
bit for bit (the optimizer file is gathered on rank 0). Then an error on
the ranks (vocabulary too small) ends mpirun with a failure, not a hang.
Exit 77 when mpirun is absent."""
import csv, os, shutil, subprocess, sys

driver, work = sys.argv[1], sys.argv[2]
mpirun = shutil.which("mpirun")
if not mpirun:
    print("mpirun not found: skipped")
    sys.exit(77)
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
subprocess.run([driver, "mkdata", work + "/data", "64", "16", "400"], check=True, env=env)
conf = os.path.join(work, "t.conf")
with open(conf, "w") as f:
    f.write("[data]\nplan = %s/data/plan.json\n[model]\ndim = 32\nhidden_dim = 64\n"
            "n_layers = 2\nn_heads = 2\nvocab_size = 64\n[train]\nsteps = 8\nmicro_batch = 2\n"
            "lr = 3e-3\nwarmup_steps = 2\neval_interval = 4\neval_batches = 2\n"
            "peak_gflops = 10\n" % work)
MPI = [mpirun, "-n", "2", "--allow-run-as-root", "--oversubscribe", "--bind-to", "none"]
failed = passed = 0

def check(ok, what):
    global failed, passed
    print(("ok   " if ok else "FAIL ") + what)
    failed += 0 if ok else 1
    passed += 1 if ok else 0

r1 = subprocess.run([driver, "run", conf, "out.dir=%s/one" % work, "train.grad_accum=2"],
                    env=env, timeout=300)
r2 = subprocess.run(MPI + [driver, "run", conf, "out.dir=%s/two" % work, "train.grad_accum=1"],
                    env=env, timeout=300)
check(r1.returncode == 0 and r2.returncode == 0, "both runs succeed")

def rows(out):
    with open(os.path.join(work, out, "log.csv")) as f:
        return list(csv.DictReader(f))

if failed == 0:
    a, b = rows("one"), rows("two")
    check(len(a) == 8 and len(b) == 8, "8 steps logged by each")
    worst = 0.0
    for x, y in zip(a, b):
        for k in ("loss", "grad_norm", "val_loss", "val_loss_ja", "val_loss_en"):
            if x[k] == "" and y[k] == "":
                continue
            u, v = float(x[k]), float(y[k])
            worst = max(worst, abs(u - v) / max(abs(u), 1e-30))
    print("largest relative difference: %.3g" % worst)
    check(worst <= 1e-5, "2 ranks equal 1 rank to 1e-5 relative")
    check(os.path.exists(os.path.join(work, "two", "ckpt-8.bin")), "rank 0 wrote the checkpoint")

# ZeRO stage 1
rz = subprocess.run(MPI + [driver, "run", conf, "out.dir=%s/zero" % work, "train.grad_accum=1",
                           "train.zero=1"], env=env, timeout=300, capture_output=True, text=True)
sys.stderr.write(rz.stderr)
check(rz.returncode == 0, "ZeRO-1 run succeeds")
if rz.returncode == 0:
    import re
    a, z = rows("one"), rows("zero")
    worst = 0.0
    for x, y in zip(a, z):
        for k in ("loss", "grad_norm", "val_loss", "val_loss_ja", "val_loss_en"):
            if x[k] == "" and y[k] == "":
                continue
            u, v = float(x[k]), float(y[k])
            worst = max(worst, abs(u - v) / max(abs(u), 1e-30))
    print("ZeRO-1: largest relative difference to one rank: %.3g" % worst)
    check(len(z) == 8 and worst <= 1e-5, "ZeRO-1 on 2 ranks equals 1 rank to 1e-5 relative")
    m = re.search(r"AdamW state ([0-9.]+) MiB per rank \(([0-9.]+) MiB replicated\)", rz.stderr)
    check(m is not None and abs(float(m.group(1)) * 2 - float(m.group(2))) < 0.02,
          "ZeRO-1 halves the AdamW state per rank")
    zp = [driver, "run", conf, "out.dir=%s/zparts" % work, "train.grad_accum=1", "train.zero=1"]
    r3 = subprocess.run(MPI + zp + ["train.stop_at=4"], env=env, timeout=300)
    r4 = subprocess.run(MPI + zp, env=env, timeout=300)
    same = r3.returncode == 0 and r4.returncode == 0
    if same:
        p = rows("zparts")
        same = len(p) == 8 and all(x[k] == y[k] for x, y in zip(z, p)
                                   for k in ("step", "loss", "lr", "grad_norm", "val_loss"))
    check(same, "ZeRO-1 resumed at step 4 equals the uninterrupted ZeRO-1 run bit for bit")

bad = subprocess.run(MPI + [driver, "run", conf, "out.dir=%s/bad" % work, "model.vocab_size=40"],
                     env=env, timeout=120, capture_output=True, text=True)
check(bad.returncode != 0 and "vocabulary" in bad.stderr, "an error on the ranks aborts mpirun")
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
