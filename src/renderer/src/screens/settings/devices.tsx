/**
 * Settings → Devices: the owner names a till or customer display, chooses its role (and till), and pairs it with a
 * one-time code or a QR of the pairing link. Revoking asks first; a device is paired again with a new code.
 */
import { useEffect, useState } from 'react';
import type { ApiTokenView, Role } from '../../../../shared/contract-counter.ts';
import { call } from '../../api.ts';
import { useConsole } from '../../store.ts';
import { errorText, fmtTime, reachableFromPhones } from '../../format.ts';
import { useConfirm } from '../../Dialog.tsx';
import { Qr } from '../../Qr.tsx';
import { CopyButton, Field } from './fields.tsx';
import { Section } from './shared.tsx';
import { ErrorText } from '../../ErrorText.tsx';

const ROLE_TEXT: Record<Role, string> = {
  owner: 'Owner (everything)',
  cashier: 'Cashier (sell, today\u2019s sales)',
  display: 'Customer display (one till\u2019s current sale)',
};

interface Pairing {
  tokenId: string;
  name: string;
  code: string;
  expires_at: string;
  path: string;
  fingerprint: string | null;
}

function PairingPanel({ p, onDone }: { p: Pairing; onDone: () => void }) {
  const showToast = useConsole((s) => s.showToast);
  const link = `${location.origin}${p.path}`;
  return (
    <div className="pairing" role="status" data-testid="pairing">
      <h3>Pair {p.name}</h3>
      <div className="pairing-body">
        <div className="pairing-qr">
          <Qr text={link} label={`Pairing QR code for ${p.name}`} />
        </div>
        <div>
          <p>
            On the device, open the console and type this code, or scan the QR:
          </p>
          <p className="pairing-code" data-testid="pairing-code">
            {p.code}
          </p>
          <p className="small wrap">
            <code>{link}</code> <CopyButton text={link} what="link" onCopied={(ok) => showToast(ok ? 'Pairing link copied' : 'Copy failed')} />
          </p>
          <p className="small muted">Works once, until {fmtTime(p.expires_at)}.</p>
          {p.fingerprint && (
            <p className="small">
              Certificate SHA-256 (the QR carries it): <code className="wrap">{p.fingerprint}</code>
            </p>
          )}
          {!reachableFromPhones() && (
            <p className="small empty-state warn">
              This console is open on this computer only ({location.host}): a tablet cannot reach it. Start <code>satdesk serve --lan</code> and
              open the console by its network address to pair devices on your shop&apos;s network.
            </p>
          )}
          <button type="button" onClick={onDone}>
            Done
          </button>
        </div>
      </div>
    </div>
  );
}

export function Devices() {
  const tills = useConsole((s) => s.tills);
  const [tokens, setTokens] = useState<ApiTokenView[] | null>(null);
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('display');
  const [till, setTill] = useState('');
  const [pairing, setPairing] = useState<Pairing | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [ask, dialog] = useConfirm();
  const reload = (): void => void call('listTokens').then((r) => setTokens(r.tokens), (e: unknown) => setError(errorText(e)));
  useEffect(reload, []);
  const tillName = (id: string | null): string => tills.find((t) => t.id === id)?.name ?? '';
  const create = async (): Promise<void> => {
    setError(null);
    if (!name.trim()) return setError('Name the device, e.g. Front counter tablet.');
    const tillId = role === 'owner' ? null : till || (role === 'display' ? (tills[0]?.id ?? null) : null);
    try {
      const r = await call('createToken', { body: { name: name.trim(), role, till_id: tillId } });
      setPairing({ tokenId: r.token.id, name: r.token.name, ...r.pairing });
      setName('');
      reload();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <Section title="Devices">
      <p className="muted">
        A cashier&apos;s till or a screen facing the customer gets its own token: it never sees Settings, the wallet or callbacks, and you can revoke it
        at any time.
      </p>
      {tokens && tokens.length > 0 && (
        <table className="table devices">
          <thead>
            <tr>
              <th scope="col">Device</th>
              <th scope="col">Role</th>
              <th scope="col">Till</th>
              <th scope="col">State</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id} data-device={t.name}>
                <td>{t.name}</td>
                <td>{ROLE_TEXT[t.role].split(' (')[0]}</td>
                <td>{tillName(t.till_id) || '—'}</td>
                <td>{t.revoked ? 'Revoked' : t.paired ? `Paired${t.last_used_at ? `, last seen ${fmtTime(t.last_used_at)}` : ''}` : 'Waiting to pair'}</td>
                <td className="actions">
                  {!t.revoked && (
                    <>
                      <button
                        type="button"
                        className="small"
                        onClick={() =>
                          void call('pairToken', { params: { id: t.id } }).then(
                            (p) => setPairing({ tokenId: t.id, name: t.name, ...p }),
                            (e: unknown) => setError(errorText(e)),
                          )
                        }
                      >
                        {t.paired ? 'Pair again' : 'New code'}
                      </button>
                      <button
                        type="button"
                        className="small danger"
                        onClick={() =>
                          ask({
                            title: `Revoke ${t.name}?`,
                            children: <p>The device is signed out at once and cannot reach Satdesk again until you pair a new one.</p>,
                            confirmLabel: 'Revoke',
                            cancelLabel: 'Keep it',
                            danger: true,
                            onConfirm: () => call('revokeToken', { params: { id: t.id } }).then(reload),
                          })
                        }
                      >
                        Revoke
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {pairing && <PairingPanel p={pairing} onDone={() => setPairing(null)} />}
      <form
        className="form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <Field label="Device name" error={null}>
          {(id) => <input id={id} value={name} maxLength={60} placeholder="Front counter tablet" onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Role" error={null}>
          {(id) => (
            <select id={id} value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {(['display', 'cashier', 'owner'] as Role[]).map((r) => (
                <option key={r} value={r}>
                  {ROLE_TEXT[r]}
                </option>
              ))}
            </select>
          )}
        </Field>
        {role !== 'owner' && (
          <Field label="Till" error={null}>
            {(id) => (
              <select id={id} value={till} onChange={(e) => setTill(e.target.value)}>
                {role === 'cashier' && <option value="">Any till (chosen on the device)</option>}
                {tills.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        <button type="submit" className="primary">
          Add device and show its code
        </button>
      </form>
      <ErrorText error={error} />
      {dialog}
    </Section>
  );
}
