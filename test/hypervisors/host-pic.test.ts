// The hypervisors' 8259A driver: each write is an `out` charged port_io, only a mask register
// whose value changes is written, and an EOI for a slave line goes to both chips. The expected
// port sequences follow the 8259A's programming model (OCW1 on the odd port, non-specific EOI
// 0x20 on the even port of each chip in the cascade), not a previous run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HostPic } from '../../emulator/hypervisors/host-pic.ts';
import { loadProfile } from '../../emulator/profiles/load.ts';
import type { Bus } from '../../emulator/types.ts';

function rig(charged = true) {
  const writes: [number, number][] = [];
  const bus: Bus = {
    ram: new Uint8Array(0),
    mmioRead: () => 0, mmioWrite: () => {},
    ioRead: () => 0, ioWrite: (port, _size, v) => { writes.push([port, v]); },
  };
  const cpu = { cycles: 0, costs: loadProfile('p4-2.8ghz').costs };
  const pic = new HostPic(bus, cpu, charged);
  pic.init(0x20);
  writes.length = 0;
  cpu.cycles = 0;
  return { pic, cpu, writes };
}

/** A rig with `line` unmasked, the writes and cycles of that unmask forgotten. */
function rigWithLine(line: number) {
  const r = rig();
  r.pic.unmaskLine(line);
  r.writes.length = 0; r.cpu.cycles = 0;
  return r;
}

test('a NIC interrupt on line 10: mask the slave line, EOI slave then master, three outs', () => {
  const { pic, cpu, writes } = rigWithLine(10);
  pic.maskLine(10);
  pic.eoi(10);
  assert.equal(writes, [[0xa1, 0xff], [0xa0, 0x20], [0x20, 0x20]]);
  assert.is(cpu.cycles, 3 * cpu.costs.port_io);
  pic.unmaskLine(10);
  assert.equal(writes.slice(3), [[0xa1, 0xfb]]);
  assert.is(cpu.cycles, 4 * cpu.costs.port_io);
});

test('uncharged (the profile\'s host_pic_port_io off): the same writes, no cycles', () => {
  const r = rig(false);
  r.pic.unmaskLine(10);
  r.pic.maskLine(10);
  r.pic.eoi(10);
  assert.equal(r.writes, [[0xa1, 0xfb], [0xa1, 0xff], [0xa0, 0x20], [0x20, 0x20]]);
  assert.is(r.cpu.cycles, 0);
});

test('a master line touches only the master: mask + EOI is two outs', () => {
  const { pic, cpu, writes } = rigWithLine(0);
  pic.maskLine(0);
  pic.eoi(0);
  assert.equal(writes, [[0x21, 0xfb], [0x20, 0x20]]);
  assert.is(cpu.cycles, 2 * cpu.costs.port_io);
});

test('a mask that does not change writes nothing and costs nothing', () => {
  const { pic, cpu, writes } = rig();
  pic.maskLine(5); // already masked after init
  assert.equal(writes, []);
  assert.is(cpu.cycles, 0);
});

test.run();
