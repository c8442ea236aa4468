// The "device pre-virtualization" table: the configurations whose wedge emulates the DP83820 and
// sends its frames through the hypervisor's own network interface (a configuration is one when
// its name says `devvirt`), beside the direct-access rows they are measured against (bare
// hardware, the para-virtual guests, the afterburnt guest with the NIC assigned), per direction:
// MB/s, CPU, hypervisor calls per MiB moved (Xen's hypercalls, or L4's system calls and IPC
// messages, over the transfer window), and the mean batch: transmit requests the wedge handed
// the back half per notification (its event_channel_op send on Xen, its IPC on L4) over the
// window. The slides' chart for this experiment has no figures in the seed, so there is no
// slides column.
import type { NetperfFigures, RunResult } from './results.ts';

/** The direct-access rows the device rows are compared with, when the results have them. */
export const DEVVIRT_COMPARED = ['hardware', 'xenolinux', 'afterburnt-xen', 'l4ka-linux', 'afterburnt-l4'];

export interface DevvirtCell { mbs: number; cpu: number; callsPerMib: number | null; batch: number | null }
export interface DevvirtRow { configuration: string; title: string; send: DevvirtCell | null; receive: DevvirtCell | null }

function windowBackend(f: NetperfFigures): { xen?: { hypercalls?: Record<string, number> }; l4?: Record<string, unknown>; wedge?: Record<string, number> } {
  return (f.window?.backend ?? {}) as ReturnType<typeof windowBackend>;
}

/** Hypervisor calls in the window: Xen's hypercalls, or L4's system calls (IPC among them) plus
 *  the messages the kernel sends on its own (page faults, exceptions, interrupts); null on bare hardware. */
function calls(f: NetperfFigures): number | null {
  const b = windowBackend(f);
  const sum = (r: Record<string, number> | undefined): number => Object.values(r ?? {}).reduce((a, n) => a + n, 0);
  if (b.xen) return sum(b.xen.hypercalls);
  const l4 = b.l4 as { system_calls?: Record<string, number>; messages?: Record<string, number> } | undefined;
  if (l4) {
    const m = l4.messages ?? {};
    return sum(l4.system_calls) + (m.pagefault ?? 0) + (m.exception ?? 0) + (m.interrupt ?? 0);
  }
  return null;
}

function cellOf(run: RunResult | undefined): DevvirtCell | null {
  if (run?.status !== 'ok') return null;
  const f = run.figures!;
  const mib = f.bytes / 2 ** 20;
  const c = calls(f);
  const w = windowBackend(f).wedge ?? {};
  const notifications = w['netif notifications'];
  return {
    mbs: f.throughput_mib_s,
    cpu: f.cpu_percent,
    callsPerMib: c === null ? null : c / mib,
    batch: notifications ? (w['netif tx requests'] ?? 0) / notifications : null,
  };
}

/** The table's rows, or none when no device pre-virtualization run is in the results. */
export function devvirtRows(configs: { name: string; title: string }[], run: (name: string, direction: 'send' | 'receive') => RunResult | undefined): DevvirtRow[] {
  const device = configs.filter((c) => c.name.includes('devvirt'));
  if (!device.some((c) => run(c.name, 'send') || run(c.name, 'receive'))) return [];
  const measured = (c: { name: string } | undefined): c is { name: string; title: string } => !!c && !!(run(c.name, 'send') || run(c.name, 'receive'));
  const compared = DEVVIRT_COMPARED.map((n) => configs.find((c) => c.name === n)).filter(measured);
  return [...compared, ...device].map((c) => ({
    configuration: c.name, title: c.title, send: cellOf(run(c.name, 'send')), receive: cellOf(run(c.name, 'receive')),
  }));
}

const DASH = '—';
const fix = (v: number | null | undefined, d: number): string => (v === null || v === undefined ? DASH : v.toFixed(d));

export function devvirtMarkdown(rows: DevvirtRow[]): string {
  const head = ['configuration', 'send MB/s', 'send CPU %', 'send calls/MiB', 'send batch', 'receive MB/s', 'receive CPU %', 'receive calls/MiB', 'receive batch'];
  const line = (r: DevvirtRow): string[] => [r.title,
    fix(r.send?.mbs, 2), fix(r.send?.cpu, 2), fix(r.send?.callsPerMib, 1), fix(r.send?.batch, 2),
    fix(r.receive?.mbs, 2), fix(r.receive?.cpu, 2), fix(r.receive?.callsPerMib, 1), fix(r.receive?.batch, 2)];
  return [`| ${head.join(' | ')} |`, `|---|${head.slice(1).map(() => '---:').join('|')}|`, ...rows.map((r) => `| ${line(r).join(' | ')} |`)].join('\n') + '\n';
}

export function devvirtCsv(rows: DevvirtRow[]): string {
  const v = (x: number | null | undefined, d: number): string => (x === null || x === undefined ? '' : x.toFixed(d));
  return ['configuration,send_mb_s,send_cpu_percent,send_calls_per_mib,send_batch,receive_mb_s,receive_cpu_percent,receive_calls_per_mib,receive_batch',
    ...rows.map((r) => [r.configuration, v(r.send?.mbs, 3), v(r.send?.cpu, 2), v(r.send?.callsPerMib, 2), v(r.send?.batch, 3),
      v(r.receive?.mbs, 3), v(r.receive?.cpu, 2), v(r.receive?.callsPerMib, 2), v(r.receive?.batch, 3)].join(','))].join('\n') + '\n';
}
