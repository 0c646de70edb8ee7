import { chainWarning } from '../../../core/counter.ts';
import { useConsole } from '../store.ts';
import { RateStatus } from '../rates/RateStatus.tsx';

/**
 * Two separate facts, never one green dot for both: whether this console reaches Satdesk ("Console"), and whether
 * Satdesk watches the Bitcoin network ("Bitcoin network": connected, synced, tip). Then the pool and callbacks.
 */
export function StatusBar() {
  const live = useConsole((s) => s.live);
  const info = useConsole((s) => s.sysinfo);
  const demo = useConsole((s) => s.demo);
  const wallet = useConsole((s) => s.wallet);
  const chain = info?.chain;
  const warning = chain ? chainWarning(chain) : null;
  const netText = !chain
    ? 'Bitcoin network: …'
    : !chain.connected
      ? `Bitcoin network: not connected${chain.error ? ` (${chain.error})` : ''}`
      : chain.synced
        ? 'Bitcoin network: synced'
        : `Bitcoin network: syncing${chain.lag_blocks ? ` (${chain.lag_blocks} behind)` : '…'}`;
  return (
    <footer className="statusbar">
      <span className={`dot ${live ? 'ok' : 'bad'}`} data-testid="live" data-live={live} title="Whether this screen reaches Satdesk">
        {live ? 'Console connected' : 'Console reconnecting…'}
      </span>
      <span className={`dot ${chain ? (warning ? 'bad' : 'ok') : ''}`} data-testid="chain" data-chain-ok={chain ? !warning : undefined} title={warning ?? undefined}>
        {netText}
      </span>
      {chain?.connected && chain.server && <span className="wide-only">{chain.server}</span>}
      {chain && (
        <span data-testid="tip" className="wide-only">
          Tip {chain.tip_height !== null ? chain.tip_height.toLocaleString('en-US') : '—'}
        </span>
      )}
      {info && <span className="wide-only">{info.network}</span>}
      {info && wallet && wallet.kind !== 'static' && (
        <span className="wide-only">
          {wallet.kind}: next index {wallet.next_index}
          {wallet.gap >= 20 ? ` · gap ${wallet.gap}!` : ''}
        </span>
      )}
      {info && wallet?.kind === 'static' && (
        <span className={info.accepting_orders ? 'wide-only' : 'warn'}>
          {info.addresses.free} free address{info.addresses.free === 1 ? '' : 'es'}
          {!info.accepting_orders && ' · not accepting orders'}
        </span>
      )}
      {info && (info.outbox.pending > 0 || info.outbox.retry > 0 || info.outbox.failure > 0) && (
        <span className={info.outbox.failure ? 'warn' : 'wide-only'}>
          Callbacks: {info.outbox.pending} pending, {info.outbox.retry} retrying, {info.outbox.failure} failed
        </span>
      )}
      {info?.overrides.map((o) => (
        <span key={o.setting} className="wide-only" title={`${o.setting} = ${o.value}`}>
          {o.flag} in use
        </span>
      ))}
      <RateStatus />
      {demo && <span className="demo-tag">Demo (sandbox chain)</span>}
      {info && <span className="spacer wide-only">v{info.version}</span>}
    </footer>
  );
}
