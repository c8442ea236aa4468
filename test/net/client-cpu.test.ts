// The peer's CPU (the slides' 1.4 GHz client): every frame it sends or receives takes its time on
// one timeline, so a sender with that CPU cannot put data frames on the wire faster than it can
// build them (and take in the ACKs): the transfer is paced by processing, not capped. Expected
// times come from the client profile's figures and the frame sizes, not from a previous run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runPair } from '../../emulator/net/peer/pair.ts';
import { loadClientCpu, clientFrameNs } from '../../emulator/net/peer/client-cpu.ts';

const MSS = 1460, BYTES = 2 << 20;

test('the client profile: 1.4 GHz, every figure sourced, fitted or an estimate', () => {
  const c = loadClientCpu();
  assert.is(c.mhz, 1400);
  for (const [k, s] of Object.entries(c.sources)) assert.ok(/PAPER\.md|COSTS\.md|^estimate: |^fitted on the hardware row: /.test(s), `${k}: ${s}`);
});

test('a sender with the client CPU is paced by its per-frame costs', () => {
  const cpu = loadClientCpu();
  const free = runPair({ transferBytes: BYTES, processingNs: 0 });
  const paced = runPair({ transferBytes: BYTES, processingNs: 0, senderCpu: cpu });
  assert.ok(free.receiver.verified && paced.receiver.verified);
  const frames = Math.ceil(BYTES / MSS);
  // Building every data frame and taking in the receiver's ACKs (about one per two frames, it
  // delays ACKs) on the one CPU: at least this long.
  const least = frames * (clientFrameNs(cpu, 'tx', MSS) + 0.45 * clientFrameNs(cpu, 'rx', 0));
  const most = frames * (clientFrameNs(cpu, 'tx', MSS) + 0.55 * clientFrameNs(cpu, 'rx', 0)) + 2e6;
  assert.ok(paced.sender.elapsedNs >= least, `${paced.sender.elapsedNs} ns < ${least} ns of frame building`);
  assert.ok(paced.sender.elapsedNs <= most, `${paced.sender.elapsedNs} ns > ${most} ns`);
  assert.ok(free.sender.elapsedNs < least, 'without the CPU the wire alone is faster');
});

test.run();
