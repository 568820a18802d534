/** What the command-line tools share: reading vendor lists, and failing with one line a person can act on. */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type VendorId, vendorIds } from '../shared/events';
import { ApiError } from './traffic';

/** The command was called wrongly: say why, then how to call it. */
export class UsageError extends Error {}

/** The command cannot go on for a reason the person can fix: one line, no usage. */
export class CommandError extends Error {}

/** parseArgs, with its complaints (an unknown flag, a missing value) as usage errors. */
export function commandLine<const T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** A flag's value as a whole number of at least `min`; a UsageError naming the flag otherwise. */
export function wholeNumber(name: string, value: string | undefined, min: number): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be a whole number${min > 0 ? ` of at least ${min}` : ''}`);
  return n;
}

export function vendorList(value: string): VendorId[] {
  if (value.trim() === 'all') return [...vendorIds];
  const vendors = value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  const known: readonly string[] = vendorIds;
  const unknown = vendors.filter((v) => !known.includes(v));
  if (unknown.length || vendors.length === 0) {
    throw new UsageError(
      `unknown vendor ${unknown.join(', ') || '(none)'}; use all or some of ${vendorIds.join(', ')}`,
    );
  }
  return vendorIds.filter((v) => vendors.includes(v));
}

export function vendorOf(value: string | undefined): VendorId {
  const found = vendorIds.find((v) => v === value);
  if (!found) throw new UsageError(`unknown vendor ${value ?? '(none)'}; use one of ${vendorIds.join(', ')}`);
  return found;
}

export function targetOf(value: string | undefined, fallback: string): string {
  const target = (value ?? fallback).replace(/\/+$/, '');
  try {
    const url = new URL(target);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new UsageError(`--target ${target} is not an http(s) URL`);
  }
  return target;
}

/** Runs a command, turning the errors a person can fix into one line and exit code 2. */
export function main(name: string, usage: string, run: () => Promise<number>): void {
  run().then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof UsageError) {
        console.error(`${name}: ${error.message}\n\n${usage}`);
      } else if (error instanceof ApiError || error instanceof CommandError) {
        console.error(`${name}: ${error.message}`);
      } else {
        console.error(`${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      }
      process.exit(2);
    },
  );
}

export const ms = (value: number | undefined) => (value === undefined ? '—' : `${Math.round(value)} ms`);
export const seconds = (valueMs: number) => `${(valueMs / 1000).toFixed(1)} s`;

/** Whether the module at `url` is the script this process was started with (not imported by another). */
export function isEntry(url: string): boolean {
  const script = process.argv[1];
  return script !== undefined && pathToFileURL(resolve(script)).href === url;
}
