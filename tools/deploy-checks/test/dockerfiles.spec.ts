import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { ROOT } from '../src/paths.ts';
import { SERVICES } from '../src/services.ts';

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions (continuation lines joined, comments dropped). */
function instructions(text: string): Instruction[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [op = '', ...rest] = line.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

const apps = readdirSync(join(ROOT, 'apps')).filter((a) =>
  existsSync(join(ROOT, 'apps', a, 'Dockerfile')),
);

/** `@claude-pipeline/<lib>` imports of the non-test sources under `dir`. */
function importsUnder(dir: string): Set<string> {
  const libs = new Set<string>();
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) {
        for (const m of readFileSync(path, 'utf8').matchAll(/from '@claude-pipeline\/([a-z-]+)/g)) {
          libs.add(m[1]!);
        }
      }
    }
  };
  walk(dir);
  return libs;
}

/** Workspace libs an app needs at run time: its imports and theirs, transitively. */
function importedLibs(app: string): string[] {
  const needed = new Set<string>();
  const queue = [...importsUnder(join(ROOT, 'apps', app, 'src'))];
  while (queue.length > 0) {
    const lib = queue.pop()!;
    if (needed.has(lib)) continue;
    needed.add(lib);
    queue.push(...importsUnder(join(ROOT, 'libs', lib, 'src')));
  }
  return [...needed].sort();
}

describe('Dockerfiles', () => {
  it('exist for every service and the sim', () => {
    expect(apps.sort()).toEqual(SERVICES.map((s) => s.name).sort());
  });

  it.each(apps)('%s: multi-stage on Node 24, production dependencies only, non-root', (app) => {
    const steps = instructions(readFileSync(join(ROOT, 'apps', app, 'Dockerfile'), 'utf8'));
    const froms = steps.filter((s) => s.op === 'FROM');
    expect(froms.length).toBeGreaterThanOrEqual(2);
    const image = /^ARG NODE_IMAGE=(\S+)/m.exec(
      steps.map((s) => `${s.op} ${s.args}`).join('\n'),
    )?.[1];
    expect(image).toMatch(/^node:24(\.\d+){0,2}-(bookworm-slim|slim|alpine)/);
    const runs = steps.filter((s) => s.op === 'RUN').map((s) => s.args);
    expect(runs).toContainEqual(expect.stringMatching(/^npm ci\b/));
    expect(runs).toContainEqual(expect.stringMatching(/npm prune --omit=dev/));
    expect(runs).toContainEqual(expect.stringContaining(`@claude-pipeline/${app}:build`));
    // The runtime stage: after the last FROM.
    const lastFrom = steps.lastIndexOf(froms[froms.length - 1]!);
    const runtime = steps.slice(lastFrom);
    expect(
      runtime
        .filter((s) => s.op === 'RUN')
        .map((s) => s.args)
        .join(' '),
    ).not.toMatch(/npm (ci|install)/);
    const user = runtime.filter((s) => s.op === 'USER').pop()?.args;
    expect(user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    expect(runtime.find((s) => s.op === 'ENV' && /NODE_ENV=production/.test(s.args))).toBeDefined();
  });

  it.each(apps)(
    "%s: CMD loads the telemetry entry and runs the app's build output of src/main.ts",
    (app) => {
      const text = readFileSync(join(ROOT, 'apps', app, 'Dockerfile'), 'utf8');
      const cmd = instructions(text)
        .filter((s) => s.op === 'CMD')
        .pop();
      const argv = JSON.parse(cmd!.args) as string[];
      expect(argv.slice(0, 3)).toEqual(['node', '--import', '@claude-pipeline/telemetry/register']);
      const entry = argv[3]!;
      const build = JSON.parse(
        readFileSync(join(ROOT, 'apps', app, 'tsconfig.build.json'), 'utf8'),
      ) as { compilerOptions: { outDir: string; rootDir: string } };
      const { outDir, rootDir } = build.compilerOptions;
      expect(entry).toBe(posix.join('apps', app, outDir, 'main.js'));
      expect(existsSync(join(ROOT, 'apps', app, rootDir, 'main.ts'))).toBe(true);
      // The runtime image holds that output and the package.json next to it (service name).
      expect(text).toContain(`/src/apps/${app}/${outDir} ./apps/${app}/${outDir}`);
      expect(text).toContain(`/src/apps/${app}/package.json ./apps/${app}/package.json`);
      // The exports map resolves workspace packages to dist/ without the source condition.
      const pkg = JSON.parse(readFileSync(join(ROOT, 'apps', app, 'package.json'), 'utf8')) as {
        exports: Record<string, Record<string, string>>;
      };
      expect(pkg.exports['.']!['default']).toBe(`./${outDir}/main.js`);
      expect(argv).not.toContain('--conditions=@claude-pipeline/source');
    },
  );

  it.each(apps)('%s: the runtime image holds the built output of every lib it imports', (app) => {
    const text = readFileSync(join(ROOT, 'apps', app, 'Dockerfile'), 'utf8');
    for (const lib of [...importedLibs(app), 'telemetry']) {
      expect([lib, text.includes(`/src/libs/${lib}/dist ./libs/${lib}/dist`)]).toEqual([lib, true]);
      const pkg = JSON.parse(readFileSync(join(ROOT, 'libs', lib, 'package.json'), 'utf8')) as {
        exports: Record<string, Record<string, string>>;
      };
      for (const target of Object.values(pkg.exports)) {
        expect(target['default']).toMatch(/^\.\/dist\//);
      }
    }
  });

  // claude-worker: the 300 MB RSS target at ~1,000 calls in flight (bench/results/worker.md);
  // batch-poller: the 250 MB streaming target (bench/results/batch.md), plus glibc malloc settings
  // and --expose-gc (the service returns a large packing step's heap pages: src/heap-pages.ts).
  it.each([
    ['claude-worker', []],
    [
      'batch-poller',
      [
        'MALLOC_ARENA_MAX=2',
        'MALLOC_MMAP_THRESHOLD_=65536',
        'MALLOC_TRIM_THRESHOLD_=131072',
        '--expose-gc',
      ],
    ],
  ] as const)("%s's image caps V8's heap growth", (app, extra) => {
    const steps = instructions(readFileSync(join(ROOT, 'apps', app, 'Dockerfile'), 'utf8'));
    const runtime = steps.slice(steps.map((s) => s.op).lastIndexOf('FROM'));
    const env = runtime
      .filter((s) => s.op === 'ENV')
      .map((s) => s.args)
      .join('\n');
    expect(env).toMatch(
      /NODE_OPTIONS="(?=.*--max-old-space-size=\d+)(?=.*--max-semi-space-size=\d+)[^"]*"/,
    );
    for (const setting of extra) expect(env).toContain(setting);
  });

  it('the build context leaves out what images must not contain', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const pattern of ['**/node_modules', '**/dist', '.git', '.env', '.run']) {
      expect(ignored).toContain(pattern);
    }
  });
});
