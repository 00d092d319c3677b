import { preset } from '../../jest.preset.mjs';

const config = preset(import.meta.dirname);

// fastify's `inject` (light-my-request) requires `cookie` 2, which ships ES modules only. Jest
// runs tests as CommonJS and can load ESM from `require` only under --experimental-vm-modules,
// so that one package is compiled to CommonJS by SWC like our own sources.
const esmOnly = ['cookie'];
const esmTransform = {
  [`/node_modules/(${esmOnly.join('|')})/.+\\.js$`]: [
    '@swc/jest',
    { jsc: { target: 'es2023' }, module: { type: 'commonjs' } },
  ],
};

export default {
  ...config,
  projects: config.projects.map((project) => ({
    ...project,
    transform: { ...project.transform, ...esmTransform },
    transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  })),
};
