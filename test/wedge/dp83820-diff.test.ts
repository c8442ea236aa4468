// The wedge's DP83820 (guests/wedge/device/dp83820.c, device pre-virtualization) against the
// emulator's model of the real controller (emulator/devices/dp83820.ts), which is the oracle: one
// driver script, run on both, must read the same registers, leave the same descriptors and
// buffers in guest memory, put the same frames on the wire and raise the interrupt line as often.
// The C side runs as a 32-bit host program (guests/wedge/tools/dp83820-host.c; hostCommand says
// how) whose back half answers at once; each script line ends with the guest pausing (the wedge's
// flush), and on the model's side with its clock run until nothing is scheduled. The script
// covers what a driver can see: reset, the station address through RFCR/RFDR, CFG and SRR, BIST,
// ISR read-to-clear and the interrupt mask, a transmit list with a two-descriptor frame, INTR, a
// null link and a descriptor not handed over (TXIDLE) and the restart at TXE, a receive ring that
// fills (RXIDLE, the frame waiting until RXDP and RXE), the receive filter, a frame spread over
// two descriptors (MORE), the FCS kept without STRIPCRC, and reset again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dp83820 } from '../../emulator/devices/dp83820.ts';
import { RamDma } from '../../emulator/dma.ts';
import { SimClock } from '../../emulator/net/sim-clock.ts';
import { TimeBase, type LinkPort } from '../../emulator/net/seams.ts';
import { repo } from './build.ts';

const MAC = [0x02, 0x00, 0x00, 0x00, 0x00, 0x20];
const hex = (b: number[] | Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
/** A frame of n bytes to `dst`, its payload a pattern seeded by `seed`. */
function frame(dst: number[], n: number, seed: number): number[] {
  const f = [...dst, 0x02, 0, 0, 0, 0, 0x10, 0x08, 0x00];
  while (f.length < n) f.push((seed * 7 + f.length * 13) & 0xff);
  return f;
}
/** poke lines storing bytes at pa, word by word (little-endian). */
function pokeBytes(pa: number, b: number[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < b.length; i += 4) {
    const w = (b[i] ?? 0) | (b[i + 1] ?? 0) << 8 | (b[i + 2] ?? 0) << 16 | (b[i + 3] ?? 0) << 24;
    out.push(`poke ${(pa + i).toString(16)} ${(w >>> 0).toString(16)}`);
  }
  return out;
}
const desc = (pa: number, link: number, buf: number, cmdsts: number): string[] =>
  [`poke ${pa.toString(16)} ${link.toString(16)}`, `poke ${(pa + 4).toString(16)} ${buf.toString(16)}`,
    `poke ${(pa + 8).toString(16)} ${(cmdsts >>> 0).toString(16)}`, `poke ${(pa + 12).toString(16)} 0`];

const OWN = 0x80000000, MORE = 0x40000000, INTR = 0x20000000;
const BCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff], OTHER = [0x02, 0, 0, 0, 0, 0x99];
const script: string[] = [
  'r 58', 'r 4', 'r 0', 'w 0 100', 'r 0',
  'w 48 0', 'r 4c', 'w 48 2', 'r 4c', 'w 48 4', 'r 4c',
  'w c 400', 'r c', 'w 48 c8000000', 'r 48',
  'w 28 10000000', 'w 38 20000000', 'w 1c 0', 'w 14 3f7', 'w 18 1', 'r 10',
  // Transmit: one frame, then one over two descriptors (INTR on the first), the last link null.
  ...pokeBytes(0x2000, frame(OTHER, 64, 1)), ...pokeBytes(0x2800, frame(OTHER, 96, 2).slice(0, 40)), ...pokeBytes(0x2c00, frame(OTHER, 96, 2).slice(40)),
  ...desc(0x1000, 0x1010, 0x2000, OWN | 64), ...desc(0x1010, 0x1020, 0x2800, OWN | INTR | MORE | 40), ...desc(0x1020, 0, 0x2c00, OWN | 56),
  'w 20 1000', 'w 0 1', 'dump 1000 c', 'r 10', 'r 10', 'r 0', 'r 20',
  'w 0 1', 'r 10',                                       // TXE at the null link: idle again
  ...pokeBytes(0x2000, frame(BCAST, 70, 3)), ...desc(0x1000, 0x1010, 0x2000, OWN | 70), 'poke 1010 1010', 'poke 1018 0',
  'poke 1020 1000', 'w 0 1', 'dump 1000 c', 'r 10', 'r 20',   // on from the link; stops at a descriptor not handed over
  // Receive: a ring of two, filled by three frames; the third waits.
  ...desc(0x5000, 0x5010, 0x6000, 1536), ...desc(0x5010, 0x5000, 0x6800, 1536),
  'w 30 5000', 'w 0 4', 'r 0',
  `rx ${hex(frame(MAC, 100, 4))}`, `rx ${hex(frame(BCAST, 80, 5))}`, `rx ${hex(frame(MAC, 90, 6))}`,
  'dump 5000 8', 'r 10', 'r 0', 'r 30', 'dump 6000 19', 'dump 6800 14',
  'poke 5008 600', 'poke 500c 0', 'w 30 5000', 'w 0 4', 'dump 5000 8', 'r 10', 'dump 6000 17',
  `rx ${hex(frame(OTHER, 70, 7))}`, 'r 10', 'dump 5000 8',     // not for us: the filter drops it
  // A frame over two descriptors: the first 40 bytes with INTR, the rest.
  ...desc(0x5000, 0x5010, 0x6000, INTR | 40), ...desc(0x5010, 0x5000, 0x6800, 1536),
  'w 30 5000', 'w 0 4', `rx ${hex(frame(MAC, 64, 8))}`, 'dump 5000 8', 'r 10', 'dump 6000 a', 'dump 6800 6',
  // Without STRIPCRC the FCS comes along.
  'w 38 0', ...desc(0x5000, 0x5010, 0x6000, 1536), ...desc(0x5010, 0x5000, 0x6800, 1536),
  'w 30 5000', 'w 0 4', `rx ${hex(frame(MAC, 61, 9))}`, 'dump 5000 4', 'dump 6000 10', 'r 10',
  // The mask: no interrupt for what IMR leaves out.
  'w 14 0', `rx ${hex(frame(MAC, 62, 10))}`, 'r 10', 'w 14 3f7', 'w 18 0', `rx ${hex(frame(BCAST, 63, 11))}`, 'r 10',
  'w 0 100', 'r 0', 'r 10', 'r 48', 'r 20', 'r 30',
];

/** The same script on the emulator's model, printing what the host program prints. */
function onModel(lines: string[]): string {
  const ram = new Uint8Array(1 << 20);
  const dv = new DataView(ram.buffer);
  const clock = new SimClock();
  const time = new TimeBase(clock, 2800);
  let edges = 0;
  const out: string[] = [];
  const port: LinkPort = { send: (f) => out.push(`tx ${hex(f)}`), freeAtNs: () => time.nowNs(), onReceive: () => {} };
  const nic = new Dp83820({ mac: new Uint8Array(MAC), time, dma: new RamDma(ram), irq: { raise: () => edges++, lower: () => {} }, port });
  for (const line of lines) {
    const [cmd, a = '', b = ''] = line.split(' ');
    const x = parseInt(a, 16), y = parseInt(b, 16);
    if (cmd === 'w') nic.write32(x, y);
    else if (cmd === 'r') out.push(`r ${x.toString(16)} ${nic.read32(x).toString(16).padStart(8, '0')}`);
    else if (cmd === 'poke') dv.setUint32(x, y >>> 0, true);
    else if (cmd === 'dump') out.push(`dump ${x.toString(16)}${Array.from({ length: y }, (_, i) => ` ${dv.getUint32(x + 4 * i, true).toString(16).padStart(8, '0')}`).join('')}`);
    else if (cmd === 'rx') nic.receive(Uint8Array.from(a.match(/../g)!.map((h) => parseInt(h, 16))));
    clock.run();
    out.push(`irq ${edges}`);
  }
  return out.join('\n') + '\n';
}

/**
 * The command that runs a 32-bit host program: the program itself, or, on a kernel that runs no
 * 32-bit programs (built without IA-32 emulation, or a hypervisor that has none), the program
 * under qemu-i386, Debian's qemu-user, which `setup.sh test` installs. The 32-bit dynamic loader
 * that gcc-multilib brings tells which: run directly, it prints its help and exits 0 only where
 * the kernel can run it.
 */
async function hostCommand(program: string): Promise<[string, string[]]> {
  const native = await execa('/lib/ld-linux.so.2', ['--help'], { reject: false });
  return native.exitCode === 0 ? [program, []] : ['qemu-i386', [program]];
}

let host: [string, string[]] = ['', []];
test.before(async () => {
  const out = await mkdtemp(join(tmpdir(), 'dp83820-host-'));
  const r = await execa('make', ['-s', '-C', join(repo, 'guests/wedge'), `O=${out}`, 'dp83820-host'], { all: true, reject: false });
  if (r.exitCode !== 0) throw new Error(`make dp83820-host failed:\n${r.all}`);
  host = await hostCommand(join(out, 'dp83820-host'));
});

test('the wedge\'s DP83820 and the emulator\'s model: same registers, memory, frames and interrupts for one driver script', async () => {
  const r = await execa(host[0], host[1], { input: script.join('\n') + '\n', reject: false });
  assert.is(r.exitCode, 0, r.stderr || r.message);
  const model = onModel(script);
  const a = r.stdout.trim().split('\n'), b = model.trim().split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) assert.is(a[i], b[i], `output line ${i + 1}`);
  // The script reached what it set out to: frames on the wire, RXIDLE, MORE, interrupts.
  assert.is(b.filter((l) => l.startsWith('tx ')).length, 3);
  assert.ok(b.some((l) => l.startsWith('r 10 ') && (parseInt(l.split(' ')[2]!, 16) & 0x10)), 'RXIDLE seen');
  // The first receive descriptor's cmdsts (third word) with OWN and MORE: the frame went on in the next.
  assert.ok(b.some((l) => l.startsWith('dump 5000 ') && ((parseInt(l.split(' ')[4]!, 16) & 0xc0000000) >>> 0) === 0xc0000000), 'a descriptor with MORE');
  assert.ok(Number(b.at(-1)!.split(' ')[1]) > 3, 'several interrupts');
});

test.run();
