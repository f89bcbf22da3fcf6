/**
 * `npm run ops`'s usage says what works where, as the CLI behaves: `setup` and `urls` work on a deployed
 * stage only (without --stage they answer "pass --stage" and exit 2), every other command on the running
 * npm start too. Before, the footer said every command works on the running npm start.
 */
import { describe, expect, it } from '@jest/globals';
import { runCliProcess } from '../../helpers/cli-process.js';

/** `npm run ops -- <args>` as an operator runs it. */
const runOps = (args: readonly string[]) => runCliProcess('ops', args, process.env);

describe('npm run ops usage', () => {
  it('says setup and urls need --stage, as they answer without it', async () => {
    // Act
    const [help, urls, setup] = await Promise.all([runOps(['--help']), runOps(['urls']), runOps(['setup'])]);

    // Assess: what the CLI does without --stage…
    for (const run of [urls, setup]) {
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('works on a deployed stage: pass --stage <stage>');
    }
    // …is what its usage says
    expect(help.code).toBe(0);
    const usage = help.stdout.replace(/\s+/g, ' ');
    expect(usage).toContain('every command but setup and urls works on the running npm start');
    expect(usage).toContain('setup and urls need --stage');
    expect(usage).not.toContain('every command works on the running npm start');
  });
});
