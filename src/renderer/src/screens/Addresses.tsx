/** Addresses: the pool at a glance, xpub/descriptor setup with the first 10 addresses, static addresses in bulk. */
import { useEffect, useState } from 'react';
import type { MethodOutput } from '../../../shared/contract.ts';
import { call } from '../api.ts';
import { useConsole } from '../store.ts';
import { errorText } from '../format.ts';
import { WalletSetup } from './WalletSetup.tsx';
import { FilterChips } from '../FilterChips.tsx';

type Wallet = MethodOutput<'getWallet'>;
type AddResult = MethodOutput<'addAddresses'>['results'][number];
type AddressRow = MethodOutput<'listAddresses'>['addresses'][number];

export function AddressesScreen() {
  const info = useConsole((s) => s.sysinfo);
  const eventSeq = useConsole((s) => s.eventSeq);
  const [wallet, setWallet] = useState<Wallet | null>(null);
  const [bulk, setBulk] = useState('');
  const [results, setResults] = useState<AddResult[] | null>(null);
  const [bulkError, setBulkError] = useState<string | null>(null);
  const [rows, setRows] = useState<AddressRow[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [stateFilter, setStateFilter] = useState<'' | 'free' | 'in_use' | 'used'>('');
  // The wallet scan found derived addresses that already have history (docs/trust.md): say so where the xpub is set.
  const lastEvent = useConsole((s) => s.lastEvent);
  const [historyFound, setHistoryFound] = useState<string | null>(null);
  useEffect(() => {
    if (lastEvent?.type === 'wallet.history_found' && typeof lastEvent.message === 'string') setHistoryFound(lastEvent.message);
  }, [lastEvent]);

  const reload = (): void => {
    call('getWallet').then((w) => {
      setWallet(w);
      useConsole.setState({ wallet: w });
    }, () => {});
    call('listAddresses', { query: { state: stateFilter || undefined, limit: 100 } }).then(
      (r) => {
        setRows(r.addresses);
        setCursor(r.next_cursor);
      },
      () => {},
    );
    void useConsole.getState().refreshSysinfo().catch(() => {});
  };
  useEffect(reload, [stateFilter, eventSeq]);

  const submitBulk = async (): Promise<void> => {
    setBulkError(null);
    const list = bulk
      .split(/[\s,;]+/)
      .map((s) => s.trim())
      .filter(Boolean);
    if (!list.length) return;
    try {
      const r = await call('addAddresses', { body: { addresses: list } });
      setResults(r.results);
      setBulk(r.results.filter((x) => x.result === 'invalid').map((x) => x.address).join('\n'));
      reload();
    } catch (e) {
      setBulkError(errorText(e));
    }
  };
  const derived = wallet && wallet.kind !== 'static';
  const counts = results ? { added: results.filter((r) => r.result === 'added').length, dup: results.filter((r) => r.result === 'duplicate').length, bad: results.filter((r) => r.result === 'invalid').length } : null;
  return (
    <section className="addresses">
      <h1>Addresses</h1>
      {info && (
        <div className="cards" data-testid="pool">
          <div className="card">
            <div className="card-n">{info.addresses.total.toLocaleString('en-US')}</div>total
          </div>
          <div className="card">
            <div className="card-n">{info.addresses.in_use.toLocaleString('en-US')}</div>in use
          </div>
          <div className="card">
            {derived ? (
              <>
                <div className="card-n">∞</div>derived per invoice
              </>
            ) : (
              <>
                <div className="card-n">{info.addresses.free.toLocaleString('en-US')}</div>free
              </>
            )}
          </div>
          <div className={`card ${info.accepting_orders ? 'ok' : 'bad'}`}>
            <div className="card-n">{info.accepting_orders ? 'Yes' : 'No'}</div>accepting orders
          </div>
        </div>
      )}
      {info && info.addresses.total === 0 && !derived && (
        <div className="empty-state">
          <strong>Start here.</strong> Paste your wallet&apos;s account xpub (or a descriptor) so Satdesk derives a fresh address for every invoice —
          or paste a list of addresses below. Satdesk never holds a private key.
        </div>
      )}
      {historyFound && (
        <div className="empty-state warn" role="alert" data-testid="history-found">
          {historyFound}
        </div>
      )}
      {wallet?.gap_warning && (
        <div className="empty-state warn" role="alert">
          {wallet.gap_warning}
        </div>
      )}

      <div className="two-col">
        <div className="panel">
          <h2>Wallet (xpub or descriptor)</h2>
          {derived ? (
            <>
              <p>
                <strong>{wallet.kind}</strong> · {wallet.script} · {wallet.network} · next index {wallet.next_index} · gap {wallet.gap}
              </p>
              <p className="mono small wrap">{wallet.source}</p>
              <h3>First 10 receive addresses — compare them with your wallet</h3>
              <ol start={0} className="addr-list mono" data-testid="first-addresses">
                {wallet.first_addresses.map((a) => (
                  <li key={a}>{a}</li>
                ))}
              </ol>
            </>
          ) : (
            <p className="muted">No xpub set: invoices use the static addresses below.</p>
          )}
          {(!derived || wallet.next_index === 0) && <WalletSetup replacing={Boolean(derived)} onSaved={reload} />}
        </div>
        <div className="panel">
          <h2>Static addresses</h2>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void submitBulk();
            }}
          >
            <textarea aria-label="Addresses to add" rows={6} placeholder="One address per line" value={bulk} onChange={(e) => setBulk(e.target.value)} />
            <button type="submit" className="primary" disabled={!bulk.trim()}>
              Add addresses
            </button>
          </form>
          {bulkError && (
            <p role="alert" className="error">
              {bulkError}
            </p>
          )}
          {counts && (
            <div data-testid="add-results">
              <p>
                {counts.added} added, {counts.dup} duplicate, {counts.bad} invalid
                {counts.bad > 0 && ' (the invalid ones are left in the box to fix)'}
              </p>
              <ul className="results">
                {results!.map((r, i) => (
                  <li key={i} className={`res-${r.result}`}>
                    <span className="chip">{r.result}</span> <code>{r.address}</code> {r.reason && <span className="muted">— {r.reason}</span>}
                  </li>
                ))}
              </ul>
            </div>
          )}
        </div>
      </div>

      <h2>Pool</h2>
      <FilterChips label="Address state" options={['', 'free', 'in_use', 'used'] as const} value={stateFilter} onChange={setStateFilter} text={(x) => (x ? x.replace('_', ' ') : 'All')} />
      <table className="table">
        <thead>
          <tr>
            <th>Address</th>
            <th>State</th>
            <th>Origin</th>
            <th>Invoice</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.address}>
              <td className="mono">{r.address}</td>
              <td>{r.state.replace('_', ' ')}</td>
              <td>{r.origin === 'derived' ? `derived #${r.index}` : 'static'}</td>
              <td>{r.invoice_id ? <a href={`#/invoices/${encodeURIComponent(r.invoice_id)}`}>{r.invoice_id}</a> : ''}</td>
              <td>
                {r.origin === 'static' && r.state === 'free' && (
                  <button type="button" className="small" onClick={() => void call('deleteAddress', { params: { address: r.address } }).then(reload, () => {})}>
                    Remove
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {cursor && (
        <button
          type="button"
          onClick={() =>
            void call('listAddresses', { query: { state: stateFilter || undefined, limit: 100, cursor } }).then((r) => {
              setRows((p) => [...p, ...r.addresses]);
              setCursor(r.next_cursor);
            })
          }
        >
          Load more
        </button>
      )}
    </section>
  );
}
