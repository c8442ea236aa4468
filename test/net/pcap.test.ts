// The pcap writer, with tshark as the oracle: every frame decodes as Ethernet/IPv4/TCP or ARP
// with good checksums, timestamps follow the wire's timing, a lossless transfer shows no
// retransmission, a lossy one shows exactly the ones the sender made, and runs repeat byte for byte.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPair } from '../../emulator/net/peer/pair.ts';

const dir = mkdtempSync(join(tmpdir(), 'world-pcap-'));

function tshark(file: string, fields: string[], filter?: string): string[][] {
  const args = ['-r', file, '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-T', 'fields'];
  if (filter) args.push('-Y', filter);
  for (const f of fields) args.push('-e', f);
  const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 });
  return out.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
}

test('lossless transfer: every frame decodes with good checksums; no retransmission; wire timing', () => {
  const file = join(dir, 'clean.pcap');
  const r = runPair({ transferBytes: 1 << 20, pcapPath: file });
  assert.ok(r.receiver.verified);
  const rows = tshark(file, ['frame.protocols', 'ip.checksum.status', 'tcp.checksum.status', 'frame.time_epoch', 'frame.len', 'tcp.srcport']);
  assert.is(rows.length, r.pcapFrames);
  assert.is(rows.length, r.wire.stats(0).frames + r.wire.stats(1).frames);
  let arp = 0;
  for (const [proto, ipSum, tcpSum] of rows) {
    if (proto === 'eth:ethertype:arp') {
      arp++;
      continue;
    }
    assert.match(proto!, /^eth:ethertype:ip:tcp(:data)?$/);
    assert.is(ipSum, '1', 'IP checksum good');
    assert.is(tcpSum, '1', 'TCP checksum good');
  }
  assert.is(arp, 2, 'one ARP request and its reply');
  assert.is(tshark(file, ['frame.number'], 'tcp.analysis.retransmission or tcp.analysis.lost_segment').length, 0);
  // Back-to-back full-size frames from the sender start 12,304 ns apart (1538 bytes at 1 Gb/s).
  const data = rows.filter((x) => x[4] === '1514' && x[5] === '40000').map((x) => Number(x[3]!.replace('.', '')) );
  const gaps = new Set(data.slice(20, 200).map((t, i, a) => (i > 0 ? t - a[i - 1]! : 12304)));
  assert.ok(gaps.has(12304), `gaps ${[...gaps].slice(0, 5)}`);
  for (const g of gaps) assert.ok(g >= 12304, `frames closer than the wire allows: ${g} ns`);
  const times = rows.map((x) => Number(x[3]!.replace('.', '')));
  assert.ok(times.every((t, i) => i === 0 || t >= times[i - 1]!), 'file in time order');
});

test('lossy transfer: tshark sees exactly the retransmissions the sender made', () => {
  const file = join(dir, 'lossy.pcap');
  const r = runPair({ transferBytes: 1 << 20, pcapPath: file, faults: { seed: 7, loss: 0.01 } });
  assert.ok(r.receiver.verified);
  const rows = tshark(file, ['ip.checksum.status', 'tcp.checksum.status']);
  assert.ok(rows.every(([a, b]) => (a === '' && b === '') || (a === '1' && b === '1')));
  const rtx = tshark(file, ['frame.number'], 'tcp.analysis.retransmission').length;
  assert.ok(r.sender.tcp.retransmits > 0);
  assert.is(rtx, r.sender.tcp.retransmits);
});

test('determinism: the same transfer twice gives byte-identical pcap files; another seed differs', () => {
  const run = (name: string, seed: number): Buffer => {
    const file = join(dir, name);
    runPair({ transferBytes: 1 << 20, pcapPath: file, faults: { seed, loss: 0.01, reorder: 0.01, duplicate: 0.01 } });
    return readFileSync(file);
  };
  const a = run('a.pcap', 3);
  const b = run('b.pcap', 3);
  const c = run('c.pcap', 4);
  assert.ok(a.equals(b), 'identical bytes');
  assert.not.ok(a.equals(c), 'a different seed gives a different capture');
});

test('the file appears only when complete: no temporary files are left', () => {
  const names = readdirSync(dir);
  assert.ok(names.every((n) => n.endsWith('.pcap')), names.join(','));
  assert.ok(existsSync(join(dir, 'a.pcap')));
  rmSync(dir, { recursive: true, force: true });
});

test.run();
