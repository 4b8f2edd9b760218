#!/usr/bin/env node
// hf-encode.mjs: encodes every line of a text file with a Hugging Face tokenizer.json as the
// real npm `@huggingface/tokenizers` (tokenizers.js) reads it, offline, and prints one line of
// space-separated ids per input line, without special tokens: the same shape as
// `spm_encode --output_format=id`, so jaforge's exported tokenizer.json can be compared with
// SentencePiece. Does not judge anything: whatever the library yields is printed.
//
// Usage: node hf-encode.mjs DIR FILE   (DIR holds tokenizer.json and tokenizer_config.json)
// Needs: npm install @huggingface/tokenizers (resolved from this folder or NODE_PATH).
import { readFileSync } from "node:fs";
import { join } from "node:path";

const [dir, file] = process.argv.slice(2);
if (!dir || !file) {
  process.stderr.write("usage: node hf-encode.mjs DIR FILE\n");
  process.exit(2);
}
const { Tokenizer } = await import("@huggingface/tokenizers");
const json = JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8"));
const config = JSON.parse(readFileSync(join(dir, "tokenizer_config.json"), "utf8"));
const tok = new Tokenizer(json, config);
// Lines as spm_encode reads them: split at "\n" only; invalid UTF-8 becomes U+FFFD in both.
const lines = readFileSync(file, "utf8").split("\n");
if (lines.length && lines[lines.length - 1] === "") lines.pop();
const out = [];
for (const line of lines) {
  out.push(line === "" ? "" : tok.encode(line, { add_special_tokens: false }).ids.join(" "));
}
process.stdout.write(out.join("\n") + (out.length ? "\n" : ""));
