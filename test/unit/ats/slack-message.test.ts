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
    expect(message.text).toBe('A &lt;@channel&gt; &amp; co (R&amp;D &lt;lead&gt;): AI screening in progress');
    expect(JSON.stringify(message.blocks)).toContain('*A &lt;@channel&gt; &amp; co* · R&amp;D &lt;lead&gt;');
    expect(JSON.stringify(message.blocks)).not.toContain('<@channel>');
  });

  it('keeps a mention in a name from pinging the channel in the notification text too', () => {
    // Act
    const message = buildSlackMessage({ candidateName: '<!channel>', status: 'completed' });

    // Assess
    expect(message.text).toBe('&lt;!channel&gt;: AI screening completed');
    expect(JSON.stringify(message)).not.toContain('<!channel>');
  });

  it('bounds an unbounded name and job title, so the section stays under Slack’s 3,000 characters', () => {
    // Act
    const message = buildSlackMessage({
      candidateName: 'N'.repeat(5000),
      jobTitle: '&'.repeat(5000),
      status: 'completed',
    });

    // Assess
    const section = (message.blocks[0] as { text: { text: string } }).text.text;
    expect(section.length).toBeLessThan(3000);
    expect(message.text.length).toBeLessThan(3000);
    expect(section).toContain(`*${'N'.repeat(149)}…*`);
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
