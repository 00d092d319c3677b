import { preset } from '../../jest.preset.mjs';

const config = preset(import.meta.dirname);

// This lib's integration tests start their own HTTP servers and child processes; none needs the
// Kafka broker that the shared integration globalSetup starts.
export default {
  ...config,
  projects: config.projects.map((project) =>
    project.displayName === 'integration' ? { ...project, globalSetup: undefined } : project,
  ),
};
