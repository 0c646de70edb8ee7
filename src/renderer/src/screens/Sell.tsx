/** Sell: the keypad, then the invoice with its QR, countdown and live status (src/renderer/src/sell/). */
import { Keypad } from '../sell/Keypad.tsx';
import { ChargeView } from '../sell/ChargeView.tsx';

export { DemoPayControls } from '../sell/DemoPay.tsx';

export function SellScreen({ invoiceId }: { invoiceId: string | null }) {
  return invoiceId ? <ChargeView key={invoiceId} id={invoiceId} /> : <Keypad />;
}
