import { join } from 'node:path';
import { preset } from '../../jest.preset.mjs';

// The integration tier here needs the Helm binary, not Kafka: its global setup builds Helm with
// `go install` on first use (cached under ~/.cache/claude-pipeline/helm/<version>).
const config = preset(import.meta.dirname);
config.projects = config.projects.map((project) =>
  project.displayName === 'integration'
    ? { ...project, globalSetup: join(import.meta.dirname, 'test/helm.global-setup.ts') }
    : project,
);

export default config;
