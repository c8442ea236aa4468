// The orchestrator's version, part of every cache key: a new version rebuilds everything.
import { readFileSync } from 'node:fs';

export const ORCHESTRATOR_VERSION: string =
  (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
