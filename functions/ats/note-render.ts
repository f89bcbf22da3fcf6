/**
 * Renders a {@link ScreeningNote} in the two forms the ATSes accept:
 * - plain text (Lever shows HTML literally, lever.md; Greenhouse notes are plain text);
 * - Ashby's HTML subset: only `<b> <i> <u> <a> <ul> <ol> <li> <code> <pre>` survive (ashby.md), so nothing
 *   else is emitted and every piece of text is escaped.
 * The marker always ends the note, so {@link noteHasMarker} can find a note posted before a crash.
 */
import type { ScreeningNote } from './types.js';

const escapeHtml = (text: string): string =>
  text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');

/** Only absolute http(s) URLs become links; anything else (javascript:, data:) is shown as text. */
const safeHttpUrl = (url: string): string | undefined => {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
};

/** One line, with newlines flattened so a value cannot forge a heading or the marker line. */
const oneLine = (text: string): string => text.replace(/\s*[\r\n]+\s*/g, ' ').trim();

const markerLine = (marker: string): string => `ref: ${oneLine(marker)}`;

/**
 * A line of the note's content (vendor and candidate text) on one line, and unable to pass for a marker: an
 * answer or transcript quoting `ref: interview-sync:…` (a follow-up's marker is predictable from the
 * interview's id) would make `noteHasMarker` find that follow-up in the main note and skip it for good.
 */
const contentLine = (text: string): string => oneLine(text).replaceAll('interview-sync:', 'interview-sync :');

/** Plain-text rendering (Lever, Greenhouse). */
export const renderNoteText = (note: ScreeningNote): string => {
  const blocks: string[] = [contentLine(note.title)];
  for (const section of note.sections) {
    const lines = [contentLine(section.heading)];
    for (const line of section.lines ?? []) lines.push(`- ${contentLine(line)}`);
    for (const item of section.items ?? [])
      lines.push(`- ${contentLine(item.label)}: ${contentLine(item.text)}`);
    blocks.push(lines.join('\n'));
  }
  if (note.links?.length) {
    blocks.push(
      ['Links', ...note.links.map((link) => `- ${contentLine(link.label)}: ${contentLine(link.url)}`)].join(
        '\n',
      ),
    );
  }
  blocks.push(markerLine(note.marker));
  return blocks.join('\n\n');
};

/** HTML rendering restricted to Ashby's subset (Ashby). */
export const renderNoteHtml = (note: ScreeningNote): string => {
  const parts: string[] = [`<b>${escapeHtml(contentLine(note.title))}</b>`];
  for (const section of note.sections) {
    const items = [
      ...(section.lines ?? []).map((line) => `<li>${escapeHtml(contentLine(line))}</li>`),
      ...(section.items ?? []).map(
        (item) =>
          `<li><b>${escapeHtml(contentLine(item.label))}:</b> ${escapeHtml(contentLine(item.text))}</li>`,
      ),
    ];
    parts.push(
      `<b>${escapeHtml(contentLine(section.heading))}</b>${items.length ? `<ul>${items.join('')}</ul>` : ''}`,
    );
  }
  if (note.links?.length) {
    const items = note.links.map((link) => {
      const href = safeHttpUrl(link.url);
      const label = escapeHtml(contentLine(link.label));
      return href
        ? `<li><a href="${escapeHtml(href)}">${label}</a></li>`
        : `<li>${label}: ${escapeHtml(contentLine(link.url))}</li>`;
    });
    parts.push(`<b>Links</b><ul>${items.join('')}</ul>`);
  }
  parts.push(`<i>${escapeHtml(markerLine(note.marker))}</i>`);
  return parts.join('\n');
};

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Whether a note body (text or HTML, as the ATS returns it) carries the marker line of `marker`. The
 * marker must end there (end of text, whitespace, a tag or a quote), so `…:evt-1` never matches `…:evt-10`.
 */
export const noteHasMarker = (body: string, marker: string): boolean => {
  const line = markerLine(marker);
  return [line, escapeHtml(line)].some((form) =>
    new RegExp(`${escapeRegExp(form)}(?=$|[\\s<"'\\\\])`).test(body),
  );
};

/**
 * A summary without PII for logs, e.g. `note: 2 sections, 5 items, 1 link` (counts only, no text).
 */
export const summarizeNote = (note: ScreeningNote): string => {
  const items = note.sections.reduce((sum, s) => sum + (s.items?.length ?? 0) + (s.lines?.length ?? 0), 0);
  const links = note.links?.length ?? 0;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `note: ${plural(note.sections.length, 'section')}, ${plural(items, 'item')}, ${plural(links, 'link')}`;
};

/**
 * Whether any string inside an ATS's note object carries `marker`. Walks the whole object so it does not
 * depend on which field (`body`, `value`, `content`, `fields[].value`…) holds the text.
 */
export const valueHasMarker = (value: unknown, marker: string, depth = 0): boolean => {
  if (typeof value === 'string') return noteHasMarker(value, marker);
  if (depth > 5 || value === null || typeof value !== 'object') return false;
  return Object.values(value).some((inner) => valueHasMarker(inner, marker, depth + 1));
};
