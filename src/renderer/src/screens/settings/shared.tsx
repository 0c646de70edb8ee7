/** What every settings section shares: its panel and a save that reports errors in words. */
import { useState, type ReactNode } from 'react';
import { call } from '../../api.ts';
import { useConsole } from '../../store.ts';
import { errorText } from '../../format.ts';
import { humanError } from './fields.tsx';

export function Section({ title, children, id }: { title: string; children: ReactNode; id?: string }) {
  return (
    <section className="panel" aria-labelledby={id ?? title.replace(/\W+/g, '-').toLowerCase()}>
      <h2 id={id ?? title.replace(/\W+/g, '-').toLowerCase()}>{title}</h2>
      {children}
    </section>
  );
}

/** PATCH /settings with a toast on success and the server's refusal in words (labels name the fields). */
export function useSave(labels: Record<string, string> = {}): [(patch: object, what: string) => Promise<boolean>, string | null] {
  const [error, setError] = useState<string | null>(null);
  const showToast = useConsole((s) => s.showToast);
  const save = async (patch: object, what: string): Promise<boolean> => {
    setError(null);
    try {
      const s = await call('patchSettings', { body: patch });
      useConsole.setState({ settings: s });
      void useConsole.getState().refreshCounter().catch(() => {});
      showToast(`${what} saved`);
      return true;
    } catch (e) {
      setError(humanError(errorText(e), labels));
      return false;
    }
  };
  return [save, error];
}

export { ErrorText as SaveError } from '../../ErrorText.tsx';
