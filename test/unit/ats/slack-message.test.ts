import { describe, expect, it } from '@jest/globals';
import { buildSlackMessage } from '../../../functions/ats/slack.js';

describe('buildSlackMessage', () => {
  it('escapes Slack control characters in names and jobs', () => {
    // Act
    const message = buildSlackMessage({
      candidateName: 'A <@channel> & co',
      jobTitle: 'R&D <lead>',
      status: 'in_progress',
    });

    // Assess
    expect(message.text).toBe('A <@channel> & co (R&D <lead>): AI screening in progress');
    expect(JSON.stringify(message.blocks)).toContain('*A &lt;@channel&gt; &amp; co* · R&amp;D &lt;lead&gt;');
    expect(JSON.stringify(message.blocks)).not.toContain('<@channel>');
  });

  it('links only http(s) URLs and neutralises characters that would end the link', () => {
    // Act
    const unsafe = buildSlackMessage({ status: 'completed', link: 'javascript:alert(1)' });
    const tricky = buildSlackMessage({ status: 'completed', link: 'https://ats.example.com/c?x=a|b>c' });

    // Assess
    expect(JSON.stringify(unsafe.blocks)).not.toContain('javascript');
    expect(JSON.stringify(tricky.blocks)).toContain('<https://ats.example.com/c?x=a%7Cb%3Ec|Open in ATS>');
  });

  it('falls back to "A candidate" and carries nothing but name, job, status and link', () => {
    // Act
    const message = buildSlackMessage({ status: 'completed' });

    // Assess
    expect(message).toEqual({
      text: 'A candidate: AI screening completed',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*A candidate*\nAI screening completed' } }],
    });
  });
});
