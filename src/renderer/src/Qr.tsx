import { useEffect, useState } from 'react';

/** A BIP21 QR code as a data: URL image (the CSP allows img data:). */
export function Qr({ text, size, label }: { text: string; size: number; label: string }) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let gone = false;
    // Upper-case bech32 URIs fit QR alphanumeric mode: a smaller, easier-to-scan code (BIP21/BIP173).
    const upper = /^bitcoin:(bc1|tb1|bcrt1)/i.test(text) ? text.replace(/^bitcoin:([^?]+)/i, (_m, a: string) => `BITCOIN:${a.toUpperCase()}`) : text;
    // Loaded on first use: the invoices list and settings never need the QR encoder.
    import('qrcode')
      .then((QRCode) => QRCode.toDataURL(upper, { errorCorrectionLevel: 'M', margin: 2, width: size * 2 }))
      .then(
      (url) => !gone && setSrc(url),
      () => !gone && setSrc(null),
    );
    return () => {
      gone = true;
    };
  }, [text, size]);
  return src ? (
    <img className="qr" src={src} width={size} height={size} alt={label} data-bip21={text} />
  ) : (
    <div className="qr qr-placeholder" style={{ width: size, height: size }} />
  );
}
