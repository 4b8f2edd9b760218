"""megatron_ref.py: a short transcription of Megatron's Python/C++ index
building with numpy (weights, blend sizes, the blending index of helpers.cpp,
--split ranges, GPTDataset's document / sample / shuffle indices), the
reference the tests compare jaforge's C with. Each function follows the
Megatron code it names, step for step; nothing here is jaforge's."""
import math
import re

import numpy as np


def normalize(weights):
    """megatron/core/datasets/utils.py normalize: w / sum(w), float64."""
    w = np.array(weights, dtype=np.float64)
    return (w / np.sum(w)).tolist()


def blend_share(n, w):
    return math.ceil(n * w)


def dataset_samples(n, w):
    """What each dataset is asked for: the 0.5% surplus over its share."""
    return math.ceil(math.ceil(n * w) * 1.005)


def blend(weights, size):
    """helpers.cpp build_blending_indices: [(dataset, sample in dataset)]."""
    w = normalize(weights)
    count = [0] * len(w)
    out = []
    for s in range(size):
        x = max(float(s), 1.0)
        best, best_err = 0, w[0] * x - count[0]
        for i in range(1, len(w)):
            e = w[i] * x - count[i]
            if e > best_err:
                best, best_err = i, e
        out.append((best, count[best]))
        count[best] += 1
    return out


def split_ranges(text, size):
    """--split: normalized, [round(sum(split[:i]) * S), round(sum(split[:i+1]) * S))."""
    split = [float(s) for s in re.findall(r"[.0-9]+", text)]
    split = split + [0.0] * (3 - len(split))
    split = (np.array(split) / np.sum(np.array(split))).tolist()
    return [(int(round(sum(split[:i]) * float(size))), int(round(sum(split[:i + 1]) * float(size))))
            for i in range(3)], split


def gpt_index(sizes, begin, end, num_samples, seq_len, seed):
    """GPTDataset._build_document_sample_shuffle_indices over documents
    [begin, end): epochs, separate-last-epoch flag, doc, sample, shuffle."""
    sizes = np.array(sizes, dtype=np.int32)
    documents = np.arange(begin, end, dtype=np.int32)
    tpe = int(np.sum(sizes[documents]))
    epochs, total = 0, 0
    while True:
        epochs += 1
        total += tpe
        if (total - 1) // seq_len >= num_samples:
            break
    rng = np.random.RandomState(seed=seed)
    separate = False
    before_last = 0
    if epochs > 1:
        before_last = ((epochs - 1) * tpe - 1) // seq_len
        last = num_samples - before_last
        per_epoch = (tpe - 1) // seq_len
        separate = last < int(0.80 * per_epoch)

    def doc_idx(e):
        d = np.mgrid[0:e, 0:len(documents)][1]
        d[:] = documents
        d = d.reshape(-1).astype(np.int32)
        rng.shuffle(d)
        return d

    docs = doc_idx(epochs) if not separate else np.concatenate((doc_idx(epochs - 1), doc_idx(1)))
    n = (epochs * tpe - 1) // seq_len
    sample = [(0, 0)]
    pos, off = 0, 0
    while len(sample) <= n:
        rem = seq_len + 1
        while rem != 0:
            length = int(sizes[docs[pos]]) - off
            rem -= length
            if rem <= 0:
                off += rem + length - 1
                rem = 0
            else:
                pos += 1
                off = 0
        sample.append((pos, off))
    first = before_last if separate else n
    sh = np.arange(0, first, dtype=np.int64)
    rng.shuffle(sh)
    if first != n:
        last_part = np.arange(first, n, dtype=np.int64)
        rng.shuffle(last_part)
        sh = np.concatenate((sh, last_part))
    return {"epochs": epochs, "separate": separate, "docs": [int(x) for x in docs],
            "sample": sample, "shuffle": [int(x) for x in sh]}
