/**
 * `npm install`'s postinstall: corrects the emulators where they depart from AWS in a way the code depends
 * on, or in a way that would let a wrong request pass locally.
 *
 * - local-aws-sqs 2.0.2 adds one to a message's `ApproximateReceiveCount` on every
 *   `ChangeMessageVisibility`, not only on a receive; the worker changes the visibility of every throttled or
 *   held event it gives back, so locally each retry cost two receives, the worker never saw its last receive
 *   and the emulator dead-lettered the event without its reason. SQS counts receives only.
 * - local-aws-sqs also measures a message body in UTF-16 units where SQS counts its UTF-8 bytes against the
 *   queue's MaximumMessageSize: a body of multi-byte characters over the limit was accepted locally. So were
 *   its string attribute values, and SendMessageBatch's 1 MiB total of all entries.
 * - local-aws-sqs counts in-flight messages in `ApproximateNumberOfMessages`, which SQS gives as the visible
 *   ones only: locally a DLQ whose messages were all received elsewhere looked full, so `ops redrive`
 *   saying "hidden, not moved" was never exercised, and depths that add `NotVisible` counted them twice.
 * - s3rver 3.7 serves a request that carries no signature at all as if it were signed: a client that
 *   forgot its credentials, or a plain `fetch` of an object URL, worked locally and would get S3's 403
 *   AccessDenied from the deployed (private, public access blocked) bucket. It now answers 403 AccessDenied
 *   too; a signed request is checked as before (its signature against the `S3RVER` key pair).
 * - s3rver 3.7's listing with a delimiter never walks into a directory two levels below the prefix, so a key
 *   like `exports/2026-12/a.json` gave no `exports/` common prefix at the root: `npm run ops -- erase`, which
 *   lists the bucket's top-level folders, never searched it locally. It now walks them and derives the
 *   common prefixes from the keys, as S3 returns them.
 *
 * Why targeted replaces and not patch-package: the SQS emulator ships one minified file whose line is 24 KB,
 * so a patch would be a 48 KB diff nobody can review; this names the one expression each changes.
 * Idempotent; a version whose code differs is left alone with a warning
 * (test/integration/local/emulators.test.ts fails then, saying what to look at).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** `module`'s file (`path` inside it, if given), or undefined when it is not installed. */
const resolve = (module, path) => {
  try {
    return path === undefined
      ? require.resolve(module)
      : require.resolve(`${module}/package.json`).replace(/package\.json$/, path);
  } catch {
    return undefined; // installed without dev dependencies: no emulator to correct
  }
};

/** Replaces `from` with `to` in `file` once; `marker` must be in the file for it to be the expected version. */
const patch = ({ file, name, from, to, marker, done }) => {
  if (file === undefined) return;
  const source = readFileSync(file, 'utf8');
  if (source.includes(to)) return;
  if (!source.includes(from) || !source.includes(marker)) {
    console.warn(`patch-emulators: ${file} is not the ${name} this corrects; left as it is`);
    return;
  }
  writeFileSync(file, source.replace(from, to));
  console.log(`patch-emulators: ${done}`);
};

// In the emulator's private visibility change (`(record, timeout, keepHandle)`), `i` is true when it is
// called from ChangeMessageVisibility (the receipt handle is kept) and false from a receive.
patch({
  file: resolve('local-aws-sqs'),
  name: 'local-aws-sqs',
  from: 'let n=Number(t.record.attributes.ApproximateReceiveCount)+1;',
  to: 'let n=Number(t.record.attributes.ApproximateReceiveCount)+(i?0:1);',
  marker: 'Wt=function(t,e,i){',
  done: 'local-aws-sqs counts receives only, as SQS does',
});

// GetQueueAttributes' `ApproximateNumberOfMessages`: the visible messages (not delayed, not in flight), as SQS
// counts them; its own message-move task subtracted the in-flight ones from it, and now takes it as it is.
patch({
  file: resolve('local-aws-sqs'),
  name: 'local-aws-sqs',
  from: 'ApproximateNumberOfMessages:String(S(this,E).filter(o=>!o.delayed).length)',
  to: 'ApproximateNumberOfMessages:String(S(this,E).filter(o=>!o.delayed&&o.visible).length)',
  marker: 'ApproximateNumberOfMessagesNotVisible:String(',
  done: 'local-aws-sqs counts only visible messages as ApproximateNumberOfMessages, as SQS does',
});
patch({
  file: resolve('local-aws-sqs'),
  name: 'local-aws-sqs',
  from: 'this.ApproximateNumberOfMessagesToMove=Number(n)-Number(o),',
  to: 'this.ApproximateNumberOfMessagesToMove=Number(n),',
  marker: 'ApproximateNumberOfMessagesNotVisible:String(',
  done: "local-aws-sqs's message-move task counts the visible messages as SQS gives them",
});

// SendMessage, its batch entries and the message's own check each add the body's and each string attribute
// value's `.length` (UTF-16 units) to the message size, and SendMessageBatch's total (SQS's 1 MiB for all
// entries, `BatchRequestTooLong`) adds them so too; SQS counts bytes (UTF-8), so a message or batch over the
// limit in bytes because of multi-byte text passed locally and would be refused by SQS.
for (const [from, to] of [
  ['let r=e.MessageBody.length;', 'let r=Buffer.byteLength(e.MessageBody);'],
  ['let r=i.MessageBody.length,', 'let r=Buffer.byteLength(i.MessageBody),'],
  ['let i=s.MessageBody.length,', 'let i=Buffer.byteLength(s.MessageBody),'],
  ['typeof c=="string"&&(r+=c.length)', 'typeof c=="string"&&(r+=Buffer.byteLength(c))'],
  [
    '(r+=g.length),typeof y=="string"&&(r+=y.length)',
    '(r+=g.length),typeof y=="string"&&(r+=Buffer.byteLength(y))',
  ],
  ['typeof y=="string"&&(i+=y.length)', 'typeof y=="string"&&(i+=Buffer.byteLength(y))'],
  [
    'typeof e.MessageBody=="string"&&(t+=e.MessageBody.length)',
    'typeof e.MessageBody=="string"&&(t+=Buffer.byteLength(e.MessageBody))',
  ],
  ['typeof n=="string"&&(t+=n.length)', 'typeof n=="string"&&(t+=Buffer.byteLength(n))'],
]) {
  patch({
    file: resolve('local-aws-sqs'),
    name: 'local-aws-sqs',
    from,
    to,
    marker: 'Message must be shorter than',
    done: `local-aws-sqs counts a message in bytes, as SQS does (${to})`,
  });
}

// s3rver's filesystem store prunes directories beneath a common prefix before any key in them was seen.
patch({
  file: resolve('s3rver', 'lib/stores/filesystem.js'),
  name: 's3rver',
  from: '// avoid directories occurring beneath a common prefix\n          return false;',
  to: '// walked (patched): the keys below give the common prefix\n          return true;',
  marker: 'async listObjects(bucket, options) {',
  done: 's3rver lists the common prefixes of keys nested deeper than one level, as S3 does',
});

// s3rver's authentication middleware passes a request with no auth mechanism on as anonymous.
patch({
  file: resolve('s3rver', 'lib/middleware/authentication.js'),
  name: 's3rver',
  from: 'if (mechanismCount === 0) {\n      return next();\n    }',
  to: "if (mechanismCount === 0) {\n      throw new S3Error('AccessDenied', 'Access Denied');\n    }",
  marker: 'async function authentication(ctx, next) {',
  done: 's3rver refuses unsigned requests (403 AccessDenied), as a private S3 bucket does',
});
