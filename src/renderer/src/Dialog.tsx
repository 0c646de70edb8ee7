/**
 * A confirmation before anything that cannot be taken back (cancel, delete, rotate, mark): the native modal
 * <dialog>, so focus stays inside and Esc closes it. `typed` asks for a text (a note) before the action may run.
 */
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';

export interface ConfirmProps {
  title: string;
  children?: ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
  danger?: boolean;
  /** A text the merchant must type first (e.g. why an unpaid invoice is marked confirmed). */
  typed?: { label: string; placeholder?: string };
  onConfirm: (typed: string) => void | Promise<void>;
  onClose: () => void;
}

export function ConfirmDialog({ title, children, confirmLabel, cancelLabel = 'Go back', danger, typed, onConfirm, onClose }: ConfirmProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  const blocked = Boolean(typed) && !text.trim();
  return (
    <dialog ref={ref} className="dialog" aria-labelledby={titleId} onClose={onClose} onCancel={onClose}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          if (blocked || busy) return;
          setBusy(true);
          setError(null);
          Promise.resolve(onConfirm(text.trim())).then(
            () => ref.current?.close(),
            (err: unknown) => {
              setBusy(false);
              setError(err instanceof Error ? err.message : String(err));
            },
          );
        }}
      >
        <h2 id={titleId}>{title}</h2>
        {children}
        {typed && (
          <label className="field">
            {typed.label}
            <input autoFocus value={text} placeholder={typed.placeholder} onChange={(e) => setText(e.target.value)} maxLength={500} />
          </label>
        )}
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <div className="actions">
          <button type="button" autoFocus={!typed} onClick={() => ref.current?.close()}>
            {cancelLabel}
          </button>
          <button type="submit" className={danger ? 'danger-solid' : 'primary'} disabled={blocked || busy}>
            {busy ? 'Working…' : confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}

/** `const [ask, dialog] = useConfirm()`: `ask({...})` opens a dialog; render `dialog` somewhere in the screen. */
export function useConfirm(): [(p: Omit<ConfirmProps, 'onClose'>) => void, ReactNode] {
  const [props, setProps] = useState<Omit<ConfirmProps, 'onClose'> | null>(null);
  return [setProps, props ? <ConfirmDialog {...props} onClose={() => setProps(null)} /> : null];
}
