// The comparison of a guest's serial output under trap-and-emulate with its output on hardware:
// the scheduling counters differ by design (emulation costs cycles, so preemption points move),
// so both sides drop them before the lines are compared.
/** Serial lines with the scheduling counters (which depend on timing) taken out, sorted. */
export function withoutSchedCounters(out: Uint8Array): string[] {
  return Buffer.from(out).toString().split('\n')
    .map((l) => l.replace(/ (preempted|switches|ticks)=\d+/g, '').replace(/ in \d+ ticks/, ''))
    .sort();
}
