// The seed and regression corpus: raw binary inputs in test/fuzz/corpus/ (Jazzer/libFuzzer's format too).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CORPUS_DIR = fileURLToPath(new URL('./corpus/', import.meta.url));

export function loadCorpus(dir = CORPUS_DIR): Uint8Array[] {
  return readdirSync(dir).filter((f) => !f.startsWith('.') && !f.endsWith('.md')).sort()
    .map((f) => new Uint8Array(readFileSync(join(dir, f))));
}

export function saveInput(data: Uint8Array, prefix: string, dir = CORPUS_DIR): string {
  const name = `${prefix}-${createHash('sha1').update(data).digest('hex').slice(0, 16)}`;
  writeFileSync(join(dir, name), data);
  return name;
}
