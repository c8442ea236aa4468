// The peer's CPU: the slides' netperf client, a 1.4 GHz Pentium 4 running Linux 2.4, as a small
// cost profile (client-p4-1.4ghz.json): cycles per frame received and per frame sent, plus a copy
// cost per KiB of payload. The host (host.ts) runs every frame through one CPU timeline, so what
// the client can process paces what it sends and acknowledges: a cost, not a throughput cap.
import { readFileSync } from 'node:fs';

export interface ClientCpu {
  name: string;
  mhz: number;
  rxFrame: number;
  txFrame: number;
  perKib: number;
  /** The source cited for each figure. */
  sources: Record<string, string>;
}

const FIELDS = ['rx_frame', 'tx_frame', 'per_kib'] as const;

/** Loads and validates a client profile (default: the bundled client-p4-1.4ghz.json). */
export function loadClientCpu(file = new URL('./client-p4-1.4ghz.json', import.meta.url)): ClientCpu {
  const where = typeof file === 'string' ? file : file.pathname;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`);
  }
  const fail = (path: string, msg: string): never => { throw new Error(`${where}: ${path}: ${msg}`); };
  if (typeof data !== 'object' || data === null) return fail('(top level)', 'expected an object');
  const d = data as Record<string, unknown>;
  const sources: Record<string, string> = {};
  const figure = (path: string, v: unknown): number => {
    const f = v as { value?: unknown; source?: unknown } | undefined;
    if (typeof f !== 'object' || f === null) return fail(path, 'expected { "value", "source" }');
    if (typeof f.value !== 'number' || !Number.isSafeInteger(f.value) || f.value <= 0) return fail(`${path}.value`, 'expected a whole number > 0');
    if (typeof f.source !== 'string' || f.source.trim() === '') return fail(`${path}.source`, 'every figure needs a source');
    sources[path] = f.source;
    return f.value;
  };
  const costs = d.costs as Record<string, unknown> | undefined;
  if (typeof costs !== 'object' || costs === null) return fail('costs', 'expected an object');
  for (const k of Object.keys(costs)) if (!(FIELDS as readonly string[]).includes(k)) fail(`costs.${k}`, `unknown field (known: ${FIELDS.join(', ')})`);
  return {
    name: String(d.name),
    mhz: figure('cpu_mhz', d.cpu_mhz),
    rxFrame: figure('costs.rx_frame', costs.rx_frame),
    txFrame: figure('costs.tx_frame', costs.tx_frame),
    perKib: figure('costs.per_kib', costs.per_kib),
    sources,
  };
}

/** Nanoseconds the client's CPU spends on one frame carrying `payload` bytes of TCP data. */
export function clientFrameNs(c: ClientCpu, dir: 'rx' | 'tx', payload: number): number {
  const cycles = (dir === 'rx' ? c.rxFrame : c.txFrame) + (payload * c.perKib) / 1024;
  return (cycles * 1000) / c.mhz;
}
