/*
 * The local console's page: renders the snapshots the server pushes as Server-Sent Events
 * (`/console/api/stream`, one when something changed) without reloading. Players are created once per
 * archived object and kept across updates, so an update never interrupts what is playing.
 *
 * Plain DOM, no framework: `el()` builds elements, text always goes in as text (never as HTML).
 */

/** @type {Map<string, HTMLElement>} interview id → its card */
const cards = new Map();
/** @type {Map<string, HTMLElement>} `<interview id>|<object key>` → its figure (player and caption) */
const players = new Map();
/** @type {Map<HTMLVideoElement, { destroy(): void }>} the hls.js instance of each HLS video */
const hlsInstances = new Map();

/**
 * An element with attributes (`data-*`, `class`, `href`, … as strings; `false`/`undefined` skipped) and
 * children (nodes, or strings added as text).
 */
const el = (tag, attributes = {}, ...children) => {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    element.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return element;
};

/** Replaces `node`'s children, skipping absent ones (`replaceChildren` would print them as "undefined"). */
const fill = (node, ...children) => {
  node.replaceChildren(...children.flat().filter((child) => child !== undefined && child !== null));
};

const time = (iso) => {
  if (!iso) return el('span', { class: 'muted' }, '—');
  const date = new Date(iso);
  // The data outlives a day (DynamoDB in .data/ survives restarts, parked entries stay 30 days): a time that
  // is not today's says its date.
  const today = date.toDateString() === new Date().toDateString();
  return el('time', { datetime: iso, title: iso }, today ? date.toLocaleTimeString() : date.toLocaleString());
};

const size = (bytes) =>
  bytes < 1024
    ? `${bytes} B`
    : bytes < 1024 ** 2
      ? `${(bytes / 1024).toFixed(1)} KB`
      : `${(bytes / 1024 ** 2).toFixed(1)} MB`;

/** A class for an outcome or state: green when finished well, amber while pending, red when it failed. */
const tone = (text) => {
  if (/^(done|completed|ok|processed|test$)/.test(text ?? '')) return 'good';
  if (/(parked|failed|expired|error|dead)/.test(text ?? '')) return 'bad';
  return 'pending';
};

const interviewLink = (id) =>
  id ? el('a', { href: `#${cardId(id)}` }, el('code', {}, id)) : el('span', { class: 'muted' }, '—');

const cardId = (id) => `interview-${id.replace(/[^A-Za-z0-9_-]/g, '_')}`;

const emptyRow = (columns, text) => el('tr', {}, el('td', { colspan: columns, class: 'empty' }, text));

const mediaUrl = (route, interview, key) =>
  `/console/media/${route}?${new URLSearchParams({ vendor: interview.vendor, interview: interview.interviewKey, key })}`;

// ---------------------------------------------------------------------------------------------- events

const renderEvents = (events) => {
  document.querySelector('#events-count').textContent = `(${events.length})`;
  const rows = events.map((event) =>
    el(
      'tr',
      { 'data-dedupe-key': event.dedupeKey },
      el('td', {}, time(event.time)),
      el('td', {}, event.vendor),
      el('td', {}, event.type ?? el('span', { class: 'muted' }, 'unknown')),
      el('td', {}, el('code', {}, event.dedupeKey)),
      el('td', {}, interviewLink(event.interview)),
      el(
        'td',
        { class: `outcome ${tone(event.outcome)}`, title: event.detail },
        event.outcome,
        event.deliveries > 1
          ? el('span', { class: 'muted' }, ` · ${event.deliveries} deliveries`)
          : undefined,
        event.detail ? el('div', { class: 'muted' }, event.detail) : undefined,
      ),
    ),
  );
  fill(
    document.querySelector('#events tbody'),
    rows.length > 0 ? rows : emptyRow(6, 'No events yet: npm run send -- round0 interview_ended'),
  );
};

// ------------------------------------------------------------------------------------------ interviews

const effectsTable = (effects) =>
  effects.length === 0
    ? el('p', { class: 'empty' }, 'No ATS effects recorded.')
    : el(
        'table',
        { class: 'effects' },
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            ['Effect', 'State', 'Outcome', 'Attempts', 'Parts'].map((h) => el('th', {}, h)),
          ),
        ),
        el(
          'tbody',
          {},
          effects.map((effect) =>
            el(
              'tr',
              { 'data-effect': effect.name, 'data-state': effect.state },
              el('td', {}, el('code', {}, effect.name)),
              el('td', { class: `state ${tone(effect.state)}` }, effect.state),
              el('td', { class: 'outcome' }, effect.outcome ?? ''),
              el('td', {}, String(effect.attempts)),
              el('td', {}, (effect.parts ?? []).join(', ')),
            ),
          ),
        ),
      );

const ledgerEvents = (events) =>
  el(
    'details',
    { class: 'ledger-events' },
    el('summary', {}, `${events.length} event(s) on the ledger`),
    el(
      'ul',
      {},
      events.map((event) =>
        el(
          'li',
          { 'data-dedupe-key': event.dedupeKey },
          el('code', {}, event.dedupeKey),
          ' ',
          el('span', { class: tone(event.outcome) }, event.outcome),
          event.advanced ? el('span', { class: 'muted' }, ' · advanced the status') : undefined,
        ),
      ),
    ),
  );

/** hls.js on a `<video>`; its progress is written to `data-hls-*` attributes (readable in a test). */
const attachHls = (video, src) => {
  video.dataset.hlsState = 'loading';
  video.dataset.hlsFragments = '0';
  const Hls = window.Hls;
  if (Hls?.isSupported()) {
    const hls = new Hls();
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      video.dataset.hlsState = 'manifest-parsed';
    });
    hls.on(Hls.Events.FRAG_LOADED, () => {
      video.dataset.hlsFragments = String(Number(video.dataset.hlsFragments) + 1);
    });
    hls.on(Hls.Events.FRAG_BUFFERED, () => {
      video.dataset.hlsState = 'buffered';
    });
    hls.on(Hls.Events.ERROR, (_event, data) => {
      video.dataset.hlsLastError = data.details;
      if (data.fatal) video.dataset.hlsState = `error: ${data.details}`;
    });
    hls.loadSource(src);
    hls.attachMedia(video);
    hlsInstances.set(video, hls);
  } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
    video.src = src; // Safari plays HLS itself
    video.dataset.hlsState = 'native';
  } else {
    video.dataset.hlsState = 'unsupported';
  }
};

/** A figure with the object's player (audio, HLS video) or link (PDF). */
const player = (interview, object) => {
  const name = object.key.split('/').slice(2).join('/');
  const caption = el('figcaption', {}, `${name} · ${size(object.size)}`);
  if (object.kind === 'audio') {
    const audio = el('audio', {
      controls: true,
      preload: 'metadata',
      src: mediaUrl('object', interview, object.key),
      'data-key': object.key,
    });
    return el('figure', { 'data-kind': 'audio' }, audio, caption);
  }
  if (object.kind === 'hls') {
    const video = el('video', { controls: true, muted: true, playsinline: true, 'data-key': object.key });
    attachHls(video, mediaUrl('hls', interview, object.key));
    return el('figure', { 'data-kind': 'hls' }, video, caption);
  }
  const link = el(
    'a',
    { href: mediaUrl('object', interview, object.key), target: '_blank', rel: 'noopener' },
    name,
  );
  return el('figure', { 'data-kind': 'document' }, link, caption);
};

/** The archive's part of a card; players are reused, so a playing one keeps playing. */
const renderArchive = (container, interview) => {
  const archive = interview.archive;
  const objects = archive?.objects ?? [];
  const signature = JSON.stringify([
    archive?.batchesComplete,
    archive?.batchesPending,
    objects.map((o) => o.key),
  ]);
  if (container.dataset.signature === signature) return;
  container.dataset.signature = signature;
  if (archive === undefined) {
    fill(container);
    return;
  }
  const shown = objects.filter((object) => object.kind !== 'part');
  const parts = objects.filter((object) => object.kind === 'part');
  const figures = shown.map((object) => {
    const id = `${interview.id}|${object.key}`;
    const figure = players.get(id) ?? player(interview, object);
    players.set(id, figure);
    return figure;
  });
  const batches = `${archive.batchesComplete} batch(es) archived${
    archive.batchesPending > 0 ? `, ${archive.batchesPending} in progress` : ''
  }`;
  fill(
    container,
    el(
      'h4',
      {},
      'Archive ',
      el('span', { class: archive.batchesPending > 0 ? 'pending' : 'muted' }, batches),
    ),
    el('div', { class: 'media' }, figures),
    parts.length === 0
      ? undefined
      : el(
          'details',
          {},
          el('summary', {}, `${parts.length} more object(s): playlists, segments, keys`),
          el(
            'ul',
            {},
            parts.map((object) => el('li', {}, el('code', {}, object.key), ` · ${size(object.size)}`)),
          ),
        ),
  );
};

const renderCard = (card, interview) => {
  const [heading, ats, effects, events, archive] = card.children;
  fill(
    heading,
    el('span', { class: 'badge' }, interview.vendor),
    el('code', {}, interview.interviewKey),
    el(
      'span',
      { class: `badge status ${tone(interview.status)}`, 'data-status': interview.status ?? '' },
      interview.status ?? 'no status',
    ),
    el('span', { class: 'muted' }, 'updated ', time(interview.updatedAt)),
  );
  const match = interview.atsMatch;
  fill(
    ats,
    match
      ? el(
          'span',
          {},
          'ATS candidate ',
          el('code', {}, match.candidateId),
          match.applicationId ? [' · application ', el('code', {}, match.applicationId)] : undefined,
        )
      : el('span', { class: 'muted' }, 'not matched in the ATS (yet)'),
    interview.closedBy
      ? el('span', { class: 'muted' }, ` · status handed to ${interview.closedBy}`)
      : undefined,
  );
  fill(effects, effectsTable(interview.effects));
  fill(events, ledgerEvents(interview.events));
  renderArchive(archive, interview);
};

const newCard = (interview) =>
  el(
    'article',
    { class: 'interview', id: cardId(interview.id), 'data-interview': interview.id },
    el('h3'),
    el('p', { class: 'ats' }),
    el('div', { class: 'effects-part' }),
    el('div', { class: 'events-part' }),
    el('div', { class: 'archive-part' }),
  );

const forgetPlayers = (interviewId) => {
  for (const [id, figure] of players) {
    if (!id.startsWith(`${interviewId}|`)) continue;
    const video = figure.querySelector('video');
    hlsInstances.get(video)?.destroy();
    hlsInstances.delete(video);
    players.delete(id);
  }
};

const renderInterviews = (interviews, total) => {
  document.querySelector('#interviews-count').textContent =
    total > interviews.length
      ? `(the ${interviews.length} updated last of ${total})`
      : `(${interviews.length})`;
  const container = document.querySelector('#interviews');
  const ids = new Set(interviews.map((interview) => interview.id));
  for (const [id, card] of cards) {
    if (ids.has(id)) continue;
    card.remove();
    cards.delete(id);
    forgetPlayers(id);
  }
  container.querySelector(':scope > .empty')?.remove();
  interviews.forEach((interview, index) => {
    const card = cards.get(interview.id) ?? newCard(interview);
    cards.set(interview.id, card);
    renderCard(card, interview);
    // Moved only when out of place: moving a card would move (and could pause) its players.
    const at = container.children[index];
    if (at !== card) container.insertBefore(card, at ?? null);
  });
  if (interviews.length === 0) container.append(el('p', { class: 'empty' }, 'No interviews yet.'));
};

// ------------------------------------------------------------------------------ parked and dead letters

const renderParked = (parked) => {
  document.querySelector('#parked-count').textContent = `(${parked.length})`;
  const rows = parked.map((entry) =>
    el(
      'tr',
      { 'data-dedupe-key': entry.dedupeKey, 'data-kind': entry.kind },
      el('td', {}, time(entry.parkedAt)),
      el('td', {}, entry.kind),
      el('td', {}, entry.vendor),
      el('td', {}, entry.type),
      el('td', {}, el('code', {}, entry.dedupeKey)),
      el('td', {}, interviewLink(entry.interview)),
      el('td', { class: 'reason' }, entry.reason),
    ),
  );
  fill(document.querySelector('#parked tbody'), rows.length > 0 ? rows : emptyRow(7, 'Nothing parked.'));
};

const renderDeadLetters = (selector, queue, cells) => {
  document.querySelector(`${selector}-count`).textContent =
    queue.total > queue.shown.length ? `(${queue.total}, showing ${queue.shown.length})` : `(${queue.total})`;
  const rows = queue.shown.map((letter) =>
    el(
      'tr',
      { 'data-message-id': letter.messageId },
      el('td', {}, time(letter.failedAt)),
      cells(letter),
      el('td', {}, letter.errorName ?? ''),
      el('td', { class: 'reason' }, letter.reason ?? el('span', { class: 'muted' }, 'no reason attached')),
    ),
  );
  fill(document.querySelector(`${selector} tbody`), rows.length > 0 ? rows : emptyRow(6, 'Empty.'));
};

// ------------------------------------------------------------------------------------------- the stream

const render = (snapshot) => {
  renderEvents(snapshot.events);
  renderInterviews(snapshot.interviews, snapshot.interviewsTotal);
  renderParked(snapshot.parked);
  renderDeadLetters('#dlq-events', snapshot.deadLetters.events, (letter) => [
    el('td', {}, letter.vendor ?? ''),
    el('td', {}, letter.type ?? ''),
    el('td', {}, letter.dedupeKey ? el('code', {}, letter.dedupeKey) : ''),
  ]);
  renderDeadLetters('#dlq-archive', snapshot.deadLetters.archive, (letter) => [
    el('td', {}, letter.vendor ?? ''),
    el('td', {}, interviewLink(letter.interview)),
    el('td', {}, letter.asset ?? ''),
  ]);
  fill(document.querySelector('#updated'), 'changed ', time(new Date().toISOString()));
};

const setConnection = (state, text) => {
  const connection = document.querySelector('#connection');
  connection.dataset.state = state;
  connection.textContent = text;
};

const stream = new EventSource('/console/api/stream');
stream.onopen = () => setConnection('live', '● live');
stream.onerror = () => setConnection('reconnecting', '● reconnecting… (is npm start running?)');
stream.onmessage = (message) => render(JSON.parse(message.data));
// The server cannot read the stores (an emulator failed): what is shown is the last data read, not live.
stream.addEventListener('status', (message) => {
  const status = JSON.parse(message.data);
  if (status.ok) setConnection('live', '● live');
  else {
    const since = new Date(status.since).toLocaleString();
    setConnection('stale', `● stale: the stores cannot be read since ${since} (see npm start's output)`);
  }
});
