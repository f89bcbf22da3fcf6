import { describe, expect, it } from '@jest/globals';
import { mediaKindOf } from '../../../local/console/snapshot.js';

describe('console: how an archived object is shown', () => {
  it.each([
    // A recording's entry plays it whole; what its variants and renditions hold are parts
    ['interviews/R1/screen/index.m3u8', 'application/vnd.apple.mpegurl', 'hls'],
    ['interviews/R1/screen/v1/index.m3u8', 'application/vnd.apple.mpegurl', 'part'],
    ['interviews/R1/screen/r0/seg_0.aac', 'audio/aac', 'part'],
    ['interviews/R1/webcam/v0/key_0.key', 'application/octet-stream', 'part'],
    // Interviews whose ids look like a variant's or a rendition's folder are not recordings' parts
    ['interviews/r1/report.pdf', 'application/pdf', 'document'],
    ['interviews/v3/question_q1.mp3', 'audio/mpeg', 'audio'],
    ['interviews/r1/screen/index.m3u8', 'application/vnd.apple.mpegurl', 'hls'],
  ])('%s (%s): %s', (key, contentType, kind) => {
    // Act & Assess
    expect(mediaKindOf({ key, contentType })).toBe(kind);
  });
});
