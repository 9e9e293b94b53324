// Writes .br (Brotli, quality 11) and .gz (gzip, level 9) beside every built script, style and page in dist/, once at
// build time: the self-host serves them to clients that accept them (SelfHost/Dashboard.cs), so a first load ships the
// smallest encoding without compressing on every request (on-the-fly compression runs at its fastest level: 40 % larger).
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const dist = new URL('../dist/', import.meta.url).pathname;
const compressible = /\.(js|css|html|svg|json)$/;

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

let raw = 0, br = 0, gz = 0;
for (const file of walk(dist).filter((f) => compressible.test(f))) {
  const bytes = readFileSync(file);
  const brotli = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } });
  const gzip = gzipSync(bytes, { level: 9 });
  writeFileSync(`${file}.br`, brotli);
  writeFileSync(`${file}.gz`, gzip);
  raw += bytes.length; br += brotli.length; gz += gzip.length;
}
console.log(`precompressed dist/: ${raw} bytes, brotli ${br}, gzip ${gz}`);
