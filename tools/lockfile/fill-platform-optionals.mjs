// Completes package-lock.json with the platform-specific optional packages (native binaries for
// other OSes/CPUs, e.g. @swc/core-darwin-arm64) that a registry mirror without them left out.
// npm skips such packages on platforms they do not match, but `npm ci` refuses a lock file
// that lacks them ("Missing: ... from lock file"). Each added entry records what npm needs to
// skip it here and to fetch it elsewhere: version, `optional`, and `os`/`cpu`/`libc` read from
// the package name. Idempotent. Run after any `npm install` that changes the lock file:
//   node tools/lockfile/fill-platform-optionals.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const OS = [
  'darwin',
  'linux',
  'win32',
  'android',
  'freebsd',
  'openharmony',
  'sunos',
  'netbsd',
  'openbsd',
];
const CPU = {
  arm64: 'arm64',
  x64: 'x64',
  ia32: 'ia32',
  arm: 'arm',
  ppc64: 'ppc64',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
};

function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => OS.includes(p));
  const cpu = parts.map((p) => CPU[p]).find(Boolean);
  if (!os || !cpu) return undefined;
  const libc =
    os === 'linux'
      ? parts.some((p) => p.startsWith('musl'))
        ? 'musl'
        : parts.some((p) => p.startsWith('gnu'))
          ? 'glibc'
          : undefined
      : undefined;
  return { os: [os], cpu: [cpu], ...(libc ? { libc: [libc] } : {}) };
}

const path = new URL('../../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const added = [];
for (const [location, pkg] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    const platform = platformOf(name);
    if (!platform) continue;
    const base = location === '' ? 'node_modules' : `${location}/node_modules`;
    // npm resolves a dependency from the nearest node_modules upwards.
    const candidates = [`${base}/${name}`, `node_modules/${name}`];
    if (candidates.some((c) => lock.packages[c])) continue;
    lock.packages[`node_modules/${name}`] = { version, optional: true, ...platform };
    added.push(`${name}@${version}`);
  }
}
if (added.length > 0) {
  lock.packages = Object.fromEntries(
    Object.entries(lock.packages).sort(([a], [b]) =>
      a === '' ? -1 : b === '' ? 1 : a.localeCompare(b),
    ),
  );
  writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
}
console.log(added.length > 0 ? `added ${added.length}: ${added.join(', ')}` : 'lock file complete');
