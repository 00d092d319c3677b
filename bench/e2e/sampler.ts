/**
 * Samplers of the end-to-end benchmark: CPU and RSS of processes from /proc (Linux), and
 * consumer lag per group (committed offsets vs the partitions' high watermarks).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Admin } from 'kafkajs';

let ticksPerSecond = 100;
try {
  ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
} catch {
  // keep the Linux default
}

export interface ProcSample {
  /** Epoch ms. */
  at: number;
  /** CPU seconds (user + system) since the process started. */
  cpuS: number;
  rssMb: number;
}

/** One reading of /proc/<pid>; undefined when the process is gone. */
export function readProc(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3 (state).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { at: Date.now(), cpuS: (utime + stime) / ticksPerSecond, rssMb: rssKb / 1024 };
  } catch {
    return undefined;
  }
}

export interface ProcSeries {
  name: string;
  pid: number;
  samples: ProcSample[];
}

/** Samples each process every `intervalMs` until stopped. */
export function sampleProcesses(pids: Record<string, number>, intervalMs: number) {
  const series: ProcSeries[] = Object.entries(pids).map(([name, pid]) => ({
    name,
    pid,
    samples: [],
  }));
  const tick = () => {
    for (const s of series) {
      const sample = readProc(s.pid);
      if (sample) s.samples.push(sample);
    }
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  return {
    series,
    stop() {
      clearInterval(timer);
      tick();
    },
  };
}

/** CPU (% of one core) and mean/max RSS of a series between two epoch times. */
export function usageBetween(s: ProcSeries, from: number, to: number) {
  const inside = s.samples.filter((x) => x.at >= from && x.at <= to);
  const a = inside[0];
  const b = inside.at(-1);
  if (!a || !b || b.at <= a.at) return { cpuPct: NaN, rssMeanMb: NaN, rssMaxMb: NaN };
  return {
    cpuPct: ((b.cpuS - a.cpuS) / ((b.at - a.at) / 1000)) * 100,
    rssMeanMb: inside.reduce((t, x) => t + x.rssMb, 0) / inside.length,
    rssMaxMb: Math.max(...inside.map((x) => x.rssMb)),
  };
}

export interface LagTarget {
  /** Label (the service). */
  name: string;
  groupId: string;
  topic: string;
}

export interface LagSample {
  at: number;
  /** Lag per target name (records); NaN when it could not be read. */
  lag: Record<string, number>;
}

/** Total lag of a group on a topic: sum over partitions of high watermark − committed offset. */
async function lagOf(admin: Admin, target: LagTarget, high: Map<number, [number, number]>) {
  const offsets = await admin.fetchOffsets({ groupId: target.groupId, topics: [target.topic] });
  let lag = 0;
  for (const p of offsets[0]?.partitions ?? []) {
    const [low, hw] = high.get(p.partition) ?? [0, 0];
    const committed = Number(p.offset);
    // No commit yet: everything still on the partition is lag.
    lag += Math.max(0, hw - (committed >= 0 ? committed : low));
  }
  return lag;
}

/** Samples every target's lag every `intervalMs` (one fetchTopicOffsets per topic per tick). */
export function sampleLag(admin: Admin, targets: LagTarget[], intervalMs: number) {
  const samples: LagSample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      const lag: Record<string, number> = {};
      try {
        const highs = new Map<string, Map<number, [number, number]>>();
        for (const topic of new Set(targets.map((t) => t.topic))) {
          const offsets = await admin.fetchTopicOffsets(topic);
          highs.set(
            topic,
            new Map(offsets.map((o) => [o.partition, [Number(o.low), Number(o.high)]])),
          );
        }
        for (const target of targets) {
          lag[target.name] = await lagOf(admin, target, highs.get(target.topic) ?? new Map());
        }
      } catch {
        for (const target of targets) lag[target.name] ??= NaN;
      }
      samples.push({ at: started, lag });
      const wait = intervalMs - (Date.now() - started);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  })();
  return {
    samples,
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** Least-squares slope of y over x. */
export function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((t, [x]) => t + x, 0) / n;
  const my = points.reduce((t, [, y]) => t + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}
