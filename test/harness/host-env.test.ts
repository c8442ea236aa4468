// A command that runs a machine re-runs itself in the emulator's environment
// (harness/host-env.ts rerunInEmulatorEnv): the re-run sees the huge-page tunable next to the
// tunables already set, gets the same arguments, gives back its exit status, and a SIGTERM to the
// first process ends the re-run too. Checked on a small script that calls it as the CLI does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { emulatorEnv, hasEmulatorEnv } from '../../harness/host-env.ts';

const hostEnv = fileURLToPath(new URL('../../harness/host-env.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'world-host-env-'));
const script = join(dir, 'rerun.mjs');
// First run: re-run. The re-run: report its tunables and arguments, then exit 7, or wait to be
// stopped after writing its pid when asked to.
writeFileSync(script, `
import { writeFileSync } from 'node:fs';
import { hasEmulatorEnv, rerunInEmulatorEnv } from ${JSON.stringify(hostEnv)};
if (!hasEmulatorEnv()) process.exit(await rerunInEmulatorEnv());
const [mode, pidFile] = process.argv.slice(2);
if (mode === 'wait') { writeFileSync(pidFile, String(process.pid)); setInterval(() => {}, 1000); }
else { process.stdout.write(JSON.stringify({ tunables: process.env.GLIBC_TUNABLES, args: process.argv.slice(2) })); process.exit(7); }
`);

function run(args: string[], env: NodeJS.ProcessEnv, stdio: 'pipe' | 'ignore' = 'pipe') {
  return execa(process.execPath, ['--import', 'tsx', script, ...args], { env, extendEnv: false, reject: false, stdio });
}

test('the tunable is added once, after those already set', () => {
  assert.is(hasEmulatorEnv({}), false);
  assert.is(emulatorEnv({}).GLIBC_TUNABLES, 'glibc.malloc.hugetlb=1');
  assert.is(emulatorEnv({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }).GLIBC_TUNABLES, 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1');
  const set = { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' };
  assert.is(emulatorEnv(set), set, 'a tunable the user set is left as it is');
});

test('the re-run has the tunable and the arguments, and its exit status is returned', async () => {
  const { PATH, HOME } = process.env;
  const r = await run(['report', 'two words'], { PATH, HOME, GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' });
  assert.is(r.exitCode, 7, r.stderr);
  const seen = JSON.parse(String(r.stdout)) as { tunables: string; args: string[] };
  assert.is(seen.tunables, 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1');
  assert.equal(seen.args, ['report', 'two words']);
});

test('a SIGTERM to the first process stops the re-run', async () => {
  const pidFile = join(dir, 'pid');
  const { PATH, HOME } = process.env;
  // No pipes: a re-run left behind would hold them open and keep this test waiting.
  const proc = run(['wait', pidFile], { PATH, HOME }, 'ignore');
  for (let i = 0; i < 200 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
  const pid = Number(readFileSync(pidFile, 'utf8'));
  assert.ok(pid > 0 && pid !== proc.pid, 'the script should have been re-run in a process of its own');
  proc.kill('SIGTERM');
  const r = await proc;
  assert.is(r.exitCode, 128 + 15);
  let alive = true;
  for (let i = 0; i < 100 && alive; i++) {
    try { process.kill(pid, 0); await new Promise((r) => setTimeout(r, 20)); } catch { alive = false; }
  }
  assert.is(alive, false, `the re-run (pid ${pid}) outlived the process that started it`);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
