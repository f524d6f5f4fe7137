// Writes a brotli (.br) and a gzip (.gz) copy beside every .js, .wasm and
// .css file under the directory given: built once, served many times (the
// server picks the copy the browser accepts). Release bundles get the highest
// levels; `--fast` (debug bundles, ~10 MB of wasm rebuilt often) a level that
// takes about a second.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const fast = process.argv.includes("--fast");
const dir = process.argv.slice(2).find((arg) => arg !== "--fast");
if (!dir) {
  console.error("usage: node precompress.mjs [--fast] <directory>");
  process.exit(2);
}
const brotliQuality = fast ? 5 : constants.BROTLI_MAX_QUALITY;
const gzipLevel = fast ? 6 : 9;

function* files(path) {
  for (const name of readdirSync(path)) {
    const full = join(path, name);
    if (statSync(full).isDirectory()) yield* files(full);
    else if (/\.(js|wasm|css)$/.test(name)) yield full;
  }
}

for (const file of files(dir)) {
  const bytes = readFileSync(file);
  writeFileSync(
    `${file}.br`,
    brotliCompressSync(bytes, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: brotliQuality,
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }),
  );
  writeFileSync(`${file}.gz`, gzipSync(bytes, { level: gzipLevel }));
}
