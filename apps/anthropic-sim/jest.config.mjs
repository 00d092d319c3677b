import { preset } from '../../jest.preset.mjs';

const config = preset(import.meta.dirname);

// The sim's integration tests start the sim (in process or as a child process) and drive it with
// the real SDK; none needs the Kafka broker that the shared integration globalSetup starts.
export default {
  ...config,
  projects: config.projects.map((project) =>
    project.displayName === 'integration' ? { ...project, globalSetup: undefined } : project,
  ),
};
