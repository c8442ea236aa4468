// The slides' three tables regenerated from results files alone: netperf results, netperf
// instruction expansion and the wedge's lines of code, each figure beside the slides' published
// one (harness/published.json) with the ratio measured / published. A figure that was not
// measured is "—", and so is its ratio; nothing is filled in from elsewhere. Beside them, the
// cycle breakdown of each run's window per MiB (breakdown.ts), which explains the CPU column.
import { barChartSvg } from './svg.ts';
import { published, type PublishedExpansionRow } from './published.ts';
import { linuxCompare, type LinuxCompareRow } from './linux-compare.ts';
import { ResultsError, runId, type NetperfFigures, type Results, type RunResult } from './results.ts';
import { breakdownRows, breakdownMarkdown, hypervisorMarkdown, breakdownCsv, type BreakdownRow } from './breakdown.ts';
import { devvirtRows, devvirtMarkdown, devvirtCsv, type DevvirtRow } from './devvirt.ts';

export const DASH = '—';

/** A cell: the measured value, the slides' value and their ratio (null when either is missing). */
export interface Cell { measured: number | null; slides: number | null; ratio: number | null }

export function ratio(measured: number | null, slides: number | null): number | null {
  return measured === null || slides === null || slides === 0 ? null : measured / slides;
}

function cell(measured: number | null, slides: number | null): Cell {
  return { measured, slides, ratio: ratio(measured, slides) };
}

export interface NetperfRow { configuration: string; title: string; notRun: string | null; send: { mbs: Cell; cpu: Cell }; receive: { mbs: Cell; cpu: Cell } }
/** One operation of the expansion table: per column (configuration) its count and per-interrupt cells beside the slides'. */
export interface ExpansionRow { operation: string; count: Cell[]; perInterrupt: Cell[] }
/** One measured column of the expansion table: a configuration's run of the expansion workload, less its reference. */
export interface ExpansionColumn {
  configuration: string;
  title: string;
  run: string;
  /** Bytes the difference moved (the transfer less the reference), null when not measured. */
  bytes: number | null;
  /** Hardware interrupts of the difference, all lines: the per-interrupt denominator. */
  interrupts: number | null;
  notRun: string | null;
}
export interface LocRow { component: string; title: string; headers: Cell; sources: Cell }

export interface Tables {
  transferBytes: number;
  profile: string;
  netperf: NetperfRow[];
  /** Each run's window cycles per MiB by category, rows in the netperf table's order, send then receive. */
  breakdown: BreakdownRow[];
  /** The Linux 6.1 rows over native Linux 6.1 (no para-virtual Linux 6.1 exists to compare with). */
  linux: LinuxCompareRow[];
  /** Device pre-virtualization beside the direct-access rows (devvirt.ts); empty without such runs. */
  devvirt: DevvirtRow[];
  expansion: { workload: string; columns: ExpansionColumn[]; rows: ExpansionRow[] };
  loc: { rule: string | null; rows: LocRow[] };
}

/** Runs of several results files, by configuration/workload; the same run in two files is an error. */
function collectRuns(files: { path: string; results: Results }[]): Map<string, RunResult> {
  const runs = new Map<string, RunResult>();
  const from = new Map<string, string>();
  for (const { path, results } of files) {
    for (const run of results.runs) {
      const id = runId(run);
      if (from.has(id)) throw new ResultsError(`${path}: run ${id} is also in ${from.get(id)}; give each run once`);
      runs.set(id, run);
      from.set(id, path);
    }
  }
  return runs;
}

function sumSensitive(sensitive: Record<string, number[]>, names: string[]): number {
  let n = 0;
  for (const name of names) for (const c of sensitive[name] ?? []) n += c;
  return n;
}

export function buildTables(files: { path: string; results: Results }[]): Tables {
  if (files.length === 0) throw new ResultsError('no results files given');
  const runs = collectRuns(files);
  const first = files[0]!.results;
  for (const { path, results } of files.slice(1)) {
    if (results.bench.transfer_bytes !== first.bench.transfer_bytes || results.bench.profile !== first.bench.profile) {
      throw new ResultsError(`${path}: measured with transfer ${results.bench.transfer_bytes} bytes and profile ${results.bench.profile}, but ${files[0]!.path} with ${first.bench.transfer_bytes} and ${first.bench.profile}; one table needs one setup`);
    }
  }
  const pub = published();
  const configs = new Map<string, string>();
  for (const { results } of files) for (const c of results.bench.configurations) if (!configs.has(c.name)) configs.set(c.name, c.title);
  const workloads = files.flatMap((f) => f.results.bench.workloads);
  const sendW = workloads.find((w) => w.kind === 'netperf' && w.direction === 'send')?.name;
  const recvW = workloads.find((w) => w.kind === 'netperf' && w.direction === 'receive')?.name;

  // The slides' rows first, in their order, then any further configuration of the results.
  const names = [...Object.keys(pub.netperf), ...[...configs.keys()].filter((n) => !(n in pub.netperf))];
  const netperf: NetperfRow[] = names.map((name) => {
    const p = pub.netperf[name];
    const get = (w: string | undefined): RunResult | undefined => (w ? runs.get(`${name}/${w}`) : undefined);
    const s = get(sendW);
    const r = get(recvW);
    const fig = (run: RunResult | undefined): NetperfFigures | null => (run?.status === 'ok' ? run.figures! : null);
    const reasons = [s, r].filter((x) => x?.status === 'not run').map((x) => x!.reason!);
    return {
      configuration: name,
      title: configs.get(name) ?? p?.title ?? name,
      notRun: !s && !r ? 'not in these results' : reasons[0] ?? null,
      send: { mbs: cell(fig(s)?.throughput_mib_s ?? null, p?.send_mb_s ?? null), cpu: cell(fig(s)?.cpu_percent ?? null, p?.send_cpu ?? null) },
      receive: { mbs: cell(fig(r)?.throughput_mib_s ?? null, p?.receive_mb_s ?? null), cpu: cell(fig(r)?.cpu_percent ?? null, p?.receive_cpu ?? null) },
    };
  });

  const breakdown = breakdownRows(netperf.map((row) => ({
    configuration: row.configuration, title: row.title,
    runs: [{ direction: 'send', run: sendW ? runs.get(`${row.configuration}/${sendW}`) : undefined }, { direction: 'receive', run: recvW ? runs.get(`${row.configuration}/${recvW}`) : undefined }],
  })));

  const allConfigs = files.flatMap((f) => f.results.bench.configurations).filter((c, i, a) => a.findIndex((x) => x.name === c.name) === i);
  const linux = linuxCompare(netperf, allConfigs, pub.netperf);
  const devvirt = devvirtRows(netperf.map((r) => ({ name: r.configuration, title: r.title })),
    (name, direction) => { const w = direction === 'send' ? sendW : recvW; return w ? runs.get(`${name}/${w}`) : undefined; });

  const exp = first.bench.expansion;
  const columns = exp.configurations.map((name): ExpansionColumn & { figures: NonNullable<NetperfFigures['expansion']> | null } => {
    const id = `${name}/${exp.workload}`;
    const run = runs.get(id);
    const ef = run?.status === 'ok' ? run.figures!.expansion ?? null : null;
    return {
      configuration: name, title: configs.get(name) ?? pub.netperf[name]?.title ?? name, run: id, figures: ef,
      bytes: ef ? first.bench.transfer_bytes - ef.reference_bytes : null,
      interrupts: ef ? Object.values(ef.interrupts).reduce((a, b) => a + b, 0) : null,
      notRun: !run ? 'not in these results' : run.status !== 'ok' ? run.reason! : ef ? null : 'the run has no reference difference (figures.expansion)',
    };
  });
  const expansionRows = pub.expansion.map((p: PublishedExpansionRow): ExpansionRow => {
    const counts = columns.map((col) => (col.figures ? sumSensitive(col.figures.sensitive, p.counters) : null));
    return {
      operation: p.operation,
      count: counts.map((n) => cell(n, p.count)),
      // No interrupts: no per-interrupt figure.
      perInterrupt: counts.map((n, i) => cell(n !== null && columns[i]!.interrupts ? n / columns[i]!.interrupts! : null, p.per_interrupt)),
    };
  });

  const locFile = files.find((f) => f.results.loc !== null)?.results.loc ?? null;
  const loc = pub.loc.map((p) => {
    const m = locFile?.components[p.component];
    return { component: p.component, title: p.slides, headers: cell(m?.headers ?? null, p.headers), sources: cell(m?.sources ?? null, p.sources) };
  });

  return {
    transferBytes: first.bench.transfer_bytes,
    profile: first.bench.profile,
    netperf,
    breakdown,
    linux,
    devvirt,
    expansion: { workload: exp.workload, columns: columns.map(({ figures: _f, ...col }) => col), rows: expansionRows },
    loc: { rule: locFile?.rule ?? null, rows: loc },
  };
}

// ---- formatting ----

function num(v: number | null, digits: number): string {
  return v === null ? DASH : v.toFixed(digits);
}

function rat(v: number | null): string {
  return v === null ? DASH : v.toFixed(3);
}

function mdTable(head: string[], rows: string[][], align: string[]): string {
  return [
    `| ${head.join(' | ')} |`,
    `|${align.map((a) => (a === 'r' ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n') + '\n';
}

/** A byte count in the largest binary unit that divides it (4 MiB), else in bytes. */
export function sizeText(bytes: number): string {
  for (const [unit, n] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) if (bytes % n === 0) return `${bytes / n} ${unit}`;
  return `${bytes} bytes`;
}

export function netperfMarkdown(t: Tables): string {
  const head = ['configuration', 'send MB/s', 'slides', 'ratio', 'send CPU %', 'slides', 'ratio', 'receive MB/s', 'slides', 'ratio', 'receive CPU %', 'slides', 'ratio'];
  const rows = t.netperf.map((r) => [
    r.title,
    num(r.send.mbs.measured, 2), num(r.send.mbs.slides, 2), rat(r.send.mbs.ratio),
    num(r.send.cpu.measured, 2), num(r.send.cpu.slides, 1), rat(r.send.cpu.ratio),
    num(r.receive.mbs.measured, 2), num(r.receive.mbs.slides, 2), rat(r.receive.mbs.ratio),
    num(r.receive.cpu.measured, 2), num(r.receive.cpu.slides, 1), rat(r.receive.cpu.ratio),
  ]);
  return mdTable(head, rows, ['l', ...Array(12).fill('r')]);
}

export function linuxMarkdown(t: Tables): string {
  const head = ['configuration', 'send CPU / native Linux', 'receive CPU / native Linux', 'slides\' row', 'slides send / hardware', 'slides receive / hardware'];
  const rows = t.linux.map((r) => [r.title, rat(r.send), rat(r.receive), r.slidesRow ?? DASH, rat(r.slidesSend), rat(r.slidesReceive)]);
  return mdTable(head, rows, ['l', 'r', 'r', 'l', 'r', 'r']);
}

/** A column heading of the expansion table: the bare name with one measured column (as the slides' table), else qualified by the configuration. */
function expansionHead(t: Tables, base: string, col: ExpansionColumn, single = base): string {
  return t.expansion.columns.length === 1 ? single : `${base} (${col.title})`;
}

export function expansionMarkdown(t: Tables): string {
  const cols = t.expansion.columns;
  const head = ['operation', ...cols.flatMap((c) => [expansionHead(t, 'count', c), expansionHead(t, 'per interrupt', c)]), 'slides count', 'slides per interrupt',
    ...cols.map((c) => expansionHead(t, 'ratio', c, 'ratio (per interrupt)'))];
  const rows = t.expansion.rows.map((r) => [r.operation,
    ...cols.flatMap((_, i) => [num(r.count[i]!.measured, 0), num(r.perInterrupt[i]!.measured, 2)]),
    num(r.count[0]?.slides ?? null, 0), num(r.perInterrupt[0]?.slides ?? null, 0),
    ...cols.map((_, i) => rat(r.perInterrupt[i]!.ratio))]);
  return mdTable(head, rows, ['l', ...Array(head.length - 1).fill('r')]);
}

/** The paragraph above the expansion table: which runs, what was subtracted, the denominators. */
function expansionText(t: Tables): string {
  const cols = t.expansion.columns;
  const one = cols.length === 1;
  const list = (xs: string[]): string => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`);
  const bytes = [...new Set(cols.map((c) => (c.bytes === null ? DASH : sizeText(c.bytes))))].join(' / ');
  const interrupts = cols.map((c) => `${one ? '' : `${c.title} `}${c.interrupts === null ? DASH : c.interrupts}`).join(', ');
  const notRun = cols.filter((c) => c.notRun).map((c) => ` Not run: ${one ? '' : `${c.title}: `}${c.notRun}.`).join('');
  return `Sensitive instructions executed (all rings) in ${one ? 'run' : 'runs'} ${list(cols.map((c) => `\`${c.run}\``))}, ${one ? '' : 'each '}minus those of the same guest transferring one message: `
    + `what moving the other ${bytes} cost, with boot, connection set-up and close cancelled out. `
    + `Per interrupt = count / the hardware interrupts of the same difference (${interrupts}, all IRQ lines). `
    + `The slides' counts are for 1 GiB, so compare the per-interrupt ${one ? 'column' : 'columns'}.`
    + notRun;
}

export function locMarkdown(t: Tables): string {
  const head = ['component', 'headers', 'slides', 'ratio', 'source', 'slides', 'ratio'];
  const rows = t.loc.rows.map((r) => [
    r.component === r.title.toLowerCase() ? r.title : `${r.title} (${r.component}/)`,
    num(r.headers.measured, 0), num(r.headers.slides, 0), rat(r.headers.ratio),
    num(r.sources.measured, 0), num(r.sources.slides, 0), rat(r.sources.ratio),
  ]);
  return mdTable(head, rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r']);
}

/** All three tables with the notes that say what each figure is; no file names, commits or times. */
export function tablesMarkdown(t: Tables): string {
  const pub = published();
  const notRun = t.netperf.filter((r) => r.notRun !== null).map((r) => `- ${r.title}: not run: ${r.notRun}`);
  return [
    '# The slides\' tables, regenerated',
    '',
    `Measured on the emulator with cost profile \`${t.profile}\`, netperf TCP_STREAM of ${sizeText(t.transferBytes)} per run in each direction (the slides: 1 GiB). `
      + 'MB/s is netperf\'s -f M unit (2^20 bytes per second of guest time); CPU is guest busy cycles over the transfer window. '
      + 'Ratio = measured / slides. "—" = not measured.',
    '',
    '## Netperf results',
    '',
    netperfMarkdown(t),
    ...(notRun.length > 0 ? [...notRun, ''] : []),
    '## Where the cycles go',
    '',
    'Each run\'s transfer window, in cycles per MiB moved (2^20 bytes): guest kernel, guest user and wedge code as it executed '
      + '(the wedge: its own image, not the inline sequences the afterburner left in the guest), the hypervisor model\'s own work, '
      + 'port and MMIO accesses, the hardware\'s interrupt and exception entry, and idle (halted). Busy is the sum of all but idle; '
      + 'busy over busy plus idle is the CPU column above. Each category is rounded on its own. "—" = no breakdown in the results (schema version 1).',
    '',
    breakdownMarkdown(t.breakdown),
    ...(hypervisorMarkdown(t.breakdown) ? ['The hypervisor column by operation (cycles per MiB, largest first; a hypercall\'s entry includes the page-table work it does):', '', hypervisorMarkdown(t.breakdown)] : []),
    ...(t.linux.length > 0 ? [
      '## Linux 6.1 against native Linux',
      '',
      'Linux 6.1 has no para-virtual counterpart of the XenoLinux and L4Ka::Linux rows: Linux removed its 32-bit Xen para-virtual guest in 5.9, '
        + 'and L4Ka::Linux, for the L4 X.2 interface the L4 model offers, ended with Linux 2.6 (the L4Linux of L4Re runs on Fiasco.OC\'s different interface). '
        + 'So each Linux 6.1 row is compared with Linux 6.1 on hardware: its CPU over native Linux\'s in the same direction, '
        + 'beside the slides\' ratio of the same kind of configuration of their kernel (same variant, back-end and wedge) over their hardware row. '
        + 'Trap-and-emulate has no row in the slides.',
      '',
      linuxMarkdown(t),
    ] : []),
    ...(t.devvirt.length > 0 ? [
      '## Device pre-virtualization',
      '',
      'The afterburnt guest with its unmodified DP83820 driver, the NIC emulated by the wedge and its frames sent through the hypervisor\'s own '
        + 'network interface (on Xen a split device whose back half is the driver domain\'s), beside the direct-access rows. '
        + 'Calls/MiB: hypervisor calls in the transfer window per MiB moved (Xen\'s hypercalls; on L4 system calls, IPC among them, and the kernel\'s own fault, exception and interrupt messages). '
        + 'Batch: transmit requests the wedge handed the back half per notification it sent, over the window (a notification is one hypercall or IPC); '
        + '"no batching" hands each frame over at the register write that started it, instead of at the guest\'s next hlt or iret. '
        + 'The slides\' chart for this experiment has no figures in our copy of the seed, so there is no slides column: compare with the direct-access rows and XenoLinux.',
      '',
      devvirtMarkdown(t.devvirt),
    ] : []),
    '## Netperf instruction expansion',
    '',
    expansionText(t),
    '',
    expansionMarkdown(t),
    '## Lines of code of the wedge',
    '',
    t.loc.rule ? `Counted from guests/wedge/: ${t.loc.rule}. The slides' x86 front-end is ia32/ here; the Linux user-level back-end is not part of this project.` : 'guests/wedge/ is not in the tree that was measured.',
    '',
    locMarkdown(t),
    `Slides' figures: ${pub.source}`,
    '',
  ].join('\n');
}

function csvNum(v: number | null, digits: number): string {
  return v === null ? '' : v.toFixed(digits);
}

function csv(head: string[], rows: string[][]): string {
  const q = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return [head, ...rows].map((r) => r.map(q).join(',')).join('\n') + '\n';
}

export function netperfCsv(t: Tables): string {
  return csv(
    ['configuration', 'title', 'send_mb_s', 'send_mb_s_slides', 'send_mb_s_ratio', 'send_cpu_percent', 'send_cpu_slides', 'send_cpu_ratio',
      'receive_mb_s', 'receive_mb_s_slides', 'receive_mb_s_ratio', 'receive_cpu_percent', 'receive_cpu_slides', 'receive_cpu_ratio', 'not_run'],
    t.netperf.map((r) => [r.configuration, r.title,
      csvNum(r.send.mbs.measured, 3), csvNum(r.send.mbs.slides, 2), csvNum(r.send.mbs.ratio, 4),
      csvNum(r.send.cpu.measured, 2), csvNum(r.send.cpu.slides, 1), csvNum(r.send.cpu.ratio, 4),
      csvNum(r.receive.mbs.measured, 3), csvNum(r.receive.mbs.slides, 2), csvNum(r.receive.mbs.ratio, 4),
      csvNum(r.receive.cpu.measured, 2), csvNum(r.receive.cpu.slides, 1), csvNum(r.receive.cpu.ratio, 4), r.notRun ?? '']),
  );
}

export function expansionCsv(t: Tables): string {
  const cols = t.expansion.columns;
  const suffix = (c: ExpansionColumn): string => (cols.length === 1 ? '' : `_${c.configuration}`);
  return csv(['operation', ...cols.flatMap((c) => [`count${suffix(c)}`, `per_interrupt${suffix(c)}`]), 'count_slides', 'per_interrupt_slides', ...cols.map((c) => `per_interrupt_ratio${suffix(c)}`)],
    t.expansion.rows.map((r) => [r.operation,
      ...cols.flatMap((_, i) => [csvNum(r.count[i]!.measured, 0), csvNum(r.perInterrupt[i]!.measured, 4)]),
      csvNum(r.count[0]?.slides ?? null, 0), csvNum(r.perInterrupt[0]?.slides ?? null, 0),
      ...cols.map((_, i) => csvNum(r.perInterrupt[i]!.ratio, 4))]));
}

export function locCsv(t: Tables): string {
  return csv(['component', 'slides_component', 'headers', 'headers_slides', 'headers_ratio', 'sources', 'sources_slides', 'sources_ratio'],
    t.loc.rows.map((r) => [r.component, r.title, csvNum(r.headers.measured, 0), csvNum(r.headers.slides, 0), csvNum(r.headers.ratio, 4), csvNum(r.sources.measured, 0), csvNum(r.sources.slides, 0), csvNum(r.sources.ratio, 4)]));
}

/** Every output file of `world tables`, by name. */
export function renderTables(t: Tables): Record<string, string> {
  const series = ['measured', 'slides'];
  return {
    'tables.md': tablesMarkdown(t),
    'netperf.csv': netperfCsv(t),
    'expansion.csv': expansionCsv(t),
    'loc.csv': locCsv(t),
    'breakdown.csv': breakdownCsv(t.breakdown),
    ...(t.devvirt.length > 0 ? { 'devvirt.csv': devvirtCsv(t.devvirt) } : {}),
    'netperf-throughput.svg': barChartSvg({
      title: 'Netperf throughput (MB/s = 2^20 B/s)', unit: 'MB/s', series,
      groups: t.netperf.flatMap((r) => [
        { label: `${r.title} send`, values: [r.send.mbs.measured, r.send.mbs.slides] },
        { label: `${r.title} receive`, values: [r.receive.mbs.measured, r.receive.mbs.slides] },
      ]),
    }),
    'netperf-cpu.svg': barChartSvg({
      title: 'Netperf CPU utilization', unit: '%', series,
      groups: t.netperf.flatMap((r) => [
        { label: `${r.title} send`, values: [r.send.cpu.measured, r.send.cpu.slides] },
        { label: `${r.title} receive`, values: [r.receive.cpu.measured, r.receive.cpu.slides] },
      ]),
    }),
    'expansion.svg': barChartSvg({
      title: 'Sensitive operations per interrupt', unit: '',
      series: t.expansion.columns.length === 1 ? series : [...t.expansion.columns.map((c) => c.title), 'slides'],
      groups: t.expansion.rows.map((r) => ({ label: r.operation, values: [...r.perInterrupt.map((c) => c.measured), r.perInterrupt[0]?.slides ?? null] })),
    }),
    'loc.svg': barChartSvg({
      title: 'Wedge lines of code (headers + source)', unit: 'lines', series,
      groups: t.loc.rows.map((r) => ({
        label: r.title,
        values: [r.headers.measured === null || r.sources.measured === null ? null : r.headers.measured + r.sources.measured, (r.headers.slides ?? 0) + (r.sources.slides ?? 0)],
      })),
    }),
  };
}
