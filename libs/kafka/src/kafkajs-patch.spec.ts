/**
 * patches/kafkajs+2.2.4.patch rewrites kafkajs' produce-path encoder for speed (exact-size
 * `Buffer.allocUnsafe` buffers, in-place varints, Long-free varlongs, headers written in place,
 * one buffer per record batch and per request, slicing-by-8 CRC32C, murmur2 in 32-bit integer
 * arithmetic). It must not change a single byte on the wire, nor the partition of any key.
 * These tests compare the patched modules with a transcription of the unpatched kafkajs 2.2.4
 * algorithm (below, `reference*`), for whole Produce v3 requests with and without headers, null
 * keys and values, large values, gzip, and for the primitives; murmur2 with the original
 * function (kept in the patched module as `unpatched`) and Kafka's own test vectors.
 */
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';

type Headers = Record<string, string | Buffer | (string | Buffer)[]>;
interface Message {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Headers;
  timestamp?: string;
}
interface PartitionData {
  partition: number;
  firstSequence: number;
  messages: Message[];
}
interface TopicData {
  topic: string;
  partitions: PartitionData[];
}
interface EncoderLike {
  buffer: Buffer;
  size: () => number;
}
interface ProduceArgs {
  acks: number;
  timeout: number;
  transactionalId: string | null;
  producerId: unknown;
  producerEpoch: number;
  compression: number;
  topicData: TopicData[];
}

// kafkajs' internals have no types (and no `exports` map): load them as CommonJS.
const load = createRequire(`${process.cwd()}/`);
const produceV3 = load('kafkajs/src/protocol/requests/produce/v3/request.js') as (
  args: ProduceArgs,
) => { apiKey: number; apiVersion: number; encode: () => Promise<EncoderLike> };
const createRequest = load('kafkajs/src/protocol/request.js') as (args: {
  correlationId: number;
  clientId: string;
  request: ReturnType<typeof produceV3>;
}) => Promise<EncoderLike>;
const Record = load('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (args: {
  offsetDelta?: number;
  timestampDelta?: number;
  key?: unknown;
  value?: unknown;
  headers?: unknown;
}) => EncoderLike;
const crc32C = load('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number;
const Encoder = load('kafkajs/src/protocol/encoder.js') as {
  new (): EncoderLike & {
    writeVarInt: (v: number) => EncoderLike;
    writeUVarInt: (v: number) => EncoderLike;
    writeVarLong: (v: unknown) => EncoderLike;
  };
  sizeOfVarLong: (v: unknown) => number;
};
const murmur2 = load('kafkajs/src/producer/partitioners/default/murmur2.js') as {
  (key: string | Buffer): number;
  unpatched: (key: string | Buffer) => number;
};
const Long = load('kafkajs/src/utils/long.js') as { fromInt: (n: number) => unknown };

// ---- the unpatched kafkajs 2.2.4 algorithm ---------------------------------------------------
// Encoder: zero-filled buffer grown to the next power of two; varints collected in an array;
// varlongs in 64-bit (BigInt) arithmetic, zig-zag `(v << 1) ^ (v >> 63)`, as kafkajs' Long does.

class ReferenceEncoder {
  buf = Buffer.alloc(512);
  offset = 0;
  get buffer(): Buffer {
    return this.buf.subarray(0, this.offset);
  }
  private ensure(length: number): void {
    if (this.offset + length > this.buf.length) {
      const grown = Buffer.alloc(1 << (31 - Math.clz32(this.offset + length) + 1));
      this.buf.copy(grown, 0, 0, this.offset);
      this.buf = grown;
    }
  }
  bytes(b: Buffer): this {
    this.ensure(b.length);
    b.copy(this.buf, this.offset);
    this.offset += b.length;
    return this;
  }
  int8(v: number): this {
    this.ensure(1);
    this.offset = this.buf.writeInt8(v, this.offset);
    return this;
  }
  int16(v: number): this {
    this.ensure(2);
    this.offset = this.buf.writeInt16BE(v, this.offset);
    return this;
  }
  int32(v: number): this {
    this.ensure(4);
    this.offset = this.buf.writeInt32BE(v, this.offset);
    return this;
  }
  uint32(v: number): this {
    this.ensure(4);
    this.offset = this.buf.writeUInt32BE(v, this.offset);
    return this;
  }
  int64(v: bigint): this {
    this.ensure(8);
    this.offset = this.buf.writeBigInt64BE(BigInt.asIntN(64, v), this.offset);
    return this;
  }
  string(v: string | null): this {
    if (v === null) return this.int16(-1);
    const b = Buffer.from(v, 'utf8');
    return this.int16(b.length).bytes(b);
  }
  uvarint(value: number): this {
    const out: number[] = [];
    while ((value & 0xffffff80) !== 0) {
      out.push((value & 0x7f) | 0x80);
      value >>>= 7;
    }
    out.push(value & 0x7f);
    return this.bytes(Buffer.from(out));
  }
  varint(v: number): this {
    return this.uvarint((v << 1) ^ (v >> 31));
  }
  varlong(v: bigint): this {
    const out: number[] = [];
    let z = (v << 1n) ^ (v >> 63n);
    while ((z & 0xffffffffffffff80n) !== 0n) {
      out.push(Number((z & 0x7fn) | 0x80n));
      z >>= 7n;
    }
    out.push(Number(BigInt.asIntN(32, z)));
    return this.bytes(Buffer.from(out));
  }
  varintBytes(v: string | Buffer | null | undefined): this {
    if (v == null) return this.varint(-1);
    const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
    return this.varint(b.length).bytes(b);
  }
}

const sizeOfVarInt = (v: number) => new ReferenceEncoder().varint(v).offset;
const sizeOfVarLong = (v: bigint) => new ReferenceEncoder().varlong(v).offset;
const sizeOfVarIntBytes = (v: string | Buffer | null | undefined) =>
  new ReferenceEncoder().varintBytes(v).offset;

function referenceRecord(m: Message, offsetDelta: number, timestampDelta: number): Buffer {
  const headers = Object.entries(m.headers ?? {}).flatMap(([key, value]) =>
    (Array.isArray(value) ? value : [value]).map((v) => ({ key, value: v })),
  );
  const headerBytes = headers.map(
    (h) => new ReferenceEncoder().varintBytes(h.key).varintBytes(h.value).buffer,
  );
  const sizeOfBody =
    1 +
    sizeOfVarLong(BigInt(timestampDelta)) +
    sizeOfVarInt(offsetDelta) +
    sizeOfVarIntBytes(m.key) +
    sizeOfVarIntBytes(m.value) +
    sizeOfVarInt(headers.length) +
    headerBytes.reduce((n, b) => n + b.length, 0);
  const e = new ReferenceEncoder()
    .varint(sizeOfBody)
    .int8(0)
    .varlong(BigInt(timestampDelta))
    .varint(offsetDelta)
    .varintBytes(m.key)
    .varintBytes(m.value)
    .varint(headers.length);
  for (const b of headerBytes) e.bytes(b);
  return e.buffer;
}

// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), one byte at a time, own table.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  return c >>> 0;
});
function referenceCrc32C(b: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of b) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const NOW = 1_763_800_005_000;
const PRODUCER_ID = 4242n;

function referenceBatch(p: PartitionData, args: ProduceArgs): Buffer {
  const timestamps = p.messages
    .map((m) => m.timestamp)
    .filter((t): t is string => t != null)
    .sort();
  const first = Number(timestamps[0] ?? NOW);
  const max = Number(timestamps[timestamps.length - 1] ?? NOW);
  const records = p.messages.map((m, i) =>
    referenceRecord(m, i, (m.timestamp ? Number(m.timestamp) : NOW) - first),
  );
  const body = new ReferenceEncoder()
    .int16((args.compression & 0x07) | (args.transactionalId ? 16 : 0))
    .int32(records.length - 1)
    .int64(BigInt(first))
    .int64(BigInt(max))
    .int64(PRODUCER_ID)
    .int16(args.producerEpoch)
    .int32(p.firstSequence)
    .int32(records.length);
  body.bytes(args.compression === 1 ? gzipSync(Buffer.concat(records)) : Buffer.concat(records));
  const batch = new ReferenceEncoder()
    .int32(0)
    .int8(2)
    .uint32(referenceCrc32C(body.buffer))
    .bytes(body.buffer).buffer;
  return new ReferenceEncoder().int64(0n).int32(batch.length).bytes(batch).buffer;
}

function referenceRequest(args: ProduceArgs, correlationId: number, clientId: string): Buffer {
  const payload = new ReferenceEncoder()
    .string(args.transactionalId)
    .int16(args.acks)
    .int32(args.timeout)
    .int32(args.topicData.length);
  for (const t of args.topicData) {
    payload.string(t.topic).int32(t.partitions.length);
    for (const p of t.partitions) {
      const batch = referenceBatch(p, args);
      payload.int32(p.partition).int32(batch.length).bytes(batch);
    }
  }
  const body = new ReferenceEncoder()
    .int16(0) // Produce
    .int16(3)
    .int32(correlationId)
    .string(clientId)
    .bytes(payload.buffer).buffer;
  return new ReferenceEncoder().int32(body.length).bytes(body).buffer;
}

// ---- the patched modules --------------------------------------------------------------------

async function patchedRequest(args: Omit<ProduceArgs, 'producerId'>, correlationId: number) {
  const request = produceV3({ ...args, producerId: Long.fromInt(Number(PRODUCER_ID)) });
  return (await createRequest({ correlationId, clientId: 'spec', request })).buffer;
}

const produceArgs = (topicData: TopicData[], over: Partial<ProduceArgs> = {}): ProduceArgs => ({
  acks: -1,
  timeout: 30_000,
  transactionalId: 'dedupe-0',
  producerId: null,
  producerEpoch: 3,
  compression: 0,
  topicData,
  ...over,
});

async function expectSameRequest(args: ProduceArgs, correlationId = 7): Promise<Buffer> {
  const patched = await patchedRequest(args, correlationId);
  const reference = referenceRequest(args, correlationId, 'spec');
  expect(patched.toString('hex')).toBe(reference.toString('hex'));
  return patched;
}

// ---- generators -----------------------------------------------------------------------------

const bytesOrString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
);
const headersArb: fc.Arbitrary<Headers> = fc.dictionary(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
  fc.oneof(bytesOrString, fc.array(bytesOrString, { maxLength: 3 })),
  { maxKeys: 10 },
);
const messageArb: fc.Arbitrary<Message> = fc.record(
  {
    key: fc.oneof(fc.constant(null), bytesOrString),
    value: fc.oneof(
      fc.constant(null),
      bytesOrString,
      fc.string({ unit: 'grapheme', maxLength: 600 }),
      fc.nat({ max: 4_000 }).map((n) => Buffer.alloc(n, n % 251)),
    ),
    headers: headersArb,
    timestamp: fc
      .integer({ min: -3_600_000, max: 3_600_000 })
      .map((d) => String(1_763_800_000_000 + d)),
  },
  { requiredKeys: ['value'] },
);
const topicDataArb: fc.Arbitrary<TopicData[]> = fc.array(
  fc.record({
    topic: fc.string({ minLength: 1, maxLength: 30 }),
    partitions: fc.array(
      fc.record({
        partition: fc.nat({ max: 63 }),
        firstSequence: fc.nat({ max: 2 ** 31 - 1 }),
        messages: fc.array(messageArb, { maxLength: 12 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  }),
  { minLength: 1, maxLength: 2 },
);

// ---- tests ----------------------------------------------------------------------------------

describe('patched kafkajs produce encoder', () => {
  beforeEach(() => {
    jest.spyOn(Date, 'now').mockReturnValue(NOW);
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('encodes the request unpatched kafkajs 2.2.4 encoded, byte for byte (golden)', async () => {
    // Produced by the unmodified kafkajs 2.2.4 package (npm pack kafkajs@2.2.4) for exactly this
    // input, Date.now() = NOW, correlation id 99, client id `golden`.
    const golden =
      'AAACsQAAAAMAAABjAAZnb2xkZW4ACGRlZHVwZS0w//8AAHUwAAAAAgANcGlwZWxpbmUuam9icwAAAAIAAAAAAAAByg' +
      'AAAAAAAAAAAAABvgAAAAAC3TnGDwAQAAAAAgAAAZqqrCYAAAABmqqsKegAAAAAAAAQkgADAAAABwAAAAOUAQAAAApq' +
      'b2ItMTh7ImlkIjoiMSIsInByb21wdCI6ImjDqWxsbyJ9CApjZV9pZAIxDHRlbmFudAZ0LWEKdHJhY2UCYQp0cmFjZQ' +
      `JiDgD0AwIBAQDuBADQDwQGAAEC2AR4${'eHh4'.repeat(99)}eHgAAAAAAwAAAEYAAAAAAAAA` +
      'AAAAADoAAAAAApgzYZgAEAAAAAAAAAGaqqwiGAAAAZqqrCIYAAAAAAAAEJIAAwAAAAAAAAABEAAAAAJrAnYAAA9waX' +
      'BlbGluZS5zdGF0dXMAAAABAAAAAQAAAD0AAAAAAAAAAAAAADEAAAAAAtBNqwoAEP////8AAAGaqqw5iAAAAZqqrDmI' +
      'AAAAAAAAEJIAAwAAAAIAAAAA';
    const request = produceV3({
      acks: -1,
      timeout: 30_000,
      transactionalId: 'dedupe-0',
      producerId: Long.fromInt(4242),
      producerEpoch: 3,
      compression: 0,
      topicData: [
        {
          topic: 'pipeline.jobs',
          partitions: [
            {
              partition: 0,
              firstSequence: 7,
              messages: [
                {
                  key: 'job-1',
                  value: '{"id":"1","prompt":"héllo"}',
                  timestamp: '1763800000000',
                  headers: {
                    ce_id: '1',
                    tenant: Buffer.from('t-a'),
                    trace: ['a', Buffer.from('b')],
                  },
                },
                { key: null, value: null, timestamp: '1763800000250', headers: {} },
                { key: Buffer.from([0, 1, 2]), value: 'x'.repeat(300), timestamp: '1763800001000' },
              ],
            },
            {
              partition: 3,
              firstSequence: 0,
              messages: [{ key: 'k', value: 'v', timestamp: '1763799999000' }],
            },
          ],
        },
        {
          topic: 'pipeline.status',
          partitions: [{ partition: 1, firstSequence: 2, messages: [] }],
        },
      ],
    });
    const encoded = await createRequest({ correlationId: 99, clientId: 'golden', request });
    expect(encoded.buffer.toString('base64')).toBe(golden);
  });

  it('matches the unpatched algorithm for random requests (headers, null keys/values, unicode)', async () => {
    await fc.assert(
      fc.asyncProperty(topicDataArb, fc.boolean(), async (topicData, transactional) => {
        await expectSameRequest(
          produceArgs(topicData, { transactionalId: transactional ? 'tx-1' : null }),
        );
      }),
      { numRuns: 100 },
    );
  });

  it('matches it with gzip compression', async () => {
    await fc.assert(
      fc.asyncProperty(topicDataArb, async (topicData) => {
        await expectSameRequest(produceArgs(topicData, { compression: 1 }));
      }),
      { numRuns: 40 },
    );
  });

  it('matches it for records without headers and without timestamps (Date.now)', async () => {
    const messages: Message[] = Array.from({ length: 50 }, (_, i) => ({
      key: i % 3 === 0 ? null : `k${i}`,
      value: i % 5 === 0 ? null : Buffer.from(`value-${i}`),
    }));
    await expectSameRequest(
      produceArgs([{ topic: 't', partitions: [{ partition: 0, firstSequence: 0, messages }] }]),
    );
  });

  it('matches it for large values: 1 MB string, 300 KB buffer, 9 headers each, gzip or not', async () => {
    const headers = Object.fromEntries(
      Array.from({ length: 9 }, (_, i) => [`h${i}`, `value-${i}-é`]),
    );
    const messages: Message[] = [
      { key: 'big', value: 'ü'.repeat(500_000), headers, timestamp: '1763800000000' },
      { key: 'buf', value: Buffer.alloc(300_000, 7), headers, timestamp: '1763800000001' },
      { key: null, value: null, headers, timestamp: '1763800000002' },
    ];
    const topicData = [
      { topic: 'pipeline.jobs', partitions: [{ partition: 2, firstSequence: 9, messages }] },
    ];
    const plain = await expectSameRequest(produceArgs(topicData));
    expect(plain.length).toBeGreaterThan(1_300_000);
    await expectSameRequest(produceArgs(topicData, { compression: 1 }));
  });

  it('encodes each record like the unpatched Record, with extreme timestamp and offset deltas', () => {
    const deltas = [
      0,
      1,
      -1,
      63,
      64,
      -64,
      -65,
      2 ** 31 - 1,
      -(2 ** 31),
      2 ** 40,
      -(2 ** 52) + 1,
      2 ** 52 - 1,
      2 ** 52,
      -(2 ** 52),
      2 ** 53 - 1,
    ];
    for (const timestampDelta of deltas) {
      for (const offsetDelta of [0, 1, 127, 128, 16_383, 16_384, 2 ** 31 - 1]) {
        const message: Message = { key: 'k', value: 'v', headers: { a: 'b' } };
        const patched = Record({ ...message, offsetDelta, timestampDelta }).buffer;
        expect(patched.toString('hex')).toBe(
          referenceRecord(message, offsetDelta, timestampDelta).toString('hex'),
        );
      }
    }
  });

  it('still refuses what the unpatched Record refused (a null header value)', () => {
    // Buffer.byteLength's ERR_INVALID_ARG_TYPE (a TypeError of Node's realm, not Jest's)
    const invalid = /argument must be of type string or an instance of Buffer/;
    expect(() => Record({ key: 'k', value: 'v', headers: { a: null } })).toThrow(invalid);
    expect(() => Record({ key: 'k', value: 'v', headers: { a: 5 } })).toThrow(invalid);
  });

  it('writes varints and varlongs like the unpatched encoder, with and without the fast path', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer(),
          fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
          fc.constantFrom(0, -1, 2 ** 52, -(2 ** 52), 2 ** 52 - 1, -(2 ** 52) + 1),
        ),
        (n) => {
          const varlong = new Encoder().writeVarLong(n).buffer;
          expect(varlong.toString('hex')).toBe(
            new ReferenceEncoder().varlong(BigInt(n)).buffer.toString('hex'),
          );
          expect(Encoder.sizeOfVarLong(n)).toBe(varlong.length);
          if (Math.abs(n) <= 2 ** 31) {
            expect(new Encoder().writeVarInt(n).buffer.toString('hex')).toBe(
              new ReferenceEncoder().varint(n).buffer.toString('hex'),
            );
            expect(new Encoder().writeUVarInt(n).buffer.toString('hex')).toBe(
              new ReferenceEncoder().uvarint(n).buffer.toString('hex'),
            );
          }
        },
      ),
      { numRuns: 1_000 },
    );
    // 64-bit values (Long path) are unchanged too
    for (const big of [2n ** 62n, -(2n ** 62n), 2n ** 63n - 1n, -(2n ** 63n)]) {
      expect(new Encoder().writeVarLong(big).buffer.toString('hex')).toBe(
        new ReferenceEncoder().varlong(big).buffer.toString('hex'),
      );
    }
  });

  it('hashes keys (murmur2, the default partitioner) exactly as the unpatched Long version', () => {
    // Kafka's own test vectors (clients UtilsTest#testMurmur2), so partitions match the Java client
    const vectors: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of vectors) {
      expect(murmur2(Buffer.from(key))).toBe(hash);
      expect(murmur2.unpatched(Buffer.from(key))).toBe(hash);
    }
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 80 }),
          fc.uint8Array({ maxLength: 80 }).map((a) => Buffer.from(a)),
        ),
        (key) => {
          expect(murmur2(key)).toBe(murmur2.unpatched(key));
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it('computes CRC32C like the byte-at-a-time algorithm, at every length and alignment', () => {
    expect(crc32C(Buffer.from('123456789'))).toBe(0xe3069283); // the CRC-32C check value
    const data = Buffer.from(Array.from({ length: 4_200 }, (_, i) => (i * 131 + 7) % 256));
    for (let start = 0; start < 9; start += 1) {
      for (let length = 0; length < 70; length += 1) {
        const slice = data.subarray(start, start + length);
        expect(crc32C(slice)).toBe(referenceCrc32C(slice));
      }
    }
    expect(crc32C(data)).toBe(referenceCrc32C(data));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3_000 }), (a) => {
        expect(crc32C(Buffer.from(a))).toBe(referenceCrc32C(Buffer.from(a)));
      }),
      { numRuns: 300 },
    );
  });
});
