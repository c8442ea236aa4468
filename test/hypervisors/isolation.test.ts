// Every isolation attack (attacks.ts) must be stopped, and the stop or refusal must say what was
// attempted. The expected outcome is the hypervisor's documented rule for each (ABI.md of the
// Xen and L4 models), not a previous run's text.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ATTACKS } from './attacks.ts';

for (const a of ATTACKS) {
  test(`${a.backend}: ${a.attack} is stopped and named`, async () => {
    const r = await a.run();
    assert.ok(r.stopped, `not stopped: ${r.evidence}`);
    assert.ok(r.named, `stopped but not named: ${r.evidence}`);
  });
}

test.run();
