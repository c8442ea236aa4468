// The history folder: one results file per commit, so a figure's value at every commit can be
// charted (harness/report.ts). A history file is the results file without its host section
// (time and host name would make two runs of one commit differ) plus the commit's time and
// subject from git, so the folder reads without the repository. Its name is the commit's UTC
// time and hash, `20261206T215525Z-095d990e5931.json`: sorted by name it is in commit order, and
// the same commit always gets the same name and, its figures being deterministic, the same bytes.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../src/atomic.ts';
import { formatResults, readResults, ResultsError, type Results } from './results.ts';

/** What a history file adds to a results file: the measured commit as git describes it. */
export interface HistoryCommit { commit: string; time: string; subject: string }

export interface HistoryEntry { file: string; commit: HistoryCommit; results: Results }

const NAME = /^(\d{8}T\d{6}Z)-([0-9a-f]{12})\.json$/;

/** The file name of a commit's entry: its committer time in UTC and the first 12 hex of its hash. */
export function historyFileName(c: HistoryCommit): string {
  const t = new Date(c.time);
  if (Number.isNaN(t.getTime())) throw new ResultsError(`commit ${c.commit}: time ${JSON.stringify(c.time)} is not a date`);
  const stamp = t.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
  return `${stamp}-${c.commit.slice(0, 12)}.json`;
}

/** The commit's time (ISO 8601, UTC) and subject, from git in `root`. */
export function gitCommit(root: string, commit: string): HistoryCommit {
  let out: string;
  try {
    out = execFileSync('git', ['log', '-1', '--format=%H%n%cI%n%s', commit, '--'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    throw new ResultsError(`commit ${commit} is not in the git repository at ${root === '.' ? 'the current folder' : root} (a shallow clone? fetch it first)`);
  }
  const [hash, time, subject] = out.split('\n');
  return { commit: hash!, time: new Date(time!).toISOString(), subject: subject ?? '' };
}

/** The bytes of a history file: the results without host, with the commit. */
export function historyText(results: Results, commit: HistoryCommit): string {
  return formatResults({ ...results, host: {}, history: commit });
}

/**
 * Adds a results file's figures to the history folder as its commit's entry. Refused for a tree
 * that differed from its commit (the figures are not the commit's) and for a commit whose entry
 * holds other bytes unless `replace` (a deterministic figure that differs on the same commit is a
 * finding to look at, not to overwrite silently).
 */
export function addToHistory(dir: string, results: Results, path: string, o: { root: string; replace?: boolean }): { file: string; status: 'added' | 'unchanged' | 'replaced' } {
  const commit = results.provenance.git_commit;
  if (typeof commit !== 'string' || !/^[0-9a-f]{40}$/.test(commit)) throw new ResultsError(`${path}: provenance.git_commit: expected a commit hash, got ${JSON.stringify(commit)}`);
  if (results.provenance.git_dirty !== false) throw new ResultsError(`${path}: measured on a tree that differed from commit ${commit.slice(0, 12)} (provenance.git_dirty ${JSON.stringify(results.provenance.git_dirty)}); the history holds one clean run per commit`);
  if (results.shard) throw new ResultsError(`${path}: holds shard ${results.shard.index} of ${results.shard.count}; merge the shards first (world merge)`);
  const c = gitCommit(o.root, commit);
  const file = join(dir, historyFileName(c));
  const text = historyText(results, c);
  const existed = existsSync(file);
  if (existed) {
    if (readFileSync(file, 'utf8') === text) return { file, status: 'unchanged' };
    if (!o.replace) throw new ResultsError(`${file}: commit ${commit.slice(0, 12)} already has an entry with other figures; compare them (world compare ${file} ${path}) or replace it (--replace)`);
  }
  writeFileAtomic(file, text);
  return { file, status: existed ? 'replaced' : 'added' };
}

/** Every entry of the folder, oldest commit first; a file not named as an entry is an error. */
export function readHistory(dir: string): HistoryEntry[] {
  if (!existsSync(dir)) throw new ResultsError(`${dir}: no such history folder`);
  const names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  return names.map((name) => {
    const path = join(dir, name);
    if (!NAME.test(name)) throw new ResultsError(`${path}: not a history file name (<commit time>-<12 hex of the commit>.json, as 'world history add' writes)`);
    const results = readResults(path);
    const h = results.history;
    if (!h || typeof h.commit !== 'string' || typeof h.time !== 'string' || typeof h.subject !== 'string') throw new ResultsError(`${path}: history: expected the commit, its time and subject`);
    if (historyFileName(h) !== name) throw new ResultsError(`${path}: named for another commit than its history.commit ${h.commit.slice(0, 12)} at ${h.time}`);
    return { file: path, commit: h, results };
  });
}
