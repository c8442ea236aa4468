// Where a results file came from: the commit and whether the tree differed from it, the hashes of
// world.yaml, world.lock, the emulator's sources and the cost profile, and the toolchain's
// versions. All of it is the same on every run of the same tree, so it sits with the figures;
// host name, node version and time go to the host section instead.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from './hash.ts';
import { hashTree } from './tree.ts';
import { ORCHESTRATOR_VERSION } from './version.ts';
import { loadProfile } from '../emulator/profiles/load.ts';

function git(root: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function fileHash(path: string): string {
  return existsSync(path) ? sha256(readFileSync(path)) : 'missing';
}

function toolVersion(tool: string): string {
  try {
    return execFileSync(tool, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0]!.trim();
  } catch {
    return 'not found';
  }
}

export function provenance(root: string, worldFile: string, profileName: string): Record<string, unknown> {
  // results/ is left out of the dirty check: a bench run writes there, and the next run must
  // not see its own output as a change to the tree.
  const status = git(root, ['status', '--porcelain', '--untracked-files=normal', '--', '.', ':(exclude)results']);
  const profile = loadProfile(profileName);
  return {
    git_commit: git(root, ['rev-parse', 'HEAD']) ?? 'not a git checkout',
    git_dirty: status === null ? null : status !== '',
    world_yaml_sha256: fileHash(worldFile),
    world_lock_sha256: fileHash(join(root, 'world.lock')),
    orchestrator_version: ORCHESTRATOR_VERSION,
    emulator: { version: ORCHESTRATOR_VERSION, sources_sha256: hashTree(root, 'emulator').hash },
    cost_profile: { name: profile.name, sha256: fileHash(profile.file) },
    toolchain: Object.fromEntries(['gcc', 'as', 'ld', 'make'].map((t) => [t, toolVersion(t)])),
  };
}
