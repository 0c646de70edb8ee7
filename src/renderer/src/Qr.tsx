import { useEffect, useState } from 'react';

/** Upper-case bech32 URIs fit QR alphanumeric mode: a smaller, easier-to-scan code (BIP21/BIP173). */
export function qrText(text: string): string {
  return /^bitcoin:(bc1|tb1|bcrt1)/i.test(text) ? text.replace(/^bitcoin:([^?]+)/i, (_m, a: string) => `BITCOIN:${a.toUpperCase()}`) : text;
}

/**
 * A QR code as an SVG image (a data: URL; the CSP allows img data:). Vector, so CSS sizes it: the box it sits in
 * decides how large it is and it re-fits on every resize or rotation without re-encoding. `className` picks the box.
 */
export function Qr({ text, label, className = 'qr' }: { text: string; label: string; className?: string }) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let gone = false;
    // Loaded on first use: the invoices list and settings never need the QR encoder.
    import('qrcode')
      .then((QRCode) => QRCode.toString(qrText(text), { type: 'svg', errorCorrectionLevel: 'M', margin: 2, color: { dark: '#000000', light: '#ffffff' } }))
      .then(
        (svg) => !gone && setSrc(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`),
        () => !gone && setSrc(null),
      );
    return () => {
      gone = true;
    };
  }, [text]);
  return src ? (
    <img className={className} src={src} alt={label} data-bip21={text} />
  ) : (
    <div className={`${className} qr-placeholder`} role="img" aria-label={`${label} (loading)`} />
  );
}
