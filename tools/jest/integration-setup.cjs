// Jest globalSetup of the integration tier: make sure the shared local broker runs (the start
// script is idempotent and installs Kafka into the cache on first use), unless KAFKA_BROKERS
// points at an external cluster.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = async function integrationSetup() {
  if (process.env.KAFKA_BROKERS) return;
  const root = join(__dirname, '..', '..');
  execFileSync('bash', [join(root, 'deploy/local/kafka/start.sh')], {
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 300_000,
  });
};
