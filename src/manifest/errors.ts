// Errors in world.yaml: each names the file, line and column, the key path, and what was expected.
// All problems in a file are collected and reported together, and nothing runs.

export interface Position { line: number; col: number }

export interface ManifestIssue {
  file: string;
  pos: Position;
  /** Key path from the document root, e.g. `packages.crc32.source.sha256`. Empty for the root. */
  path: string;
  message: string;
}

export function formatIssue(issue: ManifestIssue): string {
  const where = `${issue.file}:${issue.pos.line}:${issue.pos.col}`;
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

export class ManifestError extends Error {
  readonly issues: ManifestIssue[];
  constructor(issues: ManifestIssue[]) {
    // In file order, as a reader goes through the file.
    const sorted = [...issues].sort((a, b) => a.pos.line - b.pos.line || a.pos.col - b.pos.col);
    super(sorted.map(formatIssue).join('\n'));
    this.issues = sorted;
    this.name = 'ManifestError';
  }
}

export function joinPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}
