// A step's log: everything the step and its processes print goes to .world/logs/<package>/<step>.log,
// so the console stays a progress display and a failure can show the log's tail.
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Logger {
  info(line: string): void;
  warn(line: string): void;
}

export class StepLog implements Logger {
  readonly fd: number;
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    // Append mode for us and for the processes that write to the same file, so no one overwrites.
    closeSync(openSync(path, 'w'));
    this.fd = openSync(path, 'a');
  }
  info(line: string): void { writeSync(this.fd, `world: ${line}\n`); }
  warn(line: string): void { writeSync(this.fd, `world: warning: ${line}\n`); }
  close(): void { closeSync(this.fd); }
}

export function logTail(path: string, lines = 20): string[] {
  try {
    const all = readFileSync(path, 'utf8').trimEnd().split('\n');
    return all.slice(-lines);
  } catch {
    return [];
  }
}
