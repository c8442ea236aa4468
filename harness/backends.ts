// The back-ends the harness can run a workload on, all through runNetperf: `hardware` (the guest
// on the bare machine), `xen` (the Xen model, the NIC assigned to the domain) and `l4` (the L4
// model, the NIC's registers mapped by σ0 and its line delivered as interrupt IPC). A back-end
// listed here as unavailable has its configurations reported as not run, with the reason,
// rather than measured on something else.
import type { BackendName } from '../emulator/hypervisors/backend-names.ts';

const UNAVAILABLE: Partial<Record<BackendName, string>> = {};

/** Why a back-end cannot run here, or null when it can. */
export function backendAvailability(name: BackendName): string | null {
  return UNAVAILABLE[name] ?? null;
}
