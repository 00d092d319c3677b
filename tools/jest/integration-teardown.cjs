// Jest globalTeardown of the integration tier: after the whole run of this project, delete the
// topics and consumer groups its tests created on the shared broker, i.e. those whose names embed
// a token `uniqueName` recorded in this run's file (see libs/testing/src/cleanup.ts). Topics of
// the pipeline itself, of benchmarks and of other Jest runs going on at the same time carry no
// such token and stay. Never fails the run: a problem is one warning line (the record is then
// kept). PIPELINE_KEEP_TEST_RESOURCES=1 keeps everything, to look at a failed run's topics.
// (Required at load time, while Jest's transform of this file's requires is active.)
const { cleanupTestRun } = require('../../libs/testing/src/cleanup.ts');

module.exports = async function integrationTeardown() {
  const file = globalThis.__pipelineTestResources;
  if (typeof file !== 'string') return;
  globalThis.__pipelineTestResources = undefined;
  if (process.env.PIPELINE_KEEP_TEST_RESOURCES) {
    console.warn(`integration teardown: test topics and groups kept (record: ${file})`);
    return;
  }
  try {
    const { ok, line } = await cleanupTestRun(file);
    (ok ? console.log : console.warn)(`integration teardown: ${line}`);
  } catch (error) {
    console.warn(`integration teardown: cleanup failed: ${error?.message ?? error}`);
  }
};
