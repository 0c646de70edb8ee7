/**
 * Callback bodies are written as text where they are made (the planner, the test callback, each attempt's sent body)
 * and packed later, a batch per transaction in the hourly maintenance (src/node/retention.ts;
 * docs/decisions/0096-packed-callback-bodies.md). Deflating one costs about 25 µs here, nearly all of it the zlib
 * stream each call sets up; on the delivery path, where every notification has two bodies, that was a third of the
 * sender's throughput. Readers take either form (`body_text`, `unpackText`), so a row is the same text before and after.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { DB } from '../store/sqlite.ts';

/** The tables whose `body` is packed, and the watermark (in outbox_state) below which every row was looked at. */
const TABLES = [
  { table: 'notifications', key: 'notification_bodies_packed_through' },
  { table: 'sent_bodies', key: 'sent_bodies_packed_through' },
] as const;

/**
 * Packs the text bodies written since the last pass, `batch` rows per transaction run by `inTransaction`, yielding
 * the event loop between them. Walks ids past a stored watermark, so a pass costs what was written since the last.
 */
export async function packBodies(db: DB, inTransaction: (fn: () => void) => void, batch = 1000): Promise<number> {
  let packed = 0;
  const floor = db.prepare('SELECT value FROM outbox_state WHERE key = ?');
  const raise = db.prepare('INSERT INTO outbox_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  for (const { table, key } of TABLES) {
    const top = (db.prepare(`SELECT MAX(id) AS m FROM ${table}`).get() as { m: number | null }).m ?? 0;
    const pack = db.prepare(`UPDATE ${table} SET body = pack_body(body) WHERE id > ? AND id <= ? AND typeof(body) = 'text'`);
    let from = (floor.get(key) as { value: number } | undefined)?.value ?? 0;
    while (from < top) {
      const to = Math.min(top, from + batch);
      inTransaction(() => {
        packed += pack.run(from, to).changes;
        raise.run(key, to);
      });
      from = to;
      await yieldToLoop();
    }
  }
  return packed;
}
