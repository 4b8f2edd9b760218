"""hfpeer.py: runs npm @huggingface/tokenizers (installed under the peers folder,
tests/peers) on a tokenizer.json through hf-encode.mjs, for the tests that check
jaforge's exports against the real Hugging Face loader."""
import os
import shutil
import subprocess


def have_hf(peers):
    mod = os.path.join(peers, "node_modules", "@huggingface", "tokenizers") if peers else ""
    return bool(peers) and os.path.isdir(mod) and shutil.which("node") is not None


def hf_encode(peers, out, text, what):
    """The ids of every line of text by out/tokenizer.json, one line per line of
    text (bytes), or None (and a message) when the peer is not installed."""
    if not have_hf(peers):
        print(f"npm @huggingface/tokenizers not installed under tests/peers: HF check of {what} "
              "skipped")
        return None
    return subprocess.run(["node", os.path.join(peers, "hf-encode.mjs"), out, text],
                          capture_output=True, cwd=peers)
