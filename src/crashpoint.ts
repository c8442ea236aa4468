// Fault injection for the kill-point tests (scripts/reliability-killpoints.ts, test/orchestrator/
// killpoints.test.ts): named points between the durable writes of a build (a temporary file
// written but not renamed, an artifact in place but its key not yet written...). With
// WORLD_CRASH_AT=<text>[#<n>] the process kills itself with SIGKILL at the n-th point (default
// the first) whose label contains <text>, exactly as a power cut or the OOM killer would there;
// with WORLD_CRASH_TRACE=<file> every point reached is appended to the file, so a test learns the
// points a build passes. Both are read once and removed from the environment, so the build's own
// processes (make, the afterburner) never inherit them. Unset, a point costs one comparison.
import { appendFileSync } from 'node:fs';

const spec = process.env.WORLD_CRASH_AT;
const trace = process.env.WORLD_CRASH_TRACE;
delete process.env.WORLD_CRASH_AT;
delete process.env.WORLD_CRASH_TRACE;
const hash = spec?.lastIndexOf('#') ?? -1;
const wanted = spec === undefined ? undefined : hash > 0 ? spec.slice(0, hash) : spec;
let remaining = spec === undefined ? 0 : hash > 0 ? Number(spec.slice(hash + 1)) || 1 : 1;

export function crashPoint(label: string): void {
  if (wanted === undefined && trace === undefined) return;
  if (trace !== undefined) appendFileSync(trace, `${label}\n`);
  if (wanted !== undefined && label.includes(wanted) && --remaining === 0) process.kill(process.pid, 'SIGKILL');
}
