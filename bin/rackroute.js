#!/usr/bin/env node
// The `rackroute` command: runs the compiled CLI (npm run build makes dist/).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error('rackroute: dist/ is missing; run `npm run build` first');
  process.exit(2);
}
const { run } = await import(main.href);
await run(process.argv);
