import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { HELM_DIR, HELM_INSTALL } from './paths.ts';

/** The value profiles every service chart has, besides its values.yaml defaults. */
export const PROFILES = ['default', 'local', 'staging', 'production'] as const;
export type Profile = (typeof PROFILES)[number];

export type K8sObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
};

/** Path of the Helm binary built by deploy/local/helm/install (does not build it). */
export function helmBin(): string {
  return execFileSync('bash', [HELM_INSTALL, '--print-bin-path'], { encoding: 'utf8' }).trim();
}

/** Builds Helm if it is not cached yet (minutes on a cold machine). */
export function installHelm(timeoutMs: number): void {
  execFileSync('bash', [HELM_INSTALL], {
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: timeoutMs,
  });
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function helm(args: readonly string[], cwd?: string): HelmResult {
  const result = spawnSync(helmBin(), args, {
    encoding: 'utf8',
    cwd,
    timeout: 120_000,
    env: { ...process.env, HELM_CACHE_HOME: join(tmpdir(), 'deploy-checks-helm-cache') },
  });
  if (result.error) throw result.error;
  return { code: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

/** Service charts: every directory of deploy/helm with a Chart.yaml of type application. */
export function serviceCharts(): string[] {
  return readdirSync(HELM_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'pipeline-lib')
    .filter((d) => existsSync(join(HELM_DIR, d.name, 'Chart.yaml')))
    .map((d) => d.name)
    .sort();
}

/**
 * A scratch copy of deploy/helm with each service chart's dependency (the library chart) built
 * into its charts/, so the tests never write into the repository.
 */
export function prepareCharts(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'deploy-checks-'));
  cpSync(HELM_DIR, dir, {
    recursive: true,
    filter: (source) => !/[\\/]charts([\\/]|$)/.test(source.slice(HELM_DIR.length)),
  });
  for (const chart of serviceCharts()) {
    const built = helm(['dependency', 'build', join(dir, chart)]);
    if (built.code !== 0) {
      throw new Error(`helm dependency build ${chart} failed:\n${built.stderr}`);
    }
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const profileArgs = (chartDir: string, profile: Profile): string[] =>
  profile === 'default' ? [] : ['-f', join(chartDir, `values-${profile}.yaml`)];

/** `helm template` of a chart with a profile: the rendered objects. */
export function renderChart(
  chartDir: string,
  profile: Profile,
  extra: readonly string[] = [],
  release = 'rel',
): K8sObject[] {
  const result = helm([
    'template',
    release,
    chartDir,
    '--namespace',
    'pipeline',
    ...profileArgs(chartDir, profile),
    ...extra,
  ]);
  if (result.code !== 0) throw new Error(`helm template failed:\n${result.stderr}`);
  return parseAllDocuments(result.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}
