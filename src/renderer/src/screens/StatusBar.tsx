import { useConsole } from '../store.ts';

/** Connection, Electrum server, tip height and sync state, kept live by the event stream. */
export function StatusBar() {
  const live = useConsole((s) => s.live);
  const info = useConsole((s) => s.sysinfo);
  const demo = useConsole((s) => s.demo);
  const wallet = useConsole((s) => s.wallet);
  const chain = info?.chain;
  return (
    <footer className="statusbar" role="contentinfo">
      <span className={`dot ${live ? 'ok' : 'bad'}`} data-testid="live" data-live={live}>
        {live ? 'Live' : 'Reconnecting…'}
      </span>
      {info && <span>{info.network}</span>}
      {chain && (
        <span className={chain.connected ? '' : 'warn'} data-testid="chain">
          {chain.connected ? `Electrum ${chain.server ?? ''}` : chain.error ? `Electrum: ${chain.error}` : 'No Electrum server'}
        </span>
      )}
      {chain && <span data-testid="tip">Tip {chain.tip_height !== null ? chain.tip_height.toLocaleString('en-US') : '—'}</span>}
      {chain && <span>{chain.connected ? (chain.synced ? 'Synced' : `Syncing${chain.lag_blocks ? ` (${chain.lag_blocks} behind)` : '…'}`) : 'Offline'}</span>}
      {info && wallet && wallet.kind !== 'static' && <span>{wallet.kind}: next index {wallet.next_index}{wallet.gap >= 20 ? ` · gap ${wallet.gap}!` : ''}</span>}
      {info && wallet?.kind === 'static' && (
        <span className={info.accepting_orders ? '' : 'warn'}>
          {info.addresses.free} free address{info.addresses.free === 1 ? '' : 'es'}
          {!info.accepting_orders && ' · not accepting orders'}
        </span>
      )}
      {info && (info.outbox.pending > 0 || info.outbox.retry > 0 || info.outbox.failure > 0) && (
        <span className={info.outbox.failure ? 'warn' : ''}>
          Callbacks: {info.outbox.pending} pending, {info.outbox.retry} retrying, {info.outbox.failure} failed
        </span>
      )}
      {demo && <span className="demo-tag">Demo (sandbox chain)</span>}
      {info && <span className="spacer">v{info.version}</span>}
    </footer>
  );
}
