#!/usr/bin/env node
// Builds the BPF side into bpf/build/ (gitignored): every bpf/*.c with clang -O2 -g -target bpf into a .o,
// and the small libbpf host tools in bpf/tools/*.c (the loader, the test-run bench driver) into
// executables. Skips all work when no input changed (a hash of sources, headers, flags and the clang
// version is kept in bpf/build/.inputs). Plain Node, no dependencies.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bpfDir = join(root, 'bpf');
const outDir = join(bpfDir, 'build');
const stamp = join(outDir, '.inputs');

const list = (dir, ext) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(ext)).sort().map((f) => join(dir, f)) : []);
const progs = list(bpfDir, '.c');
const tools = list(join(bpfDir, 'tools'), '.c');
const headers = list(join(bpfDir, 'lib'), '.h');

// Debian keeps asm/ under the multiarch include directory, which -target bpf does not search.
const multiarch = `/usr/include/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`;
const bpfFlags = ['-O2', '-g', '-target', 'bpf', '-mcpu=v3', '-Wall', '-Werror',
  ...(existsSync(multiarch) ? ['-I', multiarch] : [])];
const toolFlags = ['-O2', '-g', '-Wall', '-Werror'];

function clangVersion() {
  try {
    return execFileSync('clang', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  } catch {
    console.error('build-bpf: clang not found; install clang, llvm and libbpf-dev (npm run setup does)');
    process.exit(1);
  }
}

const hash = createHash('sha256');
hash.update(clangVersion());
hash.update(JSON.stringify([bpfFlags, toolFlags]));
for (const f of [...progs, ...tools, ...headers]) hash.update(f).update(readFileSync(f));
const digest = hash.digest('hex');

const outputs = [
  ...progs.map((f) => [f, join(outDir, basename(f, '.c') + '.o'), 'bpf']),
  ...tools.map((f) => [f, join(outDir, basename(f, '.c')), 'tool']),
];
const upToDate = existsSync(stamp) && readFileSync(stamp, 'utf8') === digest && outputs.every(([, o]) => existsSync(o));
if (upToDate) {
  console.log('build-bpf: bpf/build is up to date');
} else {
  mkdirSync(outDir, { recursive: true });
  for (const [src, out, kind] of outputs) {
    const args = kind === 'bpf' ? [...bpfFlags, '-c', src, '-o', out] : [...toolFlags, src, '-o', out, '-lbpf'];
    console.log(`build-bpf: clang ${args.join(' ')}`);
    execFileSync('clang', args, { stdio: 'inherit' });
  }
  writeFileSync(stamp, digest);
}
