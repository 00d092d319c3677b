// Jest globalSetup of the integration tier: make sure the shared local broker runs (the start
// script is idempotent and installs Kafka into the cache on first use), unless KAFKA_BROKERS
// points at an external cluster; then open this run's record of test names, which
// integration-teardown.cjs uses to delete the run's topics and consumer groups.
// (Required here, while Jest's transform of this file's requires is active: the lib is TypeScript.)
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');
const { openTestResourceRecord } = require('../../libs/testing/src/cleanup.ts');

module.exports = async function integrationSetup() {
  if (!process.env.KAFKA_BROKERS) {
    const root = join(__dirname, '..', '..');
    execFileSync('bash', [join(root, 'deploy/local/kafka/start.sh')], {
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 300_000,
    });
  }
  // One record per Jest process, also when one config holds several integration projects. The
  // global (not the environment variable, which a parent Jest run may have passed down) says
  // which record is this process's; the teardown reads it.
  // Without a record, the run only keeps its topics: never a reason to fail it.
  try {
    globalThis.__pipelineTestResources ??= openTestResourceRecord();
  } catch (error) {
    console.warn(
      `integration setup: no record of test names, topics will be kept: ${error?.message ?? error}`,
    );
  }
};
