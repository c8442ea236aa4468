// Where things live under .world/, the orchestrator's private state directory next to world.yaml.
// Everything here can be deleted; `world clean` does.
import { join } from 'node:path';

export interface Layout {
  root: string;
  state: string;      // .world
  cas: string;        // .world/cas/<artifact sha256>/   artifacts, content-addressed
  keys: string;       // .world/keys/<key>.json          step key -> artifact (written after the artifact)
  steps: string;      // .world/steps/<step>.json        the last build of each step: key and key inputs
  logs: string;       // .world/logs/<package>/<step>.log
  tmp: string;        // .world/tmp/                     steps in progress; never trusted
  resume: string;     // .world/tmp/resume/<step>/       work of an interrupted resumable step, kept for its next run
  out: string;        // .world/out/<package>[@variant]  installed artifacts (symlinks into cas)
  lock: string;       // .world/build.lock               held by the one build running in this tree
  toolchain: string;  // .world/toolchain.json           tool --version outputs by binary identity
  fileHashes: string; // .world/file-hashes.json         source files' sha256 by stat (src/file-hashes.ts)
  world: string;      // .world/world.json               the checked world.yaml, remembered (src/manifest/memo.ts)
}

export function layoutOf(root: string): Layout {
  const state = join(root, '.world');
  return {
    root, state,
    cas: join(state, 'cas'),
    keys: join(state, 'keys'),
    steps: join(state, 'steps'),
    logs: join(state, 'logs'),
    tmp: join(state, 'tmp'),
    resume: join(state, 'tmp', 'resume'),
    out: join(state, 'out'),
    lock: join(state, 'build.lock'),
    toolchain: join(state, 'toolchain.json'),
    fileHashes: join(state, 'file-hashes.json'),
    world: join(state, 'world.json'),
  };
}
