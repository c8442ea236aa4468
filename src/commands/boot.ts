// `world boot KERNEL`: boots a multiboot kernel or a Linux bzImage on the bundled emulator, prints its serial output
// and exits with the value the guest wrote to the debug-exit port (0 = success).
import { readFileSync, writeSync, existsSync, statSync } from 'node:fs';
import { AtomicFile, writeFileAtomic } from '../atomic.ts';
import { parseCommandArgs, InputError, UsageError, parseSizeOption, type Command } from './command.ts';

const usage = `usage: world boot KERNEL [options]

Boots a multiboot kernel (ELF) or a Linux bzImage on the emulated PC (IA-32 CPU, 8259A PICs, 8254 PIT, 16550 UART at
0x3f8, PCI, debug-exit at 0xf4), prints its serial output and exits with the value the guest
wrote to port 0xf4 (write 0 for success; values above 255 exit 255). A guest that stops
otherwise exits 124 (instruction budget spent) or 125 (triple fault, hlt with nothing to wake
it) with the reason on stderr. Bad arguments exit 2.

options:
  --mem SIZE              RAM size: 256M (default), 1G, 65536K; a bare number means MiB
                          (sizes: a whole number with an optional unit B, K/KiB, M/MiB, G/GiB)
  --profile NAME          cost profile (default p4-2.8ghz) or a profile .json file
  --append CMDLINE        kernel command line (after the kernel path, as QEMU passes it)
  --module FILE[,ARGS]    load FILE as a multiboot module with string "FILE ARGS" (repeatable)
  --initrd FILE           a Linux bzImage's initramfs (cpio); a bzImage (told by its "HdrS"
                          setup header) boots by the Linux 32-bit boot protocol, and --append
                          is then its whole command line (as QEMU's -kernel/-append/-initrd);
                          with --wedge, the initramfs of a Linux vmlinux, handed to the wedge in
                          its module (guests/wedge/README.md)
  --symbols FILE          the kernel's System.map, naming hole sites by symbol under xen or l4
                          trap-and-emulate when the kernel is a bzImage (which has no symbols)
  --backend NAME          what runs under the guest: hardware (default, guest in ring 0), xen
                          (the Xen 3 model: a kernel with a __xen_guest section boots as a
                          para-virtual domain, a plain multiboot kernel runs in ring 1 under
                          trap-and-emulate), l4 (the L4 microkernel model: a task image with
                          a __l4_guest section boots as the privileged task, a plain multiboot
                          kernel runs as a user task under a trap-and-emulate monitor)
  --wedge FILE            xen or l4: boot FILE (the in-place VMM) as the domain's kernel or the
                          privileged task, with the ELF as its module; see
                          emulator/hypervisors/xen/ABI.md and emulator/hypervisors/l4/ABI.md
  --max-instructions N    stop after N instructions
  --stats FILE.json       write the run's statistics (cycles, interrupts, sensitive instructions)
  --trace FILE            write one line per instruction (cycle, eip, registers) to FILE
  --trace-limit N         at most N trace lines (default 100000)
  --serial FILE           write the serial output to FILE instead of stdout
`;

/** Exit status for a guest that did not write the debug-exit port. */
export const EXIT_BUDGET = 124;
export const EXIT_STOPPED = 125;

/** The options every command that starts a machine takes (world boot, world netperf): RAM, cost profile, command line, initrd, back-end, wedge. */
export const MACHINE_OPTIONS = {
  mem: { type: 'string' },
  profile: { type: 'string' },
  append: { type: 'string' },
  initrd: { type: 'string' },
  symbols: { type: 'string' },
  backend: { type: 'string' },
  wedge: { type: 'string' },
} as const;

/** A bare --mem number counts MiB, as QEMU's -m does; every other size flag counts bytes. */
export const MEM_BARE_UNIT = 1 << 20;

function parseCount(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) <= 0) {
    throw new UsageError(`${flag} '${text}': expected a positive whole number`);
  }
  return Number(text);
}

function readInput(what: string, file: string): Uint8Array {
  if (!existsSync(file)) throw new InputError(`${what} ${file}: no such file`);
  if (!statSync(file).isFile()) throw new InputError(`${what} ${file}: not a regular file`);
  return readFileSync(file);
}

async function run(args: string[]): Promise<number> {
  const parsed = parseCommandArgs({
    args,
    allowPositionals: true,
    options: {
      ...MACHINE_OPTIONS,
      module: { type: 'string', multiple: true },
      'max-instructions': { type: 'string' },
      stats: { type: 'string' },
      trace: { type: 'string' },
      'trace-limit': { type: 'string' },
      serial: { type: 'string' },
    },
  });
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing the kernel (a multiboot ELF or a Linux bzImage)' : `expected one kernel, got ${positionals.length}: ${positionals.join(' ')}`);
  const kernelPath = positionals[0]!;
  const mem = parseSizeOption('--mem', values.mem ?? '256M', MEM_BARE_UNIT);
  const maxInstructions = parseCount('--max-instructions', values['max-instructions']);
  const traceLimit = parseCount('--trace-limit', values['trace-limit']);
  const backendName = values.backend ?? 'hardware';
  if (!['hardware', 'xen', 'l4'].includes(backendName)) throw new UsageError(`--backend '${backendName}': expected hardware, xen or l4`);
  if (values.wedge !== undefined && backendName === 'hardware') throw new UsageError('--wedge needs --backend xen or l4');

  // Load the emulator only once the arguments are known to be sane, so usage errors stay fast.
  const { MIN_MEM, MAX_MEM } = await import('../../emulator/machine.ts');
  const { formatStats } = await import('../../emulator/stats.ts');
  const { loadProfile, ProfileError, DEFAULT_PROFILE } = await import('../../emulator/profiles/load.ts');
  const { BootError } = await import('../../emulator/boot.ts');
  const { BackendError } = await import('../../emulator/hypervisors/hypervisor.ts');
  const { ElfError } = await import('../../emulator/hypervisors/elf.ts');
  const { runKernel } = await import('../../emulator/run.ts');
  const { parseSystemMap } = await import('../../emulator/hypervisors/system-map.ts');
  if (mem < MIN_MEM || mem > MAX_MEM || mem % 4096 !== 0) {
    throw new UsageError(`--mem ${values.mem}: RAM must be between ${MIN_MEM >> 20}M and ${MAX_MEM >> 20}M, in whole 4 KiB pages`);
  }

  let traceFile: AtomicFile | null = null;
  try {
    const profile = loadProfile(values.profile ?? DEFAULT_PROFILE);
    const elf = readInput('kernel', kernelPath);
    const modules = (values.module ?? []).map((spec) => {
      const comma = spec.indexOf(',');
      const file = comma < 0 ? spec : spec.slice(0, comma);
      const argsText = comma < 0 ? '' : spec.slice(comma + 1);
      return { data: readInput('module', file), cmdline: argsText ? `${file} ${argsText}` : file };
    });
    const wedge = values.wedge !== undefined ? readInput('wedge', values.wedge) : undefined;

    const initrd = values.initrd !== undefined ? readInput('initrd', values.initrd) : undefined;
    const symbols = values.symbols !== undefined ? parseSystemMap(Buffer.from(readInput('symbols', values.symbols)).toString('latin1'), values.symbols) : undefined;

    const serialChunks: Uint8Array[] = [];
    const toStdout = values.serial === undefined;
    let trace: ((line: string) => void) | undefined;
    if (values.trace !== undefined) {
      const file = (traceFile = new AtomicFile(values.trace));
      trace = (line) => writeSync(file.fd, line + '\n');
    }
    const r = runKernel({
      elf, kernelName: kernelPath, mem, profile, cmdline: values.append, modules, initrd, symbols,
      backend: backendName as 'hardware' | 'xen' | 'l4', wedge, wedgeName: values.wedge,
      serial: (bytes) => (toStdout ? process.stdout.write(bytes) : serialChunks.push(bytes)),
      maxInstructions, trace, traceLimit,
    });
    traceFile?.commit();
    if (values.serial !== undefined) writeFileAtomic(values.serial, Buffer.concat(serialChunks));
    if (values.stats !== undefined) writeFileAtomic(values.stats, formatStats({ ...r.stats, backend: r.backend }));
    if (r.stop.kind === 'exit') return Math.min(r.stop.value, 255);
    process.stderr.write(`world boot: ${r.stop.detail}\n`);
    return r.stop.kind === 'budget' ? EXIT_BUDGET : EXIT_STOPPED;
  } catch (err) {
    if (err instanceof InputError || err instanceof ProfileError || err instanceof BootError || err instanceof BackendError || err instanceof ElfError) {
      process.stderr.write(`world boot: ${err.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    traceFile?.discard();
  }
}

export const command: Command = {
  name: 'boot',
  summary: 'boot a multiboot kernel or a Linux bzImage on the emulator and print its serial output',
  usage,
  run,
};
