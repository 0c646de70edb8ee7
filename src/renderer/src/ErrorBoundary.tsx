/** Catches a render error in one screen so the rest of the console keeps working (no blank app, no F5 needed). */
import { Component, type ReactNode } from 'react';

interface Props {
  /** Changing it (a new screen) clears the error. */
  resetKey: string;
  children: ReactNode;
}

export class ErrorBoundary extends Component<Props, { error: Error | null; key: string }> {
  override state = { error: null as Error | null, key: this.props.resetKey };

  static getDerivedStateFromError(error: Error): { error: Error } {
    return { error };
  }

  static getDerivedStateFromProps(props: Props, state: { error: Error | null; key: string }) {
    return props.resetKey !== state.key ? { error: null, key: props.resetKey } : null;
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <section className="screen-error" role="alert" data-testid="screen-error">
        <h1>Something went wrong on this screen</h1>
        <p>The rest of Satdesk is fine and nothing was lost. Start a new sale, or go back and try again.</p>
        <p className="muted small mono">{this.state.error.message}</p>
        <div className="actions">
          <a className="button primary" href="#/sell" onClick={() => this.setState({ error: null })}>
            New sale
          </a>
          <button type="button" onClick={() => this.setState({ error: null })}>
            Try again
          </button>
        </div>
      </section>
    );
  }
}
