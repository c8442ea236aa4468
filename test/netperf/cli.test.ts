// `world netperf` argument checking: every bad option exits 2 with a message naming it, before
// anything is built or booted; and the helpers the command reports with.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { command } from '../../src/commands/netperf.ts';
import { UsageError, parseSizeOption } from '../../src/commands/command.ts';
import { parseGuestResult, wireGoodputMiBps } from '../../harness/workloads/netperf.ts';
import { sortKeys } from '../../emulator/json.ts';

const world = new URL('../../bin/world.js', import.meta.url).pathname;

const bad: [string[], RegExp][] = [
  [[], /--direction is required/],
  [['--direction', 'sideways'], /--direction 'sideways': expected send or receive/],
  [['--direction', 'send', '--bytes', '12Q'], /--bytes '12Q': expected a size/],
  [['--direction', 'send', '--bytes', '0'], /--bytes '0': must be at least one byte/],
  [['--direction', 'send', '--message', '2MiB'], /--message '2MiB': at most 256KiB/],
  [['--direction', 'send', '--loss', '1'], /--loss '1': expected a probability/],
  [['--direction', 'send', '--loss', 'lots'], /--loss 'lots'/],
  [['--direction', 'send', '--seed', '3'], /--seed only applies with --loss/],
  [['--direction', 'send', '--loss', '0.01', '--seed=-1'], /--seed '-1': expected a whole number/],
  [['--direction', 'send', '--loss', '0.01', '--seed', '1.5'], /--seed '1.5': expected a whole number/],
  [['--direction', 'send', '--mem', '1M'], /--mem 1M: RAM must be between/],
  [['--direction', 'send', '--time-limit', '0'], /--time-limit '0'/],
  [['--direction', 'send', '--append', 'run=init'], /run= and arg= are set by world netperf/],
  [['--direction', 'send', '--pcap', '/nonexistent-folder/x.pcap'], /--pcap .*does not exist/],
  [['--direction', 'send', '--frobnicate'], /Unknown option '--frobnicate'/],
  [['--direction', 'send', 'extra'], /positional/],
  [['--direction', 'send', '--backend', 'kvm'], /--backend 'kvm': expected hardware, xen or l4/],
  [['--direction', 'send', '--wedge', 'w.elf'], /--wedge needs --backend xen or l4/],
  [['--direction', 'send', '--config', 'hardware', '--guest', 'k.elf'], /--config hardware names the guest, back-end, wedge and initrd itself: drop --guest/],
  [['--direction', 'send', '--config', 'xenolinux', '--backend', 'xen', '--wedge', 'w.elf'], /drop --backend, --wedge/],
  [['--direction', 'send', '--file', 'w.yaml'], /--file only applies with --config/],
];

for (const [args, message] of bad) {
  test(`world netperf ${args.join(' ') || '(no options)'}: a usage error naming the option`, async () => {
    try {
      await command.run(args);
      assert.unreachable('accepted');
    } catch (e) {
      assert.instance(e, UsageError);
      assert.match((e as Error).message, message);
    }
  });
}

test('through the CLI a bad option exits 2 with the message and the usage', async () => {
  const r = await execa('node', [world, 'netperf', '--direction', 'sideways'], { reject: false });
  assert.is(r.exitCode, 2, r.stderr);
  assert.match(r.stderr, /--direction 'sideways': expected send or receive/);
  assert.match(r.stderr, /usage: world netperf/);
});

test('a missing guest ELF is named, exit 2', async () => {
  const r = await execa('node', [world, 'netperf', '--direction', 'send', '--guest', '/nonexistent.elf'], { reject: false });
  assert.is(r.exitCode, 2);
  assert.match(r.stderr, /--guest \/nonexistent.elf: no such file/);
});

test('--config with a name world.yaml does not declare: exit 2, the names and the closest one', async () => {
  const r = await execa('node', [world, 'netperf', '--direction', 'send', '--config', 'afterburn-xen'], { reject: false });
  assert.is(r.exitCode, 2, r.stderr);
  assert.match(r.stderr, /--config 'afterburn-xen': world.yaml declares no such configuration; expected one of: hardware, /);
  assert.match(r.stderr, /did you mean 'afterburnt-xen'\?/);
});

test('--config runs the configuration\'s guest on its back-end: the same report as naming them by hand', async () => {
  const args = ['netperf', '--direction', 'receive', '--bytes', '256KiB', '--json'];
  const byConfig = await execa('node', [world, ...args, '--config', 'hardware'], { reject: false });
  assert.is(byConfig.exitCode, 0, byConfig.stderr);
  const repo = new URL('../..', import.meta.url).pathname;
  const byHand = await execa('node', [world, ...args, '--guest', `${repo}.world/out/guest-kernel@native/kernel.elf`, '--backend', 'hardware'], { reject: false });
  assert.is(byHand.exitCode, 0, byHand.stderr);
  const a = JSON.parse(byConfig.stdout) as Record<string, unknown>;
  const b = JSON.parse(byHand.stdout) as Record<string, unknown>;
  delete a.host; delete b.host;
  assert.equal(a, b);
  assert.is(a.verified, true);
});

test('where the guest file lies does not change a figure (the kernel sees only its file name)', async () => {
  const { mkdtempSync, mkdirSync, copyFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(`${tmpdir()}/netperf-path-`);
  const src = new URL('../../.world/out/guest-kernel@native/kernel.elf', import.meta.url).pathname;
  mkdirSync(`${dir}/a-much-longer-folder-name`);
  copyFileSync(src, `${dir}/k.elf`);
  copyFileSync(src, `${dir}/a-much-longer-folder-name/k.elf`);
  const run = (guest: string) => execa('node', [world, 'netperf', '--direction', 'send', '--bytes', '128KiB', '--json', '--guest', guest]);
  const [a, b] = await Promise.all([run(`${dir}/k.elf`), run(`${dir}/a-much-longer-folder-name/k.elf`)]);
  const strip = (t: string) => { const r = JSON.parse(t) as Record<string, unknown>; delete r.host; return r; };
  assert.equal(strip(a.stdout), strip(b.stdout));
});

test('sizes are binary units', () => {
  assert.is(parseSizeOption('--bytes', '64MiB'), 64 * 2 ** 20);
  assert.is(parseSizeOption('--bytes', '32KiB'), 32768);
  assert.is(parseSizeOption('--bytes', '1G'), 2 ** 30);
  assert.is(parseSizeOption('--bytes', '1000'), 1000);
});

test('one size grammar: every unit spelling means the same binary size, --mem alone reads a bare number as MiB', () => {
  for (const [text, bytes] of [['4M', 4 * 2 ** 20], ['4MiB', 4 * 2 ** 20], ['4m', 4 * 2 ** 20], ['4 mib', 4 * 2 ** 20], ['64K', 65536], ['1GiB', 2 ** 30], ['7B', 7]] as const) {
    assert.is(parseSizeOption('--transfer', text), bytes, text);
  }
  assert.is(parseSizeOption('--mem', '64', 2 ** 20), 64 * 2 ** 20);
  assert.is(parseSizeOption('--mem', '64M', 2 ** 20), 64 * 2 ** 20);
  assert.throws(() => parseSizeOption('--transfer', '4MB'), /--transfer '4MB': expected a size/);
  assert.throws(() => parseSizeOption('--transfer', '1.5M'), /expected a size/);
});

test('world bench --transfer takes the same sizes as world netperf --bytes', async () => {
  const r = await execa('node', [world, 'bench', '--transfer', '4M', '--list'], { reject: false });
  assert.is(r.exitCode, 0, r.stderr);
  const bad = await execa('node', [world, 'bench', '--transfer', '4MB', '--list'], { reject: false });
  assert.is(bad.exitCode, 2);
  assert.match(bad.stderr, /--transfer '4MB': expected a size/);
});

test('the wire goodput bound: 1460-byte payloads in 1538 bytes of wire time at 1 Gb/s', () => {
  // 8 preamble+SFD, 14 Ethernet, 20 IPv4, 20 TCP, 1460 data, 4 FCS, 12 inter-frame gap.
  const wireTime = 8 + 14 + 20 + 20 + 1460 + 4 + 12;
  assert.is(wireTime, 1538);
  assert.ok(Math.abs(wireGoodputMiBps() - (125e6 * 1460) / wireTime / 2 ** 20) < 1e-9);
});

test('the guest result line: the last netperf: line, key=value pairs and bare words', () => {
  const r = parseGuestResult('boot\nnetperf: receive bytes=1 bad\nnetperf: send bytes=4 ok retransmits=7 mib_s=1.50\nbye\n');
  assert.equal(r, { bytes: '4', retransmits: '7', mib_s: '1.50', words: 'send ok' });
  assert.is(parseGuestResult('no result\n'), null);
});

test('sortKeys orders keys at every depth', () => {
  assert.is(JSON.stringify(sortKeys({ b: 1, a: { d: [{ z: 1, y: 2 }], c: 3 } })), '{"a":{"c":3,"d":[{"y":2,"z":1}]},"b":1}');
});

test.run();
