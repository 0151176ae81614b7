#!/usr/bin/env node
// Builds rackroute's native addon (native/net.cc: TCP_MD5SIG and pre-connect sockets) with node-gyp, only when
// its sources changed since the last build.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'native');
const out = join(dir, 'build', 'Release', 'rackroute_net.node');
const sources = ['net.cc', 'binding.gyp'].map((f) => join(dir, f));
const newest = Math.max(...sources.map((f) => statSync(f).mtimeMs));
if (existsSync(out) && statSync(out).mtimeMs >= newest) {
  console.log('[build] native addon: up to date');
} else {
  const gyp = join(dirname(createRequire(import.meta.url).resolve('node-gyp/package.json')), 'bin', 'node-gyp.js');
  // Node's own headers, where the distribution ships them (no download: only the package registries are reachable).
  const nodedir = ['/usr', dirname(dirname(process.execPath))].find((d) => existsSync(join(d, 'include', 'node', 'node_api.h')));
  console.log('[build] native addon: node-gyp rebuild');
  execFileSync(process.execPath, [gyp, 'rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : []), '--loglevel=warn'], { cwd: dir, stdio: 'inherit' });
}
