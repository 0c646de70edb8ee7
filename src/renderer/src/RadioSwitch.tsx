import { useRef, type KeyboardEvent } from 'react';

/** A radio group that moves with the arrow keys (one Tab stop, WAI-ARIA radio group pattern). */
export function RadioSwitch<T extends string>(props: { label: string; options: readonly T[]; value: T; text: (v: T) => string; onChange: (v: T) => void; className?: string }) {
  const { label, options, value, text, onChange, className = 'unit-switch' } = props;
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const onKey = (e: KeyboardEvent<HTMLButtonElement>, i: number): void => {
    const step = e.key === 'ArrowRight' || e.key === 'ArrowDown' ? 1 : e.key === 'ArrowLeft' || e.key === 'ArrowUp' ? -1 : 0;
    if (!step && e.key !== 'Home' && e.key !== 'End') return;
    e.preventDefault();
    const next = e.key === 'Home' ? 0 : e.key === 'End' ? options.length - 1 : (i + step + options.length) % options.length;
    onChange(options[next]!);
    refs.current[next]?.focus();
  };
  return (
    <div className={className} role="radiogroup" aria-label={label}>
      {options.map((u, i) => (
        <button
          type="button"
          key={u}
          ref={(el) => {
            refs.current[i] = el;
          }}
          role="radio"
          aria-checked={value === u}
          tabIndex={value === u ? 0 : -1}
          className={value === u ? 'on' : ''}
          onClick={() => onChange(u)}
          onKeyDown={(e) => onKey(e, i)}
        >
          {text(u)}
        </button>
      ))}
    </div>
  );
}
