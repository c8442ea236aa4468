// The lossy-wire check of every Linux netperf test: 1 MiB each way through a wire that drops 1%
// of frames, /init checking every byte it receives (`check`) and the peer every byte it is sent;
// the wire must have lost frames and the side that lost them must have retransmitted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NetperfDirection, NetperfRunResult } from '../../harness/workloads/netperf.ts';

export type LossRun = (direction: NetperfDirection, extra: { loss: number; seed: number; check: true }) => NetperfRunResult;

/** Registers the send and receive tests through 1% loss; `where` names the configuration. */
export function lossTests(where: string, run: LossRun): void {
  for (const [direction, seed] of [['send', 5], ['receive', 3]] as const) {
    test(`Linux ${direction}s 1 MiB through 1% loss ${where}: retransmissions, every byte verified`, () => {
      const r = run(direction, { loss: 0.01, seed, check: true });
      assert.ok(r.peer.verified, JSON.stringify(r.peer));
      const lost = direction === 'send' ? r.report.frames.lost_from_guest : r.report.frames.lost_to_guest;
      assert.ok(lost > 0, 'the wire lost frames');
      if (direction === 'send') assert.ok((r.report.retransmissions.guest ?? 0) > 0, 'Linux retransmitted');
      else assert.ok(r.report.retransmissions.peer > 0, 'the peer retransmitted');
    });
  }
}
