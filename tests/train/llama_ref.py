#!/usr/bin/python3
"""llama_ref.py: an independent float64 numpy implementation of the LLaMA
forward and backward (vectorised, written from the equations, not from the C
code), checked against jaforge's fp32 C model.

Runs llama_dump OUTDIR, reads the llama2.c checkpoint it wrote (formats.md §5)
and its batch, recomputes logits, loss and every gradient, and compares:
per tensor, max |C - ref| / max |ref| must stay below 1e-4.
Usage: llama_ref.py LLAMA_DUMP OUTDIR. Prints "N passed, N failed"."""
import os
import subprocess
import sys

import numpy as np

TOL = 1e-4
EPS = 1e-5
NAMES = ["wte", "rms_att", "wq", "wk", "wv", "wo", "rms_ffn", "w1", "w2", "w3",
         "rms_final", "wcls"]


def read_ckpt(path):
    raw = open(path, "rb").read()
    dim, hid, L, nh, nkv, vocab, seq = np.frombuffer(raw[:28], "<i4")
    assert nkv == nh
    V, C, H = abs(int(vocab)), int(dim), int(hid)
    shapes = [(V, C), (L, C), (L, C, C), (L, C, C), (L, C, C), (L, C, C), (L, C),
              (L, H, C), (L, C, H), (L, H, C), (C,)]
    f = np.frombuffer(raw[28:], "<f4").astype(np.float64)
    w, o = {}, 0
    for name, shp in zip(NAMES, shapes):
        n = int(np.prod(shp))
        w[name] = f[o:o + n].reshape(shp)
        o += n
    o += int(seq) * (C // int(nh))          # the two legacy RoPE tables
    w["wcls"] = w["wte"].copy() if vocab > 0 else f[o:o + V * C].reshape(V, C)
    if vocab < 0:
        o += V * C
    assert o == len(f), "checkpoint size"
    return w, dict(C=C, H=H, L=int(L), NH=int(nh), V=V)


def rope_tables(T, HS):
    i = np.arange(HS // 2)
    ang = np.arange(T)[:, None] * 10000.0 ** (-2.0 * i / HS)[None, :]
    return np.cos(ang), np.sin(ang)                     # (T, HS/2)


def rope(x, cos, sin, NH, inverse=False):
    """x (B,T,C): pairs (2i, 2i+1) of each head rotate by t * theta_i."""
    B, T, C = x.shape
    y = x.reshape(B, T, NH, -1, 2)
    a, b = y[..., 0], y[..., 1]
    c, s = cos[None, :, None, :], sin[None, :, None, :]
    if inverse:
        s = -s
    return np.stack([a * c - b * s, a * s + b * c], -1).reshape(B, T, C)


def rms(x, w):
    r = 1.0 / np.sqrt((x * x).mean(-1, keepdims=True) + EPS)
    return x * r * w, r


def rms_back(dout, x, w, r):
    xh = x * r
    g = dout * w
    dx = r * (g - xh * (g * xh).mean(-1, keepdims=True))
    return dx, (dout * xh).reshape(-1, x.shape[-1]).sum(0)


def heads(x, NH):                                       # (B,T,C) -> (B,NH,T,HS)
    B, T, C = x.shape
    return x.reshape(B, T, NH, C // NH).transpose(0, 2, 1, 3)


def unheads(x):                                         # (B,NH,T,HS) -> (B,T,C)
    B, NH, T, HS = x.shape
    return x.transpose(0, 2, 1, 3).reshape(B, T, NH * HS)


def forward_backward(w, d, tok, tgt):
    B, T = tok.shape
    C, L, NH, V = d["C"], d["L"], d["NH"], d["V"]
    HS = C // NH
    cos, sin = rope_tables(T, HS)
    mask = np.triu(np.ones((T, T), bool), 1)
    x = w["wte"][tok]
    cache = []
    for l in range(L):
        ln1, r1 = rms(x, w["rms_att"][l])
        q = rope(ln1 @ w["wq"][l].T, cos, sin, NH)
        k = rope(ln1 @ w["wk"][l].T, cos, sin, NH)
        v = ln1 @ w["wv"][l].T
        s = heads(q, NH) @ heads(k, NH).transpose(0, 1, 3, 2) / np.sqrt(HS)
        s = np.where(mask, -np.inf, s)
        a = np.exp(s - s.max(-1, keepdims=True))
        a /= a.sum(-1, keepdims=True)
        y = unheads(a @ heads(v, NH))
        xm = x + y @ w["wo"][l].T
        ln2, r2 = rms(xm, w["rms_ffn"][l])
        h1, h3 = ln2 @ w["w1"][l].T, ln2 @ w["w3"][l].T
        sg = 1.0 / (1.0 + np.exp(-h1))
        g = h1 * sg * h3
        cache.append((x, ln1, r1, q, k, v, a, y, xm, ln2, r2, h1, h3, sg, g))
        x = xm + g @ w["w2"][l].T
    lnf, rf = rms(x, w["rms_final"])
    logits = lnf @ w["wcls"].T
    lab = tgt >= 0
    m = logits.max(-1, keepdims=True)
    lse = (m + np.log(np.exp(logits - m).sum(-1, keepdims=True)))[..., 0]
    picked = np.take_along_axis(logits, np.maximum(tgt, 0)[..., None], -1)[..., 0]
    loss = ((lse - picked) * lab).sum() / lab.sum()

    gr = {k: np.zeros_like(v) for k, v in w.items()}
    p = np.exp(logits - lse[..., None])
    onehot = np.zeros_like(p)
    np.put_along_axis(onehot, np.maximum(tgt, 0)[..., None], 1.0, -1)
    dlog = (p - onehot) * lab[..., None] / lab.sum()
    gr["wcls"] = dlog.reshape(-1, V).T @ lnf.reshape(-1, C)
    dx, gr["rms_final"] = rms_back(dlog @ w["wcls"], x, w["rms_final"], rf)
    for l in reversed(range(L)):
        x0, ln1, r1, q, k, v, a, y, xm, ln2, r2, h1, h3, sg, g = cache[l]
        flat = lambda t: t.reshape(-1, t.shape[-1])
        gr["w2"][l] = flat(dx).T @ flat(g)
        dg = dx @ w["w2"][l]
        dh1 = dg * h3 * sg * (1 + h1 * (1 - sg))
        dh3 = dg * h1 * sg
        gr["w1"][l] = flat(dh1).T @ flat(ln2)
        gr["w3"][l] = flat(dh3).T @ flat(ln2)
        dxm, gr["rms_ffn"][l] = rms_back(dh1 @ w["w1"][l] + dh3 @ w["w3"][l], xm,
                                         w["rms_ffn"][l], r2)
        dxm += dx
        gr["wo"][l] = flat(dxm).T @ flat(y)
        dyh = heads(dxm @ w["wo"][l], NH)
        dv = unheads(a.transpose(0, 1, 3, 2) @ dyh)
        da = dyh @ heads(v, NH).transpose(0, 1, 3, 2)
        ds = a * (da - (a * da).sum(-1, keepdims=True)) / np.sqrt(HS)
        dq = rope(unheads(ds @ heads(k, NH)), cos, sin, NH, inverse=True)
        dk = rope(unheads(ds.transpose(0, 1, 3, 2) @ heads(q, NH)), cos, sin, NH, inverse=True)
        gr["wq"][l] = flat(dq).T @ flat(ln1)
        gr["wk"][l] = flat(dk).T @ flat(ln1)
        gr["wv"][l] = flat(dv).T @ flat(ln1)
        dln1 = dq @ w["wq"][l] + dk @ w["wk"][l] + dv @ w["wv"][l]
        dx0, gr["rms_att"][l] = rms_back(dln1, x0, w["rms_att"][l], r1)
        dx = dxm + dx0
    np.add.at(gr["wte"], tok.reshape(-1), dx.reshape(-1, C))
    return logits, loss, gr


def main():
    dump, out = sys.argv[1], sys.argv[2]
    subprocess.run([dump, out], check=True)
    w, d = read_ckpt(os.path.join(out, "model.bin"))
    b = np.fromfile(os.path.join(out, "batch.bin"), "<i4")
    B, T = int(b[0]), int(b[1])
    tok, tgt = b[2:2 + B * T].reshape(B, T), b[2 + B * T:].reshape(B, T)
    logits, loss, gr = forward_backward(w, d, tok, tgt)
    c_logits = np.fromfile(os.path.join(out, "logits.bin"), "<f4").reshape(B, T, -1)
    c_loss = float(open(os.path.join(out, "loss.txt")).read())
    c_grads = np.fromfile(os.path.join(out, "grads.bin"), "<f4").astype(np.float64)
    passed = failed = 0

    def check(name, c, ref):
        nonlocal passed, failed
        err = np.abs(c - ref).max() / max(np.abs(ref).max(), 1e-30)
        ok = err < TOL
        print(f"{'ok  ' if ok else 'FAIL'} {name:10s} max|C-numpy|/max|numpy| = {err:.2e}"
              f" (max|numpy| {np.abs(ref).max():.3e})")
        passed, failed = passed + ok, failed + (not ok)

    check("logits", c_logits, logits)
    check("loss", np.array(c_loss), np.array(loss))
    o = 0
    for name in NAMES:
        n = gr[name].size
        check("d" + name, c_grads[o:o + n].reshape(gr[name].shape), gr[name])
        o += n
    assert o == len(c_grads), "gradient count"
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
