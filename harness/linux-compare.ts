// The Linux 6.1 rows against native Linux 6.1. The slides compare each para-virtual and afterburnt
// kernel with the same Linux on hardware; for Linux 6.1 there is no para-virtual kernel to put in
// the XenoLinux and L4Ka::Linux rows (Linux dropped its 32-bit Xen para-virtual guest in 5.9, and
// L4Ka::Linux, for the X.2 interface the L4 model offers, ended with 2.6), so each Linux row is
// compared with Linux 6.1 on hardware instead: its CPU over native Linux's, beside the slides'
// ratio for the same kind of configuration of their kernel (the afterburnt kernel on the same
// back-end with the same wedge, over hardware). Rows are told apart by their guest unit.
import type { NetperfRow } from './tables.ts';

export interface LinuxConfiguration { name: string; guest: string; backend: string; wedge: string | null }

export interface LinuxCompareRow {
  configuration: string;
  title: string;
  /** CPU % over native Linux's, per direction; null when either was not measured. */
  send: number | null;
  receive: number | null;
  /** The slides' ratio for the matching configuration of their kernel, or null (none in the slides). */
  slidesSend: number | null;
  slidesReceive: number | null;
  /** The matching configuration of the slides (its title), or null. */
  slidesRow: string | null;
}

const LINUX = 'linux@';
const SLIDES_KERNEL = 'guest-kernel@';

/**
 * One row per configuration of package `linux` other than native Linux on hardware (the base),
 * when the base was measured; `published` is the slides' netperf rows by configuration name.
 */
export function linuxCompare(rows: NetperfRow[], configs: LinuxConfiguration[],
  published: Record<string, { title: string; send_cpu: number; receive_cpu: number }>): LinuxCompareRow[] {
  const isLinux = (c: LinuxConfiguration): boolean => c.guest.startsWith(LINUX);
  const base = configs.find((c) => isLinux(c) && c.guest === `${LINUX}native` && c.backend === 'hardware' && !c.wedge);
  const row = (name: string): NetperfRow | undefined => rows.find((r) => r.configuration === name);
  const baseRow = base ? row(base.name) : undefined;
  if (!base || !baseRow) return [];
  const hw = published.hardware;
  const over = (a: number | null, b: number | null): number | null => (a === null || b === null || b === 0 ? null : a / b);
  return configs.filter((c) => isLinux(c) && c !== base).map((c) => {
    const r = row(c.name);
    // The slides' configuration of the same kind: their kernel's variant, back-end and wedge.
    const variant = c.guest.slice(LINUX.length);
    const wedgeKind = (w: string | null): string => (w === null ? '' : w.slice(w.indexOf('@') + 1));
    const twin = configs.find((t) => t.guest === `${SLIDES_KERNEL}${variant}` && t.backend === c.backend && wedgeKind(t.wedge) === wedgeKind(c.wedge) && t.name in published);
    const p = twin ? published[twin.name] : undefined;
    return {
      configuration: c.name,
      title: r?.title ?? c.name,
      send: over(r?.send.cpu.measured ?? null, baseRow.send.cpu.measured),
      receive: over(r?.receive.cpu.measured ?? null, baseRow.receive.cpu.measured),
      slidesSend: p && hw ? p.send_cpu / hw.send_cpu : null,
      slidesReceive: p && hw ? p.receive_cpu / hw.receive_cpu : null,
      slidesRow: p ? p.title : null,
    };
  });
}
