// npm run reliability:manifests — the manifest-fuzzing figure: N seeded malformed world.yaml files
// (test/orchestrator/manifest-fuzz.ts: bad YAML, wrong types, unknown and misspelt keys, duplicate
// keys, dependency cycles, absurd numbers and sizes, odd unicode, empty, huge, a directory), each
// given to `world build`; prints how many were refused with exit 2 and a file:line:col error, with
// no stack trace and nothing under .world/, by kind, and every case that was not. Exit 1 if any.
//   npm run reliability:manifests [-- COUNT [FIRST_SEED]]      (default 600 from seed 0)
import { availableParallelism, loadavg } from 'node:os';
import { KINDS, checkAll, generate, type Verdict } from '../test/orchestrator/manifest-fuzz.ts';

const count = Number(process.argv[2] ?? 600);
const first = Number(process.argv[3] ?? 0);
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(first) || first < 0) {
  process.stderr.write('reliability:manifests: expected COUNT [FIRST_SEED], whole numbers\n');
  process.exit(2);
}
const started = performance.now();
const load = loadavg()[0]!.toFixed(1);
const cases = Array.from({ length: count }, (_, i) => generate(first + i));
let done = 0;
const verdicts = await checkAll(cases, Math.max(1, Math.min(2, availableParallelism())), (v: Verdict) => {
  done += 1;
  if (!v.ok) process.stdout.write(`NOT REFUSED PROPERLY seed ${v.case.seed} (${v.case.kind}: ${v.case.what.slice(0, 100)}): ${v.problems.join('; ')}\n  ${v.stderr.slice(0, 600).split('\n').join('\n  ')}\n`);
  if (done % 50 === 0) process.stderr.write(`${done} of ${count}\n`);
});
const rows = KINDS.map((k) => {
  const of = verdicts.filter((v) => v.case.kind === k);
  return `  ${k.padEnd(10)} ${String(of.filter((v) => v.ok).length).padStart(4)} of ${of.length}`;
});
const ok = verdicts.filter((v) => v.ok).length;
process.stdout.write(`${rows.join('\n')}\n`);
process.stdout.write(`manifest fuzzing: ${ok} of ${count} malformed world.yaml files (seeds ${first}-${first + count - 1}) refused with exit 2 and a file:line:col error, no stack trace, nothing under .world/ ` +
  `(${((performance.now() - started) / 1000).toFixed(0)} s, load ${load} -> ${loadavg()[0]!.toFixed(1)})\n`);
process.exitCode = ok === count ? 0 : 1;
