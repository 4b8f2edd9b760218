// warcio_iter.mjs: the peer side of bench/warc: npm warcio's WARCParser
// iterates every record of FILE and reads each one's content (readFully), best
// of REPEAT runs, one JSON line like warc_iter.c. Run with node from anywhere;
// warcio is loaded from tests/peers/node_modules.
import fs from "node:fs";

const url = new URL("../../tests/peers/node_modules/warcio/dist/index.js", import.meta.url);
const { WARCParser } = await import(url.href);
const [path, repeatArg] = process.argv.slice(2);
if (!path) {
  console.error("usage: node warcio_iter.mjs FILE [REPEAT]");
  process.exit(2);
}
const repeat = Number(repeatArg || 3);
let best = null;
for (let i = 0; i < repeat; i++) {
  const t0 = process.hrtime.bigint();
  let records = 0, bytes = 0;
  const parser = new WARCParser(fs.createReadStream(path));
  for await (const record of parser) {
    const content = await record.readFully();
    bytes += content.length;
    records++;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (!best || seconds < best.seconds) best = { records, bytes, seconds };
}
const fileBytes = fs.statSync(path).size;
console.log(JSON.stringify({
  tool: "npm warcio WARCParser",
  records: best.records,
  seconds: Number(best.seconds.toFixed(3)),
  records_per_s: Math.round(best.records / best.seconds),
  file_mb_per_s: Number((fileBytes / 1e6 / best.seconds).toFixed(1)),
  content_bytes: best.bytes,
}));
