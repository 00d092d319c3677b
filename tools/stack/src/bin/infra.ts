/** `npm run infra:up` / `infra:down`: the local Kafka and Jaeger, and the topics. */
import { parseArgs } from 'node:util';
import { down, up } from '../infra.ts';

const { positionals } = parseArgs({ allowPositionals: true });
try {
  if (positionals[0] === 'up') {
    const result = await up();
    console.log(
      `[stack] topics: ${result.topics.created.length} created, ${result.topics.unchanged.length} already present`,
    );
  } else if (positionals[0] === 'down') {
    await down();
  } else {
    console.error('usage: node tools/stack/src/bin/infra.ts up|down');
    process.exitCode = 2;
  }
} catch (error) {
  console.error(`[stack] ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
