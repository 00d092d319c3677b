import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { ValidationResult } from './k8s-models.ts';

const VALIDATOR = join(__dirname, 'bin', 'validate-k8s.ts');

/**
 * Validates objects with kubernetes-models / @kubernetes-models/keda in a Node process of its
 * own (those packages are ESM only; this runs under Jest's CommonJS).
 */
export function validateK8sObjects(objects: readonly unknown[]): ValidationResult[] {
  const result = spawnSync(process.execPath, [VALIDATOR], {
    input: JSON.stringify(objects),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`validator exited ${result.status}:\n${result.stderr}`);
  return JSON.parse(result.stdout) as ValidationResult[];
}
