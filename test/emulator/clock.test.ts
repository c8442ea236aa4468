// The machine clock's event queue: each event that fires is, among the live ones, the earliest by
// cycle and then by scheduling order, and due; none due is left behind; cancelled ones never
// fire. Checked against a plain scan of the live events over a seeded mix of times, ties,
// cancellations and events that schedule more.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Clock, type ClockEvent } from '../../emulator/clock.ts';

test('events fire earliest first, same-cycle ones in scheduling order, cancelled ones never', () => {
  let x = 0x9e3779b9;
  const rnd = (n: number): number => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) % n; };
  const time = { cycles: 0 };
  const clock = new Clock(time, 1_000_000);
  const live = new Map<number, { at: number; ev: ClockEvent }>();
  let next = 0, fired = 0;
  const first = (): number => {
    let best = -1;
    for (const [id, e] of live) if (best < 0 || e.at < live.get(best)!.at || (e.at === live.get(best)!.at && id < best)) best = id;
    return best;
  };
  const add = (at: number): void => {
    const id = next++;
    const ev = clock.schedule(at, 'test', () => {
      assert.is(id, first(), 'the earliest live event fires');
      assert.ok(live.get(id)!.at <= time.cycles, 'only a due event fires');
      live.delete(id);
      fired++;
      if (rnd(4) === 0) add(time.cycles + rnd(3) * 1000);
    });
    live.set(id, { at: Math.max(Math.ceil(at), time.cycles), ev });
  };
  for (let round = 0; round < 500; round++) {
    for (let k = rnd(6); k > 0; k--) add(time.cycles + rnd(5) * 1000 + (rnd(3) === 0 ? 0.5 : 0));
    if (rnd(3) === 0 && live.size > 0) {
      const ids = [...live.keys()];
      const id = ids[rnd(ids.length)]!;
      clock.cancel(live.get(id)!.ev);
      live.delete(id);
    }
    const f = first();
    assert.is(clock.nextEventAt(), f < 0 ? Infinity : live.get(f)!.at);
    time.cycles += rnd(4000);
    clock.runDue();
    for (const e of live.values()) assert.ok(e.at > time.cycles, 'no due event is left');
  }
  assert.ok(fired > 500, `events fired: ${fired}`);
  assert.ok(live.size > 0);
});

test.run();
