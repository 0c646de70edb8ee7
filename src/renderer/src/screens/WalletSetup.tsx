/**
 * Wallet setup in steps: paste an xpub or descriptor; for a plain xpub/tpub (which does not say its address type)
 * choose Legacy, Nested SegWit, Native SegWit or Taproot — preselected when a key origin says (84' → Native
 * SegWit); compare the first address with the wallet's own; only then save. Private material is refused and wiped
 * from the field at once.
 */
import { useEffect, useState } from 'react';
import { scriptHint, SCRIPT_LABEL, type ChosenScript } from '../../../core/wallet/script.ts';
import { call, ApiError } from '../api.ts';
import { errorText } from '../format.ts';
import { RadioSwitch } from '../RadioSwitch.tsx';
import { ErrorText } from '../ErrorText.tsx';

type Preview = { kind: string; script: string; first_addresses: string[]; script_choice: boolean };
const CHOICES: ChosenScript[] = ['p2pkh', 'p2sh-p2wpkh', 'p2wpkh', 'p2tr'];
const SHORT: Record<ChosenScript, string> = { p2pkh: 'Legacy', 'p2sh-p2wpkh': 'Nested SegWit', p2wpkh: 'Native SegWit', p2tr: 'Taproot' };
const PRIVATE_TEXT = 'That is private key material: Satdesk never holds a key that can spend. It was cleared from the field. Paste the account\u2019s public key (xpub/zpub/tpub/vpub) or a descriptor with public keys only.';

/**
 * Private material by its look (the server checks properly and refuses too): an extended private key prefix, a WIF
 * key, or a 12–24 word seed phrase. Caught here so it leaves the field at once.
 */
function hasPrivate(text: string): boolean {
  const t = text.trim();
  const words = t.split(/[^1-9A-HJ-NP-Za-km-z]+/);
  return (
    words.some((w) => /^[xyztuvYZUV]prv[1-9A-HJ-NP-Za-km-z]{90,}$/.test(w) || /^[5KLc9][1-9A-HJ-NP-Za-km-z]{50,51}$/.test(w)) ||
    /^([a-z]+\s+){11,23}[a-z]+$/.test(t)
  );
}

export function WalletSetup({ replacing, onSaved }: { replacing: boolean; onSaved: () => void }) {
  const [text, setText] = useState('');
  const [script, setScript] = useState<ChosenScript | null>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [matches, setMatches] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const hint = scriptHint(text);

  // A new text starts over; a key origin's purpose preselects the address type.
  useEffect(() => {
    setPreview(null);
    setMatches(false);
    setScript(hint.hint);
  }, [text, hint.hint]);

  const onText = (v: string): void => {
    if (hasPrivate(v)) {
      setText('');
      setError(PRIVATE_TEXT);
      return;
    }
    setError(null);
    setText(v);
  };

  const check = async (chosen: ChosenScript | null): Promise<void> => {
    setBusy(true);
    setError(null);
    setMatches(false);
    try {
      const p = await call('previewWallet', { body: { xpub: text.trim(), ...(chosen && !hint.fixed ? { script: chosen } : {}) } });
      setPreview(p);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'private_key_refused') {
        setText('');
        setError(PRIVATE_TEXT);
      } else setError(errorText(e));
      setPreview(null);
    } finally {
      setBusy(false);
    }
  };

  const save = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await call('putWallet', { body: { xpub: text.trim(), ...(script && !hint.fixed ? { script } : {}) } });
      setText('');
      onSaved();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const needsChoice = text.trim() !== '' && !hint.fixed;
  return (
    <div className="wallet-setup">
      <ol className="steps">
        <li>
          <label htmlFor="wallet-key">Paste your wallet&apos;s account public key (xpub, zpub, tpub, vpub…) or an output descriptor</label>
          <textarea
            id="wallet-key"
            rows={3}
            placeholder="zpub… / tpub… / wpkh([fingerprint/84h/0h/0h]xpub…/0/*)"
            value={text}
            onChange={(e) => onText(e.target.value)}
            spellCheck={false}
            autoComplete="off"
          />
        </li>
        {needsChoice && (
          <li>
            <p id="script-label">
              Which addresses does this wallet use? {hint.hint ? '(preselected from the key origin)' : 'An xpub does not say: check your wallet\u2019s settings.'}
            </p>
            <RadioSwitch
              label="Address type"
              className="script-switch"
              options={CHOICES}
              value={script ?? ('' as ChosenScript)}
              text={(c) => SHORT[c]}
              onChange={(c) => {
                setScript(c);
                void check(c);
              }}
            />
            {script && <p className="small muted">{SCRIPT_LABEL[script]}</p>}
          </li>
        )}
        <li>
          <button type="button" disabled={!text.trim() || busy || (needsChoice && !script)} onClick={() => void check(script)}>
            Show the first addresses
          </button>
          {preview && (
            <div className="wallet-preview" data-testid="wallet-preview">
              <p>
                <strong>{SCRIPT_LABEL[preview.script as ChosenScript] ?? preview.script}</strong>. Open your wallet&apos;s receive screen: its first
                address must be this one.
              </p>
              <ol start={0} className="addr-list mono" data-testid="preview-addresses">
                {preview.first_addresses.map((a) => (
                  <li key={a}>{a}</li>
                ))}
              </ol>
              <label className="check">
                <input type="checkbox" checked={matches} onChange={(e) => setMatches(e.target.checked)} /> The first address matches the first receive
                address in my wallet
              </label>
              {!matches && <p className="small muted">If it does not, choose another address type (or check the key): payments to wrong addresses never reach your wallet.</p>}
              <button type="button" className="primary" disabled={!matches || busy} onClick={() => void save()}>
                {replacing ? 'Replace wallet' : 'Use this wallet'}
              </button>
            </div>
          )}
        </li>
      </ol>
      <ErrorText error={error} testId="wallet-error" />
    </div>
  );
}
