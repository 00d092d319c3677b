import { Writable } from 'node:stream';
import { createLogger } from '@claude-pipeline/telemetry';
import kafkajs from 'kafkajs';
import { kafkaLogCreator, type KafkaLogOptions } from './log-creator.ts';

const { logLevel } = kafkajs;

/** Logs one kafkajs entry per level through the creator and returns the pino lines. */
function emitAll(options?: KafkaLogOptions): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger({ service: 's', level: 'debug', destination: out });
  const log = kafkaLogCreator(logger, options)(logLevel.DEBUG);
  for (const [name, level] of [
    ['error', logLevel.ERROR],
    ['warn', logLevel.WARN],
    ['info', logLevel.INFO],
    ['debug', logLevel.DEBUG],
  ] as const) {
    log({
      namespace: 'Consumer',
      level,
      label: name.toUpperCase(),
      log: { message: `a ${name} line`, timestamp: 'x', logger: 'kafkajs', groupId: 'g1' },
    });
  }
  return lines;
}

describe('kafkaLogCreator', () => {
  it('keeps kafkajs levels by default, with the namespace and extra fields, as the kafkajs component', () => {
    const lines = emitAll();
    expect(lines.map((l) => [l['level'], l['msg']])).toEqual([
      ['error', 'a error line'],
      ['warn', 'a warn line'],
      ['info', 'a info line'],
      ['debug', 'a debug line'],
    ]);
    expect(lines[0]).toMatchObject({ component: 'kafkajs', namespace: 'Consumer', groupId: 'g1' });
    expect(lines[0]).not.toHaveProperty('timestamp');
  });

  it('can log retried errors as warnings and INFO at debug', () => {
    const lines = emitAll({ errors: 'warn', info: 'debug' });
    expect(lines.map((l) => l['level'])).toEqual(['warn', 'warn', 'debug', 'debug']);
  });
});
