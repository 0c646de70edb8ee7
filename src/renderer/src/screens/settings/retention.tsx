/**
 * Settings: how long history is kept, and the maintenance run that prunes it (docs/security.md#retention), so the
 * merchant sees the schedule, the last run and what it removed, and can change the two periods.
 */
import { useEffect, useState } from 'react';
import type { Settings } from '../../../../shared/contract.ts';
import { useConsole } from '../../store.ts';
import { fmtTime } from '../../format.ts';
import { checkInt, NumberInput } from './fields.tsx';
import { Section, SaveError, useSave } from './shared.tsx';

const LABELS = { events_days: 'Event history', delivery_log_days: 'Delivery log' };

export function Retention({ s }: { s: Settings }) {
  const m = useConsole((st) => st.sysinfo?.maintenance);
  const [events, setEvents] = useState(String(s.events_days));
  const [log, setLog] = useState(String(s.delivery_log_days));
  const [save, error] = useSave(LABELS);
  useEffect(() => void useConsole.getState().refreshSysinfo().catch(() => {}), []);
  const errors = { events: checkInt(events, 1, 3650, 'a number of days'), log: checkInt(log, 1, 3650, 'a number of days') };
  const r = m?.last_removed;
  return (
    <Section title="History kept">
      <p className="muted">
        Old history is pruned in the background so the data dir does not grow forever. Never anything pending: a callback still waiting for its
        receiver, and the event it carries, stay until it ends.
      </p>
      <form
        className="form-grid"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (errors.events || errors.log) return;
          void save({ events_days: Number(events), delivery_log_days: Number(log) }, 'History kept').then((ok) => {
            if (ok) void useConsole.getState().refreshSysinfo().catch(() => {});
          });
        }}
      >
        <NumberInput
          label="Event history"
          value={events}
          onChange={setEvents}
          error={errors.events}
          suffix="days"
          hint="What a console or an events agent can catch up on after being away; an older resume reloads instead."
        />
        <NumberInput
          label="Delivery log"
          value={log}
          onChange={setLog}
          error={errors.log}
          suffix="days"
          hint="Ended deliveries with what each attempt sent; after this they can no longer be resent."
        />
        <button type="submit" className="primary">
          Save
        </button>
      </form>
      {m && (
        <p data-testid="maintenance">
          Runs every {Math.round(m.every_s / 60)} min · last run {m.last_run_at ? fmtTime(m.last_run_at) : 'not yet'}
          {r ? ` (removed ${r.events} events, ${r.deliveries} deliveries, ${r.idempotency_keys} idempotency keys)` : ''} · next{' '}
          {fmtTime(m.next_run_at)} · idempotency keys kept {m.idempotency_hours} h
        </p>
      )}
      <SaveError error={error} />
    </Section>
  );
}
