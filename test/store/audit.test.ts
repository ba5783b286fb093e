import t, { type Test } from 'tap';
import Database from 'better-sqlite3';
import { auditHash, GENESIS_HASH, incrementalVerifier } from '../../src/store/audit.js';
import type { Store } from '../../src/store/types.js';
import { tempStore } from './temp-store.js';

function withRows(t: Test, count = 5) {
  const ctx = tempStore(t);
  for (let i = 1; i <= count; i++) {
    ctx.store.audit.append({ actor: i % 2 ? 'alice' : 'carol', action: 'step.act', target: `run-1/step-${i}`, details: { z: i, a: { y: [1, 2], b: 'x' } } });
    ctx.clock.advance(1000);
  }
  const raw = new Database(ctx.file);
  t.teardown(() => raw.close());
  return { ...ctx, raw };
}

t.test('appended rows form a chain and list in order', async (t) => {
  const { store } = tempStore(t);
  const first = store.audit.append({ actor: 'alice', action: 'activation.start', target: 'run-1', details: { b: 2, a: 1 } });
  const second = store.audit.append({ actor: 'carol', action: 'approval', target: 'run-1/integrity', details: {} });
  t.equal(first.seq, 1);
  t.equal(first.prevHash, GENESIS_HASH);
  t.equal(second.prevHash, first.hash);
  t.equal(first.hash, auditHash({ ...first }), 'the hash covers the row');
  t.same(store.audit.list({ limit: 10 }), [first, second]);
  t.same(store.audit.list({ limit: 10, afterSeq: 1 }), [second]);
  t.same(store.audit.list({ limit: 1 }), [first]);
  t.same(store.audit.verify(), { ok: true, rows: 2 });
});

t.test('the hash does not depend on the key order of details', async (t) => {
  const row = { seq: 1, at: 'x', actor: 'a', action: 'b', target: 'c', prevHash: GENESIS_HASH };
  t.equal(auditHash({ ...row, details: { a: 1, b: { c: 2, d: 3 } } }), auditHash({ ...row, details: { b: { d: 3, c: 2 }, a: 1 } }));
  t.not(auditHash({ ...row, details: { a: 1 } }), auditHash({ ...row, details: { a: 2 } }));
});

t.test('verify finds an edited row', async (t) => {
  const { store, raw } = withRows(t);
  raw.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3").run();
  t.same(store.audit.verify(), { ok: false, rows: 5, firstBad: { seq: 3, reason: 'its contents no longer match its hash: the row was edited after it was written' } });
});

t.test('verify finds edited details', async (t) => {
  const { store, raw } = withRows(t);
  raw.prepare(`UPDATE audit_log SET details = '{"z":99}' WHERE seq = 2`).run();
  t.match(store.audit.verify(), { ok: false, firstBad: { seq: 2, reason: /edited/ } });
});

t.test('verify finds a row edited with its hash recomputed: the next link breaks', async (t) => {
  const { store, raw } = withRows(t);
  const row = store.audit.list({ limit: 1, afterSeq: 1 })[0]!;
  const forged = { ...row, actor: 'mallory' };
  raw.prepare('UPDATE audit_log SET actor = ?, hash = ? WHERE seq = 2').run(forged.actor, auditHash(forged));
  t.match(store.audit.verify(), { ok: false, firstBad: { seq: 3, reason: /link to row 2 is broken/ } });
});

t.test('verify finds an inserted row', async (t) => {
  const { store, raw } = withRows(t);
  // Make room after row 2 and slip a well-formed row in, chained to row 2.
  raw.prepare('UPDATE audit_log SET seq = seq + 100 WHERE seq > 2').run();
  raw.prepare('UPDATE audit_log SET seq = seq - 99 WHERE seq > 100').run();
  const two = store.audit.list({ limit: 1, afterSeq: 1 })[0]!;
  const fake = { seq: 3, at: two.at, actor: 'mallory', action: 'approval', target: 'run-1/integrity', details: {}, prevHash: two.hash };
  raw.prepare('INSERT INTO audit_log (seq, at, actor, action, target, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    .run(fake.seq, fake.at, fake.actor, fake.action, fake.target, '{}', fake.prevHash, auditHash(fake));
  t.match(store.audit.verify(), { ok: false, rows: 6, firstBad: { seq: 4, reason: /link to row 3 is broken/ } });
});

t.test('verify finds a row appended by hand', async (t) => {
  const { store, raw } = withRows(t);
  raw.prepare("INSERT INTO audit_log (seq, at, actor, action, target, details, prev_hash, hash) VALUES (6, 'x', 'mallory', 'a', 't', '{}', ?, ?)")
    .run(GENESIS_HASH, GENESIS_HASH);
  t.match(store.audit.verify(), { ok: false, firstBad: { seq: 6, reason: /link to row 5 is broken/ } });
});

t.test('verify finds a deleted row', async (t) => {
  const { store, raw } = withRows(t);
  raw.prepare('DELETE FROM audit_log WHERE seq = 3').run();
  t.same(store.audit.verify(), { ok: false, rows: 4, firstBad: { seq: 3, reason: 'row 3 is missing: the log jumps from 2 to 4, so rows were deleted' } });
});

t.test('verify finds deleted leading rows, and a deleted row with the rest renumbered', async (t) => {
  const { store, raw } = withRows(t);
  raw.prepare('DELETE FROM audit_log WHERE seq <= 2').run();
  t.match(store.audit.verify(), { ok: false, firstBad: { seq: 1, reason: /rows 1–2 are missing/ } });
  raw.prepare('UPDATE audit_log SET seq = seq - 2').run();
  t.match(store.audit.verify(), { ok: false, firstBad: { seq: 1, reason: /does not start the chain/ } });
});

t.test('appends continue the chain after reopening', async (t) => {
  const { store } = withRows(t, 2);
  const next = store.audit.append({ actor: 'a', action: 'b', target: 'c', details: {} });
  t.equal(next.seq, 3);
  t.same(store.audit.verify(), { ok: true, rows: 3 });
});

/** The store's audit log, counting the rows it hands out and the full verifications asked of it. */
function counted(audit: Store['audit']) {
  const counts = { rowsRead: 0, fullVerifies: 0 };
  const spy: Store['audit'] = {
    ...audit,
    list: (opts) => {
      const rows = audit.list(opts);
      counts.rowsRead += rows.length;
      return rows;
    },
    verify: () => {
      counts.fullVerifies++;
      return audit.verify();
    },
  };
  return { spy, counts };
}

const more = (store: Store, n: number) => {
  for (let i = 0; i < n; i++) store.audit.append({ actor: 'dave', action: 'message.post', target: `m-${i}`, details: {} });
};

t.test('the incremental verifier reads only the rows appended since its last call, and the last one it verified', async (t) => {
  const { store } = withRows(t);
  const { spy, counts } = counted(store.audit);
  const verify = incrementalVerifier(spy);
  t.same(verify(), { ok: true, rows: 5 });
  t.equal(counts.rowsRead, 5, 'the first call follows the whole chain');
  more(store, 3);
  counts.rowsRead = 0;
  t.same(verify(), { ok: true, rows: 8 });
  t.equal(counts.rowsRead, 1 + 3, 'the remembered last row, then the new ones');
  counts.rowsRead = 0;
  t.same(verify(), { ok: true, rows: 8 });
  t.equal(counts.rowsRead, 1, 'nothing new: only the remembered last row');
  t.equal(counts.fullVerifies, 0);
});

t.test('the incremental verifier does not see an edit to a row it already verified; the full verify does', async (t) => {
  const { store, raw } = withRows(t);
  const verify = incrementalVerifier(store.audit);
  verify();
  raw.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2").run();
  t.same(verify(), { ok: true, rows: 5 }, 'by design: only new rows are hashed');
  t.match(store.audit.verify(), { ok: false, firstBad: { seq: 2 } });
});

t.test('a break among the new rows is reported as the full verify reports it', async (t) => {
  const { store, raw } = withRows(t);
  const { spy, counts } = counted(store.audit);
  const verify = incrementalVerifier(spy);
  verify();
  more(store, 3);
  raw.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = 7").run();
  t.same(verify(), { ok: false, rows: 8, firstBad: { seq: 7, reason: 'its contents no longer match its hash: the row was edited after it was written' } });
  t.equal(counts.fullVerifies, 1);
  raw.prepare(`UPDATE audit_log SET details = '{"z":' WHERE seq = 8`).run();
  t.match(verify(), { ok: false, rows: 8, firstBad: { seq: 7 } }, 'a row that no longer parses is judged by the full verify too');
});

t.test('a log cut back or rewritten past the remembered row is followed again from its start', async (t) => {
  const { store, raw } = withRows(t);
  const { spy, counts } = counted(store.audit);
  const verify = incrementalVerifier(spy);
  verify();
  raw.prepare('DELETE FROM audit_log WHERE seq > 3').run();
  counts.rowsRead = 0;
  t.same(verify(), { ok: true, rows: 3 }, 'cutting rows off the end leaves a consistent chain: only a hash kept elsewhere shows it');
  t.equal(counts.rowsRead, 3, 'no remembered row 5: the three rows are followed from the start');
  raw.prepare('UPDATE audit_log SET hash = ? WHERE seq = 3').run(GENESIS_HASH);
  t.match(verify(), { ok: false, rows: 3, firstBad: { seq: 3 } }, 'the remembered row rewritten: the chain is followed from its start and breaks there');
});
