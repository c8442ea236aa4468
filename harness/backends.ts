// The back-ends the harness can run a workload on, all through runNetperf: `hardware` (the guest
// on the bare machine) and `xen` (the Xen model, the NIC assigned to the domain). The l4 model is
// not written; its configurations are listed as not run, with this reason, rather than measured
// on something else. Wiring one in: give runNetperf the back-end, then mark it available here.
import type { BackendName } from '../src/manifest/bench.ts';

const UNAVAILABLE: Partial<Record<BackendName, string>> = {
  l4: 'the l4 back-end is not modelled in this tree (runNetperf runs hardware and xen)',
};

/** Why a back-end cannot run here, or null when it can. */
export function backendAvailability(name: BackendName): string | null {
  return UNAVAILABLE[name] ?? null;
}
