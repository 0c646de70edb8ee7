/**
 * Settings fields that speak in words: durations in minutes/hours/days (stored as seconds), numbers with their
 * bounds checked as you type, an empty field never silently 0, and a message under the field it is about.
 */
import { useId, useState, type ReactNode } from 'react';
import { copyText } from '../../format.ts';

export type Check = string | null;

/** A number typed in a field: null when empty or not a number. */
export function parseNumber(text: string, opts: { integer?: boolean; decimals?: number } = {}): number | null {
  const t = text.trim();
  if (!t) return null;
  const re = opts.integer ? /^\d+$/ : new RegExp(`^\\d+(\\.\\d{1,${opts.decimals ?? 8}})?$`);
  return re.test(t) ? Number(t) : null;
}

export function Field({ label, error, hint, children }: { label: string; error: Check; hint?: ReactNode; children: (id: string, describedBy: string | undefined) => ReactNode }) {
  const id = useId();
  const msg = `${id}-msg`;
  return (
    <div className={`field${error ? ' invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children(id, error || hint ? msg : undefined)}
      {(error || hint) && (
        <p id={msg} className={error ? 'field-error' : 'field-hint'} role={error ? 'alert' : undefined}>
          {error ?? hint}
        </p>
      )}
    </div>
  );
}

/** An integer field; `check` turns the typed number (or null when empty/bad) into a message. */
export function NumberInput(props: { label: string; value: string; onChange: (v: string) => void; error: Check; hint?: ReactNode; suffix?: string; decimals?: number; text?: boolean }) {
  return (
    <Field label={props.label} error={props.error} hint={props.hint}>
      {(id, describedBy) => (
        <span className="with-suffix">
          <input
            id={id}
            inputMode={props.text ? 'text' : props.decimals ? 'decimal' : 'numeric'}
            value={props.value}
            aria-invalid={props.error ? true : undefined}
            aria-describedby={describedBy}
            onChange={(e) => props.onChange(e.target.value)}
          />
          {props.suffix && <span className="suffix">{props.suffix}</span>}
        </span>
      )}
    </Field>
  );
}

const UNITS = [
  ['minutes', 60],
  ['hours', 3600],
  ['days', 86_400],
] as const;
type DurUnit = (typeof UNITS)[number][0];

/** The largest unit that divides the seconds evenly, for showing a stored duration. */
function bestUnit(seconds: number): DurUnit {
  for (const [u, s] of [...UNITS].reverse()) if (seconds > 0 && seconds % s === 0) return u;
  return 'minutes';
}

export interface Duration {
  text: string;
  unit: DurUnit;
}

export const durationOf = (seconds: number): Duration => {
  const unit = bestUnit(seconds);
  const per = UNITS.find(([u]) => u === unit)![1];
  return { text: String(seconds / per), unit };
};

/** Seconds from a typed duration (whole seconds; 1.5 hours is fine), or null when empty or not a number. */
export function secondsOf(d: Duration): number | null {
  const n = parseNumber(d.text, { decimals: 3 });
  if (n === null) return null;
  return Math.round(n * UNITS.find(([u]) => u === d.unit)![1]);
}

export function words(seconds: number): string {
  if (seconds % 86_400 === 0 && seconds >= 86_400) return `${seconds / 86_400} day${seconds === 86_400 ? '' : 's'}`;
  if (seconds % 3600 === 0 && seconds >= 3600) return `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}`;
  if (seconds % 60 === 0 && seconds >= 60) return `${seconds / 60} minute${seconds === 60 ? '' : 's'}`;
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}

/** Checks a duration against bounds in seconds and says what is wrong in words. */
export function checkDuration(d: Duration, min: number, max: number): Check {
  const s = secondsOf(d);
  if (s === null) return d.text.trim() ? 'Type a number, e.g. 15.' : 'Enter a duration: an empty field is not zero.';
  if (s < min) return `At least ${words(min)}.`;
  if (s > max) return `At most ${words(max)}.`;
  return null;
}

export function checkInt(text: string, min: number, max: number, what = 'a whole number'): Check {
  const n = parseNumber(text, { integer: true });
  if (n === null) return text.trim() ? `Type ${what}.` : 'Enter a number: an empty field is not zero.';
  if (n < min) return `At least ${min.toLocaleString('en-US')}.`;
  if (n > max) return `At most ${max.toLocaleString('en-US')}.`;
  return null;
}

export function DurationInput({ label, value, onChange, error, hint }: { label: string; value: Duration; onChange: (d: Duration) => void; error: Check; hint?: ReactNode }) {
  return (
    <Field label={label} error={error} hint={hint}>
      {(id, describedBy) => (
        <span className="with-suffix">
          <input
            id={id}
            inputMode="decimal"
            value={value.text}
            aria-invalid={error ? true : undefined}
            aria-describedby={describedBy}
            onChange={(e) => onChange({ ...value, text: e.target.value })}
          />
          <select aria-label={`${label}: unit`} value={value.unit} onChange={(e) => onChange({ ...value, unit: e.target.value as DurUnit })}>
            {UNITS.map(([u]) => (
              <option key={u} value={u}>
                {u}
              </option>
            ))}
          </select>
        </span>
      )}
    </Field>
  );
}

/**
 * A server's refusal in words: `body.invoice.expires_in_s: Too small: expected number to be >=1` becomes
 * "Expires after: too small (at least 1)", naming the field by its label.
 */
export function humanError(message: string, labels: Record<string, string>): string {
  return message
    .split('; ')
    .map((part) => {
      const m = /^(?:body\.)?([\w.]+): (.*)$/.exec(part);
      if (!m) return part;
      const label = labels[m[1]!] ?? m[1]!.split('.').at(-1)!.replace(/_/g, ' ');
      const text = m[2]!
        .replace(/^Too small: expected (?:number|string|array) to (?:be|have) >=?(\d+).*$/, 'too small (at least $1)')
        .replace(/^Too big: expected (?:number|string|array) to (?:be|have) <=?(\d+).*$/, 'too large (at most $1)')
        .replace(/^Invalid input: expected (\w+), received (\w+)$/, 'expected a $1');
      return `${label}: ${text}`;
    })
    .join('; ');
}

/** A Copy button beside a secret or link. */
export function CopyButton({ text, what, onCopied }: { text: string; what: string; onCopied: (ok: boolean) => void }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      className="small"
      onClick={() =>
        void copyText(text).then((ok) => {
          setDone(ok);
          onCopied(ok);
        })
      }
    >
      {done ? 'Copied' : `Copy ${what}`}
    </button>
  );
}
