// Robustness: whatever bytes a guest executes, at any CPL, with or without paging, the CPU ends
// each run with a guest-visible outcome (exceptions delivered, a halt, a limit or a clear shutdown
// message), never a host exception, a hang or an internal-error stop. Seeds are fixed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Cpu } from '../../emulator/cpu/cpu.ts';
import { TestBus, noInterrupts, unitCosts, buildRings, enterRing } from './cpu-harness.ts';

const CODE = 0x10000, CODE_BYTES = 0x10000;

function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s;
  };
}

function fuzz(cpl: number, paging: boolean, seeds: number): { stops: Record<string, number>; exceptions: number; instructions: number } {
  const stops: Record<string, number> = {};
  let exceptions = 0, instructions = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const rnd = xorshift(seed * 7919 + cpl * 104729 + (paging ? 1 : 0));
    const bus = new TestBus(4 << 20);
    for (let a = CODE; a < CODE + CODE_BYTES; a++) bus.ram[a] = rnd() & 0xff;
    const cpu = new Cpu(bus, noInterrupts, unitCosts());
    buildRings(cpu, bus.ram, paging);
    enterRing(cpu, cpl, CODE + (rnd() % (CODE_BYTES - 64)));
    for (let r = 0; r < 8; r++) cpu.r[r === 4 ? 0 : r] = rnd();
    let stop = '';
    try {
      stop = cpu.run(Infinity, 5000);
    } catch (e) {
      assert.unreachable(`host exception at cpl ${cpl} seed ${seed}: ${(e as Error).stack}`);
    }
    assert.ok(['limit', 'halt', 'shutdown'].includes(stop), `stop reason ${stop}`);
    if (stop === 'shutdown') {
      assert.not.match(cpu.shutdownReason, /internal emulator error/, `cpl ${cpl} seed ${seed}: ${cpu.shutdownReason}`);
      assert.ok(cpu.shutdownReason.includes('eip='), 'a shutdown carries a register dump');
    }
    stops[stop] = (stops[stop] ?? 0) + 1;
    if (process.env.FUZZ_VERBOSE && stop === "shutdown") console.log(cpl, paging, seed, cpu.shutdownReason.split("\n")[0]);
    exceptions += Object.values(cpu.stats.exceptions).reduce((a, b) => a + b, 0);
    instructions += cpu.stats.instructions;
    JSON.parse(JSON.stringify(cpu.stats));
  }
  return { stops, exceptions, instructions };
}

for (const paging of [false, true]) {
  for (let cpl = 0; cpl < 4; cpl++) {
    test(`random code at CPL ${cpl}${paging ? ' with paging' : ''} never escapes as a host error`, () => {
      const r = fuzz(cpl, paging, 40);
      if (process.env.FUZZ_VERBOSE) console.log(cpl, paging, JSON.stringify(r));
      // The garbage does run and does fault: the test would be empty otherwise.
      assert.ok(r.instructions > 10_000, `instructions retired: ${r.instructions}`);
      assert.ok(r.exceptions > 40, `exceptions delivered: ${r.exceptions}`);
    });
  }
}

test.run();
