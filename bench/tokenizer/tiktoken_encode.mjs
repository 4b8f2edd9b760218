// tiktoken_encode.mjs [--runs N] ENCODING FILE: speed reference for bench_encode.sh.
//
// Encodes FILE line by line (as spm_encode and `jaforge tokenizer encode` do: each
// line without its newline) with npm tiktoken 1.0.22 (the WASM bindings; the ranks of
// cl100k_base and o200k_base are bundled in the package, so nothing is fetched) and
// prints one line of key=value figures:
//   load_cpu_s    CPU from process start until the encoder is ready (Node start-up,
//                 WASM compilation, parsing the bundled ranks)
//   encode_cpu_s  best of N runs of reading FILE, decoding it and encoding every line
//   total_cpu_s   load_cpu_s + encode_cpu_s, the figure comparable with a whole
//                 jaforge or spm_encode process
//   bytes, lines, tokens, chars, chars_per_token, and the same for the lines with a
//   Japanese character (ja_*: the rule of bpe_char_is_japanese in src/tokenizer).
// CPU is process.cpuUsage() (user+sys of every thread of the process, so V8's
// background compilation and GC threads count too). Special-token text is encoded
// as ordinary text (encode_ordinary). Token ids are counted, not printed: jaforge and
// spm_encode also format and write them, so this favours tiktoken a little.
// Not a comparison of compression: tiktoken's vocabularies are not the models
// bench_encode.sh compares, only the speed is comparable.
import { readFileSync } from "node:fs";
import { get_encoding } from "tiktoken";

const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
const args = process.argv.slice(2);
let runs = 3;
if (args[0] === "--runs") { runs = Number(args[1]); args.splice(0, 2); }
if (args.length !== 2 || !(runs >= 1)) {
    console.error("usage: tiktoken_encode.mjs [--runs N] ENCODING FILE");
    process.exit(2);
}
const [name, file] = args;
const enc = get_encoding(name);
const load = cpu();

const JA = /[\u3040-\u30FF\u3005-\u3007\u31F0-\u31FF\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\uFF66-\uFF9F\u{20000}-\u{3134F}]/u;
let best = Infinity, stats = null;
for (let r = 0; r < runs; r++) {
    const a = cpu();
    const lines = readFileSync(file).toString("utf8").split("\n");
    if (lines.length && lines[lines.length - 1] === "") lines.pop();
    const counts = new Uint32Array(lines.length);
    for (let i = 0; i < lines.length; i++) counts[i] = enc.encode_ordinary(lines[i]).length;
    best = Math.min(best, cpu() - a);
    if (stats === null) {   // outside the timed part; once
        stats = { bytes: readFileSync(file).length, lines: lines.length, tokens: 0, chars: 0,
                  ja_lines: 0, ja_tokens: 0, ja_chars: 0 };
        for (let i = 0; i < lines.length; i++) {
            const n = [...lines[i]].length;   // code points, as chars/token elsewhere
            stats.tokens += counts[i]; stats.chars += n;
            if (JA.test(lines[i])) { stats.ja_lines++; stats.ja_tokens += counts[i]; stats.ja_chars += n; }
        }
    }
}
enc.free();
const r3 = (x) => (Number.isFinite(x) ? x.toFixed(3) : "-");   // no Japanese line: "-"
console.log([`encoding=${name}`, `load_cpu_s=${r3(load)}`, `encode_cpu_s=${r3(best)}`,
    `total_cpu_s=${r3(load + best)}`, `bytes=${stats.bytes}`, `lines=${stats.lines}`,
    `tokens=${stats.tokens}`, `chars=${stats.chars}`,
    `chars_per_token=${r3(stats.chars / stats.tokens)}`, `ja_lines=${stats.ja_lines}`,
    `ja_tokens=${stats.ja_tokens}`, `ja_chars=${stats.ja_chars}`,
    `ja_chars_per_token=${r3(stats.ja_chars / stats.ja_tokens)}`].join(" "));
