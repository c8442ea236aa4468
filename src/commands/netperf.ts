// `world netperf`: one netperf TCP_STREAM run of the guest kernel over the emulated DP83820, the
// wire and the peer, reporting throughput, CPU utilization, interrupts, frames and
// retransmissions from the guest's cycle clock (harness/workloads/netperf.ts does the measuring).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandArgs, InputError, UsageError, parseSizeOption, type Command } from './command.ts';
import { MACHINE_OPTIONS, MEM_BARE_UNIT, EXIT_BUDGET, EXIT_STOPPED } from './boot.ts';
import type { BackendName } from '../../emulator/hypervisors/hypervisor.ts';
import { MAX_MESSAGE_BYTES, MAX_TRANSFER_BYTES } from '../../harness/matrix.ts';

const usage = `usage: world netperf --direction send|receive [options]

Boots the guest kernel with a DP83820 NIC on a 1 Gb/s full-duplex wire to a peer host, runs one
netperf TCP_STREAM transfer (the guest's netperf connects to the peer, which listens as
netserver does) and reports, for the window from connection establishment to close:
throughput in netperf's -f M unit (2^20 bytes per second of guest time), CPU utilization (guest
busy cycles over the window's cycles, and where the window's cycles went by category),
interrupts by IRQ line, frames each way, retransmissions on each side, and (--json, key
window) every other counter over the window. Every figure comes from the guest's cycle clock, so two runs
print the same report. Exits 0 when every byte arrived and matched the data pattern, 1 when
the transfer failed, 124/125 when the guest did not exit, 2 for bad arguments.

options:
  --direction send|receive   send: the guest sends to the peer; receive: the peer sends (required)
  --config NAME              run one configuration of world.yaml's bench: section (hardware,
                             xenolinux, afterburnt-xen, linux-hardware, ...): its guest variant,
                             back-end and wedge, built through the cache first, and the guest's
                             initrd when its recipe declares one; replaces --guest, --backend,
                             --wedge and --initrd, and its profile is the default for --profile
  -f, --file PATH            the world manifest --config reads (default: ./world.yaml)
  --bytes SIZE               bytes to transfer (default 64MiB); SIZE is a whole number with an
                             optional unit B, K/KiB, M/MiB or G/GiB (binary), bare = bytes
  --message SIZE             bytes per send call (default 32KiB), as netperf -m
  --guest ELF                the guest kernel (default: the default world's native guest kernel,
                             guest-kernel@native, built through the cache first)
  --backend hardware|xen|l4  what runs under the guest (default hardware). On xen the NIC is
                             assigned to the domain directly (its MMIO, DMA and pirq); a
                             multiboot guest without --wedge runs under trap-and-emulate. On
                             l4 the guest (an l4-pv kernel, or the wedge) is the privileged task
                             and drives the NIC through σ0's mappings and interrupt IPC; a plain
                             multiboot kernel runs under L4's trap-and-emulate monitor
  --wedge FILE               the wedge ELF for an afterburnt guest (needs --backend xen or l4)
  --initrd FILE              the initramfs of a Linux bzImage given as --guest, or of a Linux
                             vmlinux with --wedge (its /init runs netperf; guests/linux/init);
                             the kernel's console and eth0 address are then put on its command
                             line before run= and arg=
  --symbols FILE             the guest's System.map (a bzImage has no symbols): hole sites under
                             trap-and-emulate are named by symbol; --config takes its recipe's
  --pcap FILE                write every frame on the wire to FILE (pcap, nanosecond stamps)
  --loss P                   drop each frame with probability P (0 <= P < 1), from --seed
  --seed N                   seed of the loss draws (default 1; needs --loss)
  --mem SIZE                 guest RAM: 256M (default), 1G; a bare number means MiB
  --profile NAME             cost profile (default p4-2.8ghz) or a profile .json file
  --append CMDLINE           more kernel command line after run= and arg=
  --check                    the guest's netperf also checks every byte it receives (the peer
                             always checks what it receives; by default the guest, like
                             netperf, reads into its buffer without looking at the data)
  --time-limit SECONDS       stop a guest still running after this many guest seconds
                             (default 10 + 1 s per 4 MiB)
  --feedback-out FILE        profile feedback: write FILE with the source lines of the page-table
                             writes the wedge caught (run an afterburnt guest built with -g, such
                             as --config afterburnt-xen-feedback, with --append pt=direct); the
                             afterburner annotates those lines on the next build
  --json                     print the report as JSON (keys sorted); its "host" field holds host
                             seconds and is the one field that differs between runs: ignore it
`;

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function parseNumber(flag: string, text: string, ok: (n: number) => boolean, expected: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || !ok(n)) throw new UsageError(`${flag} '${text}': expected ${expected}`);
  return n;
}

/**
 * The default guest: the default world's native guest kernel, `guest-kernel@native` built through
 * the cache in this process (a no-op when nothing changed) and read from its installed `kernel`
 * output. A world.yaml without the guest-kernel package has no default: name one with --guest.
 */
export async function defaultGuest(): Promise<string> {
  const { openSession, runBuild } = await import('./common.ts');
  const { installedOutput } = await import('../outputs.ts');
  const file = join(REPO_ROOT, 'world.yaml');
  const unit = 'guest-kernel@native';
  const session = await openSession(file);
  if (!session) throw new InputError(`${file} cannot be read, so there is no default guest: name one with --guest`);
  if (!session.world.packages.has('guest-kernel')) {
    throw new InputError(`${file} declares no guest-kernel package, so there is no default guest: name one with --guest`);
  }
  const status = await runBuild({ file, targets: [unit], jobs: 1, keepGoing: false, offline: false, wait: true, progress: 'stderr' });
  if (status !== 0) throw new InputError(`building ${unit} failed`);
  return installedOutput(session.world, unit, 'kernel');
}

/**
 * The files of a bench configuration: its guest (and wedge) built through the cache and
 * installed under .world/out, its back-end and the bench's profile. Prints why not and returns
 * null when the configuration does not exist or cannot run here.
 */
async function configurationFiles(name: string, file: string | undefined): Promise<{ guest: string; initrd?: string; symbols?: string; wedge?: string; backend: BackendName; profile: string } | null> {
  const { openSession, runBuild, shownPath } = await import('./common.ts');
  const { closest } = await import('../manifest/suggest.ts');
  const { configurationProblem } = await import('../runnable.ts');
  const { configurationImages } = await import('../outputs.ts');
  const session = await openSession(file);
  if (!session) return null;
  const world = session.world;
  const configs = world.bench?.configurations ?? [];
  const c = configs.find((x) => x.name === name);
  if (!world.bench || !c) {
    const names = configs.map((x) => x.name);
    const hint = closest(name, names);
    process.stderr.write(`world netperf: --config '${name}': ${shownPath(world.file)} ${names.length ? `declares no such configuration; expected one of: ${names.join(', ')}${hint ? `; did you mean '${hint}'?` : ''}` : 'has no bench: configurations'}\n`);
    return null;
  }
  const problem = configurationProblem(world, c);
  if (problem) {
    process.stderr.write(`world netperf: configuration '${name}' cannot run here: ${problem}\n`);
    return null;
  }
  const units = [c.guest, ...(c.wedge ? [c.wedge] : [])];
  const status = await runBuild({ file, targets: units, jobs: 1, keepGoing: false, offline: false, wait: true, progress: 'stderr' });
  if (status !== 0) throw new InputError(`building ${units.join(', ')} for configuration '${name}' failed`);
  return {
    ...configurationImages(world, c),
    backend: c.backend as BackendName,
    profile: world.bench.profile,
  };
}

/** The window's cycle breakdown in one line: each non-zero category, the hypervisor's summed. */
function cycleLine(c: import('../../emulator/cpu/cycle-ledger.ts').CycleBreakdown): string {
  const hyper = Object.values(c.hypervisor).reduce((a, b) => a + b, 0);
  const parts: [string, number][] = [['guest kernel', c.guest_kernel], ['guest user', c.guest_user], ['wedge', c.wedge], ['hypervisor', hyper],
    ['device', c.device], ['interrupt entry', c.interrupt_entry], ['exception entry', c.exception_entry], ['idle', c.idle]];
  return parts.filter(([, n]) => n !== 0).map(([k, n]) => `${k} ${n}`).join(', ') + ` (of ${c.total}; --json: window.cycles)`;
}

function formatText(r: import('../../harness/workloads/netperf.ts').NetperfReport, hostSeconds: number): string {
  const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;
  const who = r.direction === 'send' ? 'guest -> peer' : 'peer -> guest';
  const lines = [
    `netperf TCP_STREAM ${r.direction} (${who}): ${r.bytes} of ${r.transfer_bytes} bytes in ${r.message_bytes}-byte messages, ${r.verified ? 'verified' : 'NOT verified'}`,
    `throughput     ${r.throughput.value.toFixed(2)} MiB/s (${r.throughput.unit}), ${pct(r.throughput.of_wire_goodput)} of the ${r.throughput.wire_goodput.toFixed(2)} the wire allows`,
    `cpu            ${pct(r.cpu.utilization)} (${r.cpu.busy_cycles} busy of ${r.cpu.window_cycles} cycles in the window)`,
    `window         ${(r.window_ns / 1e6).toFixed(3)} ms of guest time`,
    ...(r.window ? [`cycles         ${cycleLine(r.window.cycles)}`] : []),
    `interrupts     ${Object.entries(r.interrupts).map(([irq, n]) => `irq${irq}=${n}`).join(' ') || 'none'}`,
    `frames         from guest ${r.frames.from_guest}, to guest ${r.frames.to_guest}, lost ${r.frames.lost_from_guest} / ${r.frames.lost_to_guest}`,
    `retransmits    guest ${r.retransmissions.guest ?? 'unknown'}, peer ${r.retransmissions.peer}`,
    `stop           ${r.stop}`,
  ];
  for (const e of r.nic_errors) lines.push(`nic error      ${e}`);
  if (r.backend) {
    const b = r.backend;
    const hc = Object.entries(b.xen?.hypercalls ?? {}).filter(([, n]) => n > 0).map(([k, n]) => `${k}=${n}`).join(' ');
    if (b.l4) {
      const sc = Object.entries(b.l4.system_calls).filter(([, n]) => n > 0).map(([k, n]) => `${k}=${n}`).join(' ');
      lines.push(`backend        ${b.backend} (${b.mode}), whole run: ${b.device_interrupts} device interrupts, l4 cycles ${b.l4.l4_cycles}${b.l4.crash ? `, crash: ${b.l4.crash}` : ''}`);
      if (sc) lines.push(`system calls   ${sc}`);
    } else {
      lines.push(`backend        ${b.backend} (${b.mode}), whole run: ${b.device_interrupts} device interrupts, xen cycles ${b.xen?.xen_cycles ?? 0}${b.xen?.crash ? `, crash: ${b.xen.crash}` : ''}`);
    }
    if (hc) lines.push(`hypercalls     ${hc}`);
    if (b.wedge) lines.push(`wedge          ${Object.entries(b.wedge).filter(([, n]) => n > 0).map(([k, n]) => `${k}=${n}`).join(', ')}`);
  }
  lines.push(`host           ${hostSeconds.toFixed(1)} s`);
  return lines.join('\n') + '\n';
}

async function run(args: string[]): Promise<number> {
  const parsed = parseCommandArgs({
    args,
    allowPositionals: false,
    options: {
      ...MACHINE_OPTIONS,
      direction: { type: 'string' },
      config: { type: 'string' },
      file: { type: 'string', short: 'f' },
      bytes: { type: 'string' },
      message: { type: 'string' },
      guest: { type: 'string' },
      pcap: { type: 'string' },
      loss: { type: 'string' },
      seed: { type: 'string' },
      'time-limit': { type: 'string' },
      json: { type: 'boolean' },
      'feedback-out': { type: 'string' },
      check: { type: 'boolean' },
    },
  });
  const v = parsed.values;
  if (v.direction === undefined) throw new UsageError('--direction is required: send or receive');
  if (v.direction !== 'send' && v.direction !== 'receive') throw new UsageError(`--direction '${v.direction}': expected send or receive`);
  const direction = v.direction;
  const bytes = parseSizeOption('--bytes', v.bytes ?? '64MiB');
  const messageBytes = parseSizeOption('--message', v.message ?? '32KiB');
  if (messageBytes > MAX_MESSAGE_BYTES) throw new UsageError(`--message '${v.message}': at most 256KiB per send (the guests' largest message)`);
  if (bytes > MAX_TRANSFER_BYTES) throw new UsageError(`--bytes '${v.bytes}': less than 4GiB (the guests count it in 32 bits)`);
  const loss = v.loss === undefined ? undefined : parseNumber('--loss', v.loss, (n) => n >= 0 && n < 1, 'a probability from 0 up to (not including) 1, such as 0.01');
  if (v.seed !== undefined && loss === undefined) throw new UsageError('--seed only applies with --loss');
  const seed = v.seed === undefined ? undefined : parseNumber('--seed', v.seed, (n) => Number.isSafeInteger(n) && n >= 0 && n < 2 ** 32, 'a whole number from 0 to 4294967295');
  const timeLimit = v['time-limit'] === undefined ? undefined : parseNumber('--time-limit', v['time-limit'], (n) => n > 0, 'a positive number of guest seconds');
  const mem = parseSizeOption('--mem', v.mem ?? '256M', MEM_BARE_UNIT);
  if (v.append !== undefined && /(^|\s)(run|arg)=/.test(v.append)) throw new UsageError(`--append '${v.append}': run= and arg= are set by world netperf`);
  if (v.config !== undefined) {
    const given = (['guest', 'backend', 'wedge', 'initrd', 'symbols'] as const).filter((k) => v[k] !== undefined);
    if (given.length > 0) throw new UsageError(`--config ${v.config} names the guest, back-end, wedge and initrd itself: drop ${given.map((k) => `--${k}`).join(', ')}`);
  } else if (v.file !== undefined) {
    throw new UsageError('--file only applies with --config');
  }
  const backend = v.backend ?? 'hardware';
  if (backend !== 'hardware' && backend !== 'xen' && backend !== 'l4') throw new UsageError(`--backend '${backend}': expected hardware, xen or l4`);
  if (v.wedge !== undefined && backend === 'hardware') throw new UsageError('--wedge needs --backend xen or l4');
  if (v['feedback-out'] !== undefined) {
    const dir = dirname(resolve(v['feedback-out']));
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--feedback-out ${v['feedback-out']}: folder ${dir} does not exist`);
    if (v.config === undefined && v.wedge === undefined) throw new UsageError('--feedback-out needs a wedge (--config of an afterburnt configuration, or --wedge)');
  }
  if (v.pcap !== undefined) {
    const dir = dirname(resolve(v.pcap));
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--pcap ${v.pcap}: folder ${dir} does not exist`);
  }

  const { MIN_MEM, MAX_MEM } = await import('../../emulator/machine.ts');
  if (mem < MIN_MEM || mem > MAX_MEM || mem % 4096 !== 0) {
    throw new UsageError(`--mem ${v.mem}: RAM must be between ${MIN_MEM >> 20}M and ${MAX_MEM >> 20}M, in whole 4 KiB pages`);
  }
  const { loadProfile, ProfileError, DEFAULT_PROFILE } = await import('../../emulator/profiles/load.ts');
  const { BootError } = await import('../../emulator/boot.ts');
  const { BackendError } = await import('../../emulator/hypervisors/hypervisor.ts');
  const { runNetperf } = await import('../../harness/workloads/netperf.ts');
  const { sortKeys } = await import('../../emulator/json.ts');
  const { OutputError } = await import('../outputs.ts');
  try {
    const config = v.config !== undefined ? await configurationFiles(v.config, v.file) : undefined;
    if (config === null) return 2;
    const profile = loadProfile(v.profile ?? config?.profile ?? DEFAULT_PROFILE);
    let guestPath: string;
    if (config) {
      guestPath = config.guest;                // built just now through the cache
    } else if (v.guest !== undefined) {
      guestPath = v.guest;
      if (!existsSync(guestPath)) throw new InputError(`--guest ${guestPath}: no such file`);
      if (!statSync(guestPath).isFile()) throw new InputError(`--guest ${guestPath}: not a regular file`);
    } else {
      guestPath = await defaultGuest();
    }
    const elf = readFileSync(guestPath);
    let wedge: Uint8Array | undefined;
    const wedgePath = config ? config.wedge : v.wedge;
    if (config?.wedge) {
      wedge = readFileSync(config.wedge);
    } else if (v.wedge !== undefined) {
      if (!existsSync(v.wedge) || !statSync(v.wedge).isFile()) throw new InputError(`--wedge ${v.wedge}: no such file`);
      wedge = readFileSync(v.wedge);
    }
    let initrd: Uint8Array | undefined;
    if (config) {
      if (config.initrd) initrd = readFileSync(config.initrd);   // the guest recipe's declared initrd output
    } else if (v.initrd !== undefined) {
      if (!existsSync(v.initrd) || !statSync(v.initrd).isFile()) throw new InputError(`--initrd ${v.initrd}: no such file`);
      initrd = readFileSync(v.initrd);
    }
    let symbols: import('../../emulator/hypervisors/elf.ts').ElfSymbol[] | undefined;
    const symbolsPath = config ? config.symbols : v.symbols;
    if (symbolsPath !== undefined) {
      if (!existsSync(symbolsPath) || !statSync(symbolsPath).isFile()) throw new InputError(`--symbols ${symbolsPath}: no such file`);
      const { parseSystemMap } = await import('../../emulator/hypervisors/system-map.ts');
      symbols = parseSystemMap(readFileSync(symbolsPath, 'latin1'), symbolsPath);
    }
    const t0 = performance.now();
    const mmioEips = new Set<number>();
    const { report, stop } = runNetperf({
      // The kernel's name is the first word of its command line, which the guest prints: the
      // file name only, so where the file lies cannot change a figure.
      elf, kernelName: basename(guestPath), direction, bytes, messageBytes, mem, profile,
      append: v.append, check: v.check === true, pcapPath: v.pcap, loss, seed, timeLimitSeconds: timeLimit,
      backend: config?.backend ?? backend, wedge, wedgeName: wedgePath, initrd, symbols,
      ...(v['feedback-out'] !== undefined ? { onMmio: (eip: number) => mmioEips.add(eip) } : {}),
    });
    const hostSeconds = (performance.now() - t0) / 1000;
    if (v['feedback-out'] !== undefined && stop.kind === 'exit') {
      const { writeFeedback } = await import('./feedback-out.ts');
      const pte = report.backend?.pt_write_eips ?? [];
      const mmio = [...mmioEips].sort((a, b) => a - b);
      const where = writeFeedback(v['feedback-out'], guestPath, { pte, mmio }, `netperf ${direction} ${bytes} bytes, ${basename(guestPath)}${v.append ? `, ${v.append}` : ''}`);
      process.stderr.write(`world netperf: ${v['feedback-out']}: ${where.pte.length} page-table write location(s) from ${pte.length} instruction(s), ${where.mmio.length} device-memory location(s) from ${mmio.length}\n`);
    }
    if (v.json) {
      // Host time is kept apart in "host" so consumers can drop it and compare the rest byte for byte.
      process.stdout.write(JSON.stringify(sortKeys({ ...report, host: { seconds: Math.round(hostSeconds * 10) / 10 } }), null, 2) + '\n');
    } else {
      process.stdout.write(formatText(report, hostSeconds));
    }
    if (stop.kind !== 'exit') {
      process.stderr.write(`world netperf: ${stop.detail}\n`);
      return stop.kind === 'budget' ? EXIT_BUDGET : EXIT_STOPPED;
    }
    return report.verified ? 0 : 1;
  } catch (err) {
    const { FeedbackOutError } = await import('./feedback-out.ts');
    if (err instanceof InputError || err instanceof OutputError || err instanceof FeedbackOutError || err instanceof ProfileError || err instanceof BootError || err instanceof BackendError) {
      process.stderr.write(`world netperf: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

export const command: Command = {
  name: 'netperf',
  summary: 'run netperf TCP_STREAM between the guest kernel and the emulated peer and report the figures',
  usage,
  run,
};
