// Writes .gz and .br beside every compressible file in dist/, so that the server can send
// them as they are (Content-Encoding) instead of compressing on every request.
import { readdir, readFile, writeFile, stat } from 'node:fs/promises';
import { join, extname } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

const root = new URL('../dist/', import.meta.url).pathname;
const kinds = new Set(['.js', '.css', '.html', '.svg', '.json']);

async function* walk(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (kinds.has(extname(entry.name))) yield path;
  }
}

let count = 0;
for await (const path of walk(root)) {
  const data = await readFile(path);
  await writeFile(`${path}.gz`, gzipSync(data, { level: 9 }));
  await writeFile(
    `${path}.br`,
    brotliCompressSync(data, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 11,
        [constants.BROTLI_PARAM_SIZE_HINT]: (await stat(path)).size,
      },
    }),
  );
  count += 1;
}
console.log(`compress: wrote .gz and .br for ${count} files in dist/`);
