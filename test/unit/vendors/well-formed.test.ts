/**
 * The walk for numbers too large to be read, on hostile input: a body of millions of values costs memory
 * in proportion to its nesting, not its size (the ingest has 512 MB, and the body is parsed before the
 * schema refuses anything).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { nonFiniteNumberPath } from '../../../functions/vendors/well-formed.js';

const moduleUrl = new URL('../../../functions/vendors/well-formed.ts', import.meta.url).href;
const projectRoot = fileURLToPath(new URL('../../../', import.meta.url));

describe('nonFiniteNumberPath', () => {
  it.each([
    ['{"a":1,"b":{"c":[1,2,1e999]}}', 'b.c.2'],
    ['{"a":[{"x":1e400},{"y":-1e400}]}', 'a.0.x'],
    ['{"__proto__":{"n":1e999}}', '__proto__.n'],
    ['1e999', ''],
    ['{"a":1e99,"b":"1e999"}', undefined],
  ])('finds the first number of %s that is not finite: %p', (text, path) => {
    expect(nonFiniteNumberPath(text, JSON.parse(text))).toBe(path);
  });

  it('walks a 4 MB body of two million items under a 64 MB heap, and names the number', () => {
    // Prepare: what a signed delivery may hold: a huge array, then one literal read as Infinity
    const script = `
      const { nonFiniteNumberPath } = await import(${JSON.stringify(moduleUrl)});
      const text = '{"data":{"a":[' + '0,'.repeat(2_000_000) + '0]},"z":1e999}';
      process.stdout.write(String(nonFiniteNumberPath(text, JSON.parse(text))));
    `;

    // Act
    const child = spawnSync(
      process.execPath,
      ['--max-old-space-size=64', '--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: projectRoot, encoding: 'utf8', timeout: 60_000 },
    );

    // Assess: before, one path array and stack entry per item took 900 MB and the process died
    expect({ status: child.status, stdout: child.stdout }).toEqual({ status: 0, stdout: 'z' });
  });
});
