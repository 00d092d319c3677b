import { join, resolve } from 'node:path';

/** The repository root (tools/deploy-checks/src/ is two levels below it). */
export const ROOT = resolve(__dirname, '..', '..', '..');

export const HELM_DIR = join(ROOT, 'deploy', 'helm');
export const STRIMZI_DIR = join(ROOT, 'deploy', 'strimzi');
export const OBSERVABILITY_DIR = join(ROOT, 'deploy', 'observability');
export const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
export const HELM_INSTALL = join(ROOT, 'deploy', 'local', 'helm', 'install');

/** Where the Strimzi CRD schemas are vendored for the whole project (outside this repo). */
export const SHARED_STRIMZI_DIR = resolve(
  process.env['PIPELINE_SHARED_DIR'] ?? join(ROOT, '..', 'shared'),
  'vendor',
  'strimzi',
);
