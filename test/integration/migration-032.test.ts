/**
 * Migration 032 (src/node/store/migrations/032-attempts-unindexed.ts, docs/decisions/0113-attempts-unindexed-by-time.md):
 * the index of attempts by time goes, and every way the app reads or removes attempts still seeks them by delivery.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/node/store/sqlite.ts';
import { tempDir } from '../helpers/api.ts';

/** The app's statements over attempts (src/node/callbacks/deliveries.ts and wire.ts), as they are written there. */
const READS = [
  `SELECT a.at, a.duration_ms, a.http_status, a.error, a.response_excerpt, a.request_headers, body_text(b.body) AS body
     FROM attempts a LEFT JOIN sent_bodies b ON b.id = a.body_id WHERE a.delivery_id = ? ORDER BY a.id`,
  `SELECT a.request_headers AS headers, body_text(b.body) AS kept, body_text(n.body) AS note, d.test AS test
     FROM attempts a JOIN deliveries d ON d.id = a.delivery_id JOIN notifications n ON n.id = d.notification_id
     LEFT JOIN sent_bodies b ON b.id = a.body_id
    WHERE d.notification_id = ? ORDER BY a.id DESC`,
  'DELETE FROM attempts WHERE delivery_id = ? RETURNING body_id',
];

describe('migration 032 (attempts unindexed by time)', () => {
  it('drops attempts_at; attempts are still sought by their delivery', () => {
    const db = openDatabase(path.join(tempDir(), 'v32.sqlite'));
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'attempts' AND sql IS NOT NULL ORDER BY name").pluck().all();
    expect(indexes).toEqual(['attempts_body', 'attempts_delivery']);
    for (const sql of READS) {
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(1) as { detail: string }[]).map((p) => p.detail);
      expect(plan.join('\n')).toMatch(/SEARCH (a|attempts) USING (COVERING )?INDEX attempts_delivery/);
      expect(plan.filter((d) => /^SCAN (a|attempts)\b/.test(d))).toEqual([]);
    }
    db.close();
  });
});
