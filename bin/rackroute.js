#!/usr/bin/env -S node --max-semi-space-size=4
// The `rackroute` command: runs the compiled CLI (npm run build makes dist/). The shebang's node options are the
// agent's (src/agent/node-options.ts).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error('rackroute: dist/ is missing; run `npm run build` first');
  process.exit(2);
}
const { run } = await import(main.href);
await run(process.argv);
