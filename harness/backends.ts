// The back-ends the harness can run a workload on. `hardware` runs through runNetperf (the guest
// on the bare machine). The xen and l4 models are being written; until runNetperf can boot a
// guest on them, their configurations are listed as not run, with this reason, rather than
// measured on something else. Wiring one in: give runNetperf a back-end option, then mark the
// back-end available here and pass it on in harness/measure.ts.
import type { BackendName } from '../src/manifest/bench.ts';

const UNAVAILABLE: Partial<Record<BackendName, string>> = {
  xen: 'the xen back-end cannot run netperf in this tree yet (runNetperf boots the bare machine only)',
  l4: 'the l4 back-end cannot run netperf in this tree yet (runNetperf boots the bare machine only)',
};

/** Why a back-end cannot run here, or null when it can. */
export function backendAvailability(name: BackendName): string | null {
  return UNAVAILABLE[name] ?? null;
}
