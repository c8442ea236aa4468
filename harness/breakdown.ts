// The cycle-breakdown tables: where each run's transfer-window cycles went, per MiB moved, by
// category (guest kernel, guest user, wedge, hypervisor, device access, interrupt and exception
// entry, idle), and the hypervisor's share by operation. Read from figures.window.cycles
// (results schema version 2); a run without it (an older file) shows "—".
import type { CycleBreakdown } from '../emulator/cpu/cycle-ledger.ts';
import type { NetperfFigures, RunResult } from './results.ts';

/** The table's columns: a category's name in the results, its heading. */
export const BREAKDOWN_COLUMNS = [
  ['guest_kernel', 'guest kernel'],
  ['guest_user', 'guest user'],
  ['wedge', 'wedge'],
  ['hypervisor', 'hypervisor'],
  ['device', 'device access'],
  ['interrupt_entry', 'interrupt entry'],
  ['exception_entry', 'exception entry'],
  ['busy', 'busy'],
  ['idle', 'idle'],
] as const;
export type BreakdownColumn = (typeof BREAKDOWN_COLUMNS)[number][0];

export interface BreakdownRow {
  configuration: string;
  title: string;
  direction: string;
  /** Cycles per MiB (2^20 bytes moved) by column, or null when the run has no breakdown. */
  perMiB: Record<BreakdownColumn, number> | null;
  /** Hypervisor cycles per MiB by operation, largest first. */
  hypervisor: [string, number][];
}

/** Per-MiB figures of one run's window, or null without a breakdown or bytes. */
export function perMiB(f: NetperfFigures | null): { perMiB: Record<BreakdownColumn, number>; hypervisor: [string, number][] } | null {
  const c: CycleBreakdown | undefined = f?.window?.cycles;
  if (!f || !c || f.bytes <= 0) return null;
  const mib = f.bytes / 2 ** 20;
  const hyper = Object.values(c.hypervisor).reduce((a, b) => a + b, 0);
  const busy = c.total - c.idle;
  const row: Record<BreakdownColumn, number> = {
    guest_kernel: c.guest_kernel / mib, guest_user: c.guest_user / mib, wedge: c.wedge / mib, hypervisor: hyper / mib,
    device: c.device / mib, interrupt_entry: c.interrupt_entry / mib, exception_entry: c.exception_entry / mib,
    busy: busy / mib, idle: c.idle / mib,
  };
  const ops = Object.entries(c.hypervisor).map(([op, n]): [string, number] => [op, n / mib]);
  ops.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return { perMiB: row, hypervisor: ops };
}

/** One row per configuration and direction, in the order given. */
export function breakdownRows(rows: { configuration: string; title: string; runs: { direction: string; run: RunResult | undefined }[] }[]): BreakdownRow[] {
  const out: BreakdownRow[] = [];
  for (const r of rows) {
    for (const { direction, run } of r.runs) {
      if (!run) continue;
      const p = perMiB(run.status === 'ok' ? run.figures! : null);
      out.push({ configuration: r.configuration, title: r.title, direction, perMiB: p?.perMiB ?? null, hypervisor: p?.hypervisor ?? [] });
    }
  }
  return out;
}

function whole(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : Math.round(v).toString();
}

export function breakdownMarkdown(rows: BreakdownRow[]): string {
  const head = ['configuration', 'direction', ...BREAKDOWN_COLUMNS.map(([, h]) => h)];
  const lines = [`| ${head.join(' | ')} |`, `|---|---|${BREAKDOWN_COLUMNS.map(() => '---:').join('|')}|`];
  for (const r of rows) lines.push(`| ${r.title} | ${r.direction} | ${BREAKDOWN_COLUMNS.map(([k]) => whole(r.perMiB?.[k])).join(' | ')} |`);
  return lines.join('\n') + '\n';
}

/** Hypervisor cycles per MiB by operation: one line per row that has any. */
export function hypervisorMarkdown(rows: BreakdownRow[]): string {
  const lines = ['| configuration | direction | hypervisor cycles per MiB by operation |', '|---|---|---|'];
  for (const r of rows) {
    if (r.hypervisor.length === 0) continue;
    lines.push(`| ${r.title} | ${r.direction} | ${r.hypervisor.map(([op, n]) => `${op} ${whole(n)}`).join('; ')} |`);
  }
  return lines.length > 2 ? lines.join('\n') + '\n' : '';
}

export function breakdownCsv(rows: BreakdownRow[]): string {
  const head = ['configuration', 'direction', ...BREAKDOWN_COLUMNS.map(([k]) => `${k}_cycles_per_mib`), 'hypervisor_by_operation'];
  const q = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const body = rows.map((r) => [r.configuration, r.direction, ...BREAKDOWN_COLUMNS.map(([k]) => (r.perMiB ? Math.round(r.perMiB[k]).toString() : '')),
    r.hypervisor.map(([op, n]) => `${op}=${Math.round(n)}`).join(';')].map(q).join(','));
  return [head.join(','), ...body].join('\n') + '\n';
}
