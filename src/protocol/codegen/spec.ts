/**
 * Reads Kafka's message specs (`../shared/kafka-protocol/message/*.json`, JSON with `//` comments) into a
 * small typed model the generator walks. The format is upstream's SPEC-FORMAT.md: version ranges
 * ("0+", "3-5", "7", "none"), `[]Type` arrays, nested `fields`, `commonStructs`, tagged and nullable
 * versions, custom defaults.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const MAX_VERSION = 0x7fff;
export type Range = readonly [number, number];

export interface SpecField {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  flexibleVersions?: string;
  ignorable?: boolean;
  default?: string | number | boolean;
  about?: string;
  entityType?: string;
  fields?: SpecField[];
}

export interface SpecMessage {
  apiKey?: number;
  type: 'request' | 'response' | 'header' | 'data';
  name: string;
  validVersions: string;
  flexibleVersions: string;
  latestVersionUnstable?: boolean;
  fields: SpecField[];
  commonStructs?: Array<{ name: string; versions: string; fields: SpecField[] }>;
}

/** Parses a version range; `none` gives null. */
export function parseRange(text: string): Range | null {
  const trimmed = text.trim();
  if (trimmed === 'none') return null;
  if (trimmed.endsWith('+')) return [Number(trimmed.slice(0, -1)), MAX_VERSION];
  const dash = trimmed.indexOf('-');
  if (dash > 0) return [Number(trimmed.slice(0, dash)), Number(trimmed.slice(dash + 1))];
  const single = Number(trimmed);
  if (!Number.isInteger(single)) throw new Error(`bad version range: ${text}`);
  return [single, single];
}

/** Strips whole-line and trailing `//` comments that are outside JSON strings. */
export function stripComments(source: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (inString) {
      out += c;
      if (c === '\\') out += source[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && source[i + 1] === '/') {
      while (i < source.length && source[i] !== '\n') i++;
      out += '\n';
    } else out += c;
  }
  return out;
}

export function readSpecs(directory: string): SpecMessage[] {
  return readdirSync(directory)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(stripComments(readFileSync(join(directory, file), 'utf8'))) as SpecMessage);
}
