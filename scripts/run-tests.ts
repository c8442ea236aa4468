// Runs every uvu test file (test/**/*.test.ts) in its own Node process, two at a time, and
// ends with one line 'N passed, N failed' that CI reads. A file that crashes before uvu prints
// its summary counts as one failure. Arguments narrow the run to files whose path contains them.
// The test processes run machines as bench workers do, so they get the emulator's environment
// (harness/host-env.ts: huge pages for guest RAM).
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { availableParallelism } from 'node:os';
import { emulatorEnv } from '../harness/host-env.ts';

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

interface FileResult { file: string; passed: number; failed: number; skipped: number; output: string; ok: boolean }

async function runFile(file: string): Promise<FileResult> {
  const proc = await execa('node', ['--import', 'tsx', file], {
    all: true, reject: false, env: { ...emulatorEnv(), FORCE_COLOR: '0' }, timeout: 30 * 60 * 1000,
  });
  const output = proc.all ?? '';
  const num = (label: string): number | undefined => {
    const m = output.match(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm'));
    return m ? Number(m[1]) : undefined;
  };
  const total = num('Total');
  const passed = num('Passed');
  const skipped = num('Skipped') ?? 0;
  if (total === undefined || passed === undefined) {
    return { file, passed: 0, failed: 1, skipped: 0, output, ok: false };
  }
  // uvu's Total counts only the tests it ran (a test.skip is not among them), so a skip must not
  // be subtracted again: that would hide a failure behind each skip.
  const failed = Math.max(total - passed, proc.exitCode === 0 ? 0 : 1);
  return { file, passed, failed, skipped, output, ok: proc.exitCode === 0 && failed === 0 };
}

const filters = process.argv.slice(2);
const files = findTests('test').filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
const jobs = Math.max(1, Math.min(2, availableParallelism()));
const results: FileResult[] = [];
let next = 0;
async function worker(): Promise<void> {
  while (next < files.length) {
    const file = files[next++]!;
    const r = await runFile(file);
    results.push(r);
    const mark = r.ok ? 'ok  ' : 'FAIL';
    process.stdout.write(`${mark} ${relative('.', file)}  (${r.passed} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped` : ''})\n`);
    if (!r.ok) process.stdout.write(r.output.split('\n').map((l) => '     | ' + l).join('\n') + '\n');
  }
}
await Promise.all(Array.from({ length: jobs }, worker));
const passed = results.reduce((a, r) => a + r.passed, 0);
const failed = results.reduce((a, r) => a + r.failed, 0);
const skipped = results.reduce((a, r) => a + r.skipped, 0);
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exitCode = failed > 0 || results.length === 0 ? 1 : 0;
