#!/usr/bin/env node
// One idempotent set-up step shared by `npm test` and `npm run lab`: installs the Debian packages the labs and
// the tests use (apt-get, only what is missing) and the npm packages (npm ci, only when the lock file changed).
// Plain Node with no dependencies: it runs before node_modules exists.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const step = (msg) => console.log(`[setup] ${msg}`);

// What the labs and the real-peer tests need. Kept in one list so README, CI and developers agree.
const DEBIAN_PACKAGES = [
  'iproute2', 'iputils-ping', 'procps', 'psmisc', 'curl', 'ethtool',
  'frr', 'bird2', 'gobgpd', 'openbgpd', 'exabgp',
  'iperf3', 'tcpdump', 'tshark', 'python3-scapy',
  'clang', 'llvm', 'libbpf-dev', 'bpftool', 'containernetworking-plugins',
  // Jazzer.js's fuzzer addon is built against Debian's libFuzzer (test/fuzz/jazzer/run.sh).
  'cmake', 'libclang-rt-14-dev',
];

function missingDebianPackages(pkgs) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Abbrev}\n', ...pkgs], { encoding: 'utf8' });
  const installed = new Set(
    r.stdout.split('\n').filter((l) => /\sii\s*$/.test(l)).map((l) => l.split(' ')[0]),
  );
  return pkgs.filter((p) => !installed.has(p));
}

function run(cmd, args, env = {}) {
  step(`$ ${cmd} ${args.join(' ')}`);
  execFileSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
}

function ensureDebian() {
  if (!existsSync('/usr/bin/dpkg-query')) {
    step('not a Debian system: install the packages listed in scripts/setup.mjs yourself');
    return;
  }
  const missing = missingDebianPackages(DEBIAN_PACKAGES);
  if (missing.length === 0) {
    step(`Debian packages: all ${DEBIAN_PACKAGES.length} present`);
    return;
  }
  if (process.getuid && process.getuid() !== 0) {
    throw new Error(`missing Debian packages (${missing.join(' ')}); run as root so apt-get can install them`);
  }
  step(`Debian packages missing: ${missing.join(' ')}`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-q'], env);
  run('apt-get', ['install', '-y', '-q', ...missing], env);
}

function ensureNpm() {
  const lock = join(root, 'package-lock.json');
  const marker = join(root, 'node_modules', '.package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) {
    step('npm packages: up to date');
    return;
  }
  run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {});
}

function ensureKernelBits() {
  // rackroute's own route protocol number, so `ip route` shows "proto rackroute".
  const dir = '/etc/iproute2/rt_protos.d';
  const file = join(dir, 'rackroute.conf');
  const want = '# rackroute: routes installed by the rackroute agent\n199\trackroute\n';
  try {
    if (!existsSync(file) || readFileSync(file, 'utf8') !== want) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(file, want);
      step(`wrote ${file}`);
    }
  } catch (e) {
    step(`could not write ${file}: ${e.message}`);
  }
}

const t0 = Date.now();
ensureDebian();
ensureNpm();
ensureKernelBits();
step(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
