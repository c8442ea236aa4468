// The guest kernel's network side: the DP83820 driver, IPv4/TCP and the netperf program,
// booted with run=netperf on the emulated machine against the TypeScript peer. Oracles: the
// peer checks every byte the guest sends and only sends the data pattern, which the guest's
// netperf checks byte by byte; the NIC model counts what the driver does at its registers;
// the wire counts lost frames; objdump shows where sensitive instructions are. QEMU, which
// has no DP83820, checks that the kernel still boots without one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runNetperf, type NetperfDirection, type NetperfRunResult } from '../../harness/workloads/netperf.ts';
import { loadProfile, DEFAULT_PROFILE } from '../../emulator/profiles/load.ts';
import { Machine } from '../../emulator/machine.ts';
import { attachNetwork } from '../../emulator/net/attach.ts';
import { ISR } from '../../emulator/devices/dp83820.ts';

const MiB = 2 ** 20;
// Our own build (default HZ=1000), so the objects are there for objdump.
const buildDir = mkdtempSync(join(tmpdir(), 'world-guest-net-'));
const made = await execa('make', ['-s', '-C', new URL('../../guests/kernel', import.meta.url).pathname,
  `O=${buildDir}`, 'CC=gcc', '-j2'], { all: true, reject: false });
if (made.exitCode !== 0) throw new Error(`make failed:\n${made.all}`);
const guestPath = join(buildDir, 'kernel.elf');
const elf = readFileSync(guestPath);
test.after(() => rmSync(buildDir, { recursive: true, force: true }));

// The guest's last "netperf:" line and its detail lines, as key=value maps plus bare words.
function guestLine(serial: string, prefix: string): { words: string[]; kv: Record<string, string> } {
  const lines = serial.split('\n').filter((l) => l.startsWith(prefix));
  assert.ok(lines.length > 0, `no '${prefix}' line in:\n${serial.slice(-3000)}`);
  const words: string[] = [];
  const kv: Record<string, string> = {};
  for (const t of lines[lines.length - 1]!.slice(prefix.length).trim().split(/\s+/)) {
    const eq = t.indexOf('=');
    if (eq < 0) words.push(t);
    else kv[t.slice(0, eq)] = t.slice(eq + 1);
  }
  return { words, kv };
}

function run(direction: NetperfDirection, bytes: number, extra: { loss?: number; seed?: number } = {}): NetperfRunResult {
  const r = runNetperf({ elf, kernelName: guestPath, direction, bytes, messageBytes: 32768, ...extra });
  assert.is(r.report.exit_value, 0, `${r.report.stop}\n${r.serial.slice(-3000)}`);
  return r;
}

for (const direction of ['send', 'receive'] as const) {
  test(`guest ${direction}s 2 MiB: its result line and the peer agree, every byte checked`, () => {
    const bytes = 2 * MiB;
    const r = run(direction, bytes);
    // The peer's verdict: the pattern at every offset and the exact length (send), or every
    // byte acknowledged (receive, where the guest's program did the checking and exited 0).
    assert.ok(r.peer.verified, JSON.stringify(r.peer));
    assert.is(r.peer.bytes, bytes);
    const g = guestLine(r.serial, 'netperf:');
    assert.equal(g.words, [direction, 'ok']);
    assert.is(g.kv.bytes, String(bytes));
    assert.is(g.kv.retrans, '0');
    assert.is(g.kv.retransmits, '0');
    assert.is(g.kv.bad_offset, '-1');
    // What the peer negotiated (its defaults: MSS 1460, window scaling offered) reached the
    // guest's TCP, and the guest offered scale 3 for its 256 KiB buffer.
    const t = guestLine(r.serial, 'netperf-tcp:');
    assert.is(t.kv.peer_mss, '1460');
    assert.is(t.kv.wscale, '3/3');
    // Data segments: at least one per MSS of the transfer in the data direction.
    const data = Number(direction === 'send' ? t.kv.data_segs_out : t.kv.data_segs_in);
    assert.ok(data >= Math.ceil(bytes / 1460), `${data} data segments`);
    // Line rate or close to it: the wire allows about 113 MiB/s of TCP payload.
    assert.ok(r.report.throughput.value > 90, `${r.report.throughput.value} MiB/s`);
  });
}

test('the driver reads ISR exactly once per interrupt', () => {
  const profile = loadProfile(DEFAULT_PROFILE);
  const machine = new Machine({ memBytes: 64 << 20, profile });
  const net = attachNetwork(machine, {
    netperf: { direction: 'to-guest', transferBytes: MiB, messageBytes: 32768, open: 'passive', peerPort: 12866 },
  });
  let isrReads = 0;
  const read = net.nic.mmioRead.bind(net.nic);
  net.nic.mmioRead = (offset, size) => {
    if ((offset & ~3) === ISR) isrReads++;
    return read(offset, size);
  };
  machine.boot(elf, guestPath, `run=netperf arg=receive,${MiB},32768`);
  const stop = machine.run({ maxInstructions: 200_000_000 });
  assert.equal(stop, { kind: 'exit', value: 0 });
  const delivered = machine.pic.delivered[net.slot.irq!]!;
  assert.ok(delivered > 10, `${delivered} NIC interrupts`);
  assert.is(isrReads, delivered);
  assert.is(net.nic.stats.interrupts >= delivered, true);
  assert.ok(net.finish().verified);
});

test('a CPU too slow for the wire: the RX ring fills, the driver re-arms it on RXIDLE, TCP recovers', () => {
  // The same machine at 100 MHz cannot keep up with 1 Gb/s. Reads of 256 KiB open the whole
  // window at once, so the peer sends more than 64 descriptors hold: the NIC goes idle and its
  // FIFO overflows. The transfer must still complete, every byte checked.
  const p4 = loadProfile(DEFAULT_PROFILE);
  const slow = { ...p4, name: 'slow', cpuMhz: 100 };
  const r = runNetperf({ elf, kernelName: guestPath, direction: 'receive', bytes: MiB, messageBytes: 256 * 1024, profile: slow });
  assert.is(r.report.exit_value, 0, `${r.report.stop}\n${r.serial.slice(-3000)}`);
  assert.ok(r.peer.verified);
  const nic = guestLine(r.serial, 'netperf-nic:');
  assert.ok(Number(nic.kv.rx_idle) > 0, `rx_idle=${nic.kv.rx_idle}: the ring never ran dry`);
  // Frames the NIC could not take are gone for good: the peer had to send them again.
  assert.ok(r.report.retransmissions.peer > 0, 'the peer retransmitted what the NIC dropped');
  assert.equal(guestLine(r.serial, 'netperf:').words, ['receive', 'ok']);
});

test('1% loss, guest receives: out-of-order data is kept, so the peer resends about what was lost', () => {
  const r = run('receive', 2 * MiB, { loss: 0.01, seed: 3 });
  assert.ok(r.peer.verified);
  const lost = r.report.frames.lost_to_guest;
  assert.ok(lost > 0, 'the wire lost frames');
  const t = guestLine(r.serial, 'netperf-tcp:');
  assert.ok(Number(t.kv.out_of_order_in) > 0, 'segments arrived beyond a hole');
  // Dropping everything after a hole would make the peer resend whole windows (hundreds of
  // segments); keeping it leaves one retransmission per lost frame, give or take ACK losses.
  assert.ok(r.report.retransmissions.peer <= 2 * lost + 4, `peer resent ${r.report.retransmissions.peer} for ${lost} lost`);
});

test('1% loss, guest sends: it retransmits (fast retransmit on duplicate ACKs) and the peer verifies', () => {
  const r = run('send', 2 * MiB, { loss: 0.01, seed: 5 });
  assert.ok(r.peer.verified);
  assert.ok(r.report.frames.lost_from_guest > 0, 'the wire lost frames');
  const g = guestLine(r.serial, 'netperf:');
  assert.ok(Number(g.kv.retrans) >= 1 && Number(g.kv.fast_retrans) >= 1, JSON.stringify(g.kv));
  assert.is(r.report.retransmissions.guest, Number(g.kv.retrans));
});

test('on QEMU, without a DP83820: the kernel says so and netperf fails cleanly; a bad argument is refused', async () => {
  const boot = async (append: string): Promise<{ out: string; status: number }> => {
    const r = await execa('qemu-system-i386', ['-kernel', guestPath, '-append', append, '-m', '32',
      '-display', 'none', '-monitor', 'none', '-serial', 'stdio', '-no-reboot',
      '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04'], { reject: false, timeout: 30_000, stdin: 'ignore' });
    const code = r.exitCode ?? -1;
    return { out: r.stdout.replace(/\r/g, ''), status: code % 2 === 1 ? (code - 1) / 2 : -1 };
  };
  const [none, bad] = await Promise.all([boot('run=netperf arg=send,1000,100'), boot('run=netperf arg=sideways,1,1')]);
  assert.match(none.out, /^\[kernel\] net: no DP83820 found$/m);
  assert.match(none.out, /^netperf: send: cannot connect to 10\.0\.0\.1:12866$/m);
  assert.is(none.status, 3);
  assert.match(bad.out, /^netperf: bad argument 'sideways,1,1'/m);
  assert.is(bad.status, 2);
});

// --- sensitive instructions: the network code uses the arch layer like the rest ---

const SENSITIVE = /^(cli|sti|pushf[lwd]?|popf[lwd]?|iret[lwd]?|hlt|in[bwl]?|out[bwl]?|ins[bwld]?|outs[bwld]?)$/;

async function disassemble(obj: string): Promise<string[]> {
  const { stdout } = await execa('objdump', ['-dr', '--no-show-raw-insn', obj]);
  return stdout.split('\n');
}

test('the network objects execute no sensitive instruction and go through the arch layer', async () => {
  const dir = dirname(guestPath);
  for (const obj of ['pci.o', 'dp83820.o', 'net/checksum.o', 'net/eth.o', 'net/arp.o', 'net/ip.o', 'net/tcp.o', 'net/socket.o']) {
    const lines = await disassemble(join(dir, obj));
    const hits = lines.flatMap((l) => {
      const m = l.match(/^\s*[0-9a-f]+:\t(\S+)/);
      return m && SENSITIVE.test(m[1]!) ? [`${obj}: ${l.trim()}`] : [];
    });
    assert.equal(hits, []);
  }
  // Positive controls: PCI configuration goes through the arch layer's port I/O, the driver and
  // the sockets mask interrupts through its irqsave.
  const calls = async (obj: string): Promise<string> => (await disassemble(join(dir, obj))).join('\n');
  assert.match(await calls('pci.o'), /arch_outl/);
  assert.match(await calls('pci.o'), /arch_inl/);
  assert.match(await calls('dp83820.o'), /arch_irq_save/);
  assert.match(await calls('net/socket.o'), /arch_irq_restore/);
});

test.run();
