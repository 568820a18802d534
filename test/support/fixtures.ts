/** Loads fixtures from events/<vendor>/: a fresh copy per call, so a test can change what it loaded. */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../events/', import.meta.url));

export function fixturePath(vendor: string, name: string): string {
  return `${root}${vendor}/${name}`;
}

export function fixtureText(vendor: string, name: string): string {
  return readFileSync(fixturePath(vendor, name), 'utf8');
}

export function fixtureJson(vendor: string, name: string): unknown {
  return JSON.parse(fixtureText(vendor, name));
}

/** Every fixture of a folder (e.g. a lifecycle), in file-name order. */
export function fixtureFolder(vendor: string, folder: string): { name: string; text: string }[] {
  return readdirSync(`${root}${vendor}/${folder}`)
    .filter((name) => !name.startsWith('.'))
    .sort()
    .map((name) => ({ name, text: readFileSync(`${root}${vendor}/${folder}/${name}`, 'utf8') }));
}
