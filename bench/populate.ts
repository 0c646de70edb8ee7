/**
 * Bulk data for the store and console scenarios: `n` invoices (each on its own synthetic address) with a realistic
 * status mix, written straight into a fresh data dir. Reused across runs until the count or the schema changes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../src/node/store/sqlite.ts';
import { MIGRATIONS } from '../src/node/store/migrations/index.ts';
import { msSince } from './lib.ts';
import { madeUpAddress } from '../src/sandbox/made-up.ts';
import { statusCodeOf } from '../src/node/store/codes.ts';

export function populateInvoices(dir: string, n: number): void {
  const marker = path.join(dir, `populated-${n}-schema-${MIGRATIONS.length}`);
  if (fs.existsSync(marker)) return;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const t0 = process.hrtime.bigint();
  const db = openDatabase(path.join(dir, 'satdesk.sqlite'));
  db.pragma('synchronous = OFF'); // bulk load only; serve reopens with FULL
  db.exec(`INSERT INTO settings (key, value) VALUES ('network', '"regtest"')`);
  db.function('bench_address', { deterministic: true }, (i: unknown) => madeUpAddress('bench-store', Number(i)).address);
  db.exec(`
    WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${n})
    INSERT INTO addresses (id, address, script_key, state)
    SELECT i, bench_address(i), satdesk_script_key(bench_address(i)), 'used' FROM s;`);
  db.exec(`
    WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${n})
    INSERT INTO invoices (seq, id, status_code, amount_sats, label, userdata, address_id, created_at, expires_at,
      confirmations_required, tolerance_bp, monitoring_ms, paid_sats, confirmed_sats, updated_at)
    SELECT i, printf('bench%011d', i),
      ${statusCodeOf(`CASE WHEN i % 100 < 70 THEN 'confirmed' WHEN i % 100 < 80 THEN 'expired' WHEN i % 100 < 90 THEN 'unpaid'
           WHEN i % 100 < 95 THEN 'paid' WHEN i % 100 < 98 THEN 'partial' ELSE 'cancelled' END`)},
      1000 + i % 100000, 'item ' || (i % 977), 'order-' || i, i,
      1700000000000 + i * 1000, 1700000900000 + i * 1000, 1, 0, 86400000, 0, 0, 1700000000000 + i * 1000 FROM s;`);
  db.exec('ANALYZE');
  db.close();
  fs.writeFileSync(marker, '');
  console.error(`bench: populated ${n} invoices in ${path.relative(process.cwd(), dir)} in ${(msSince(t0) / 1000).toFixed(1)} s`);
}
