#!/usr/bin/env node
// A Satdesk callback receiver in plain Node (no dependencies). Run:
//   SATDESK_TOKEN=<agent token> PORT=8080 node docs/receivers/node-receiver.mjs
// It checks the HMAC header (constant time, timestamps older than 5 minutes rejected), the legacy bitcoinmonitor md5
// for `bitcoinmonitor` bodies, drops repeated delivery ids, and answers 2xx to what it accepted. Each accepted
// callback is printed as one JSON line; plug your order handling in at `handlePayment` / `handleEvent`.
import http from 'node:http';
import crypto from 'node:crypto';

const TOKEN = process.env.SATDESK_TOKEN ?? '';
const PORT = Number(process.env.PORT ?? 8080);
const HOST = process.env.HOST ?? '127.0.0.1';
const MAX_AGE_S = 300;
if (!TOKEN) {
  console.error('Set SATDESK_TOKEN to the agent token.');
  process.exit(2);
}

// Delivery ids already handled. Keep these in your database in real life (a unique column), so a restart does not
// forget them.
const seen = new Set();

function verifyHmac(header, rawBody) {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return 'missing or malformed X-Satdesk-Signature';
  const t = Number(m[1]);
  if (Math.abs(Date.now() / 1000 - t) > MAX_AGE_S) return 'stale timestamp';
  const want = crypto.createHmac('sha256', TOKEN).update(`${t}.`).update(rawBody).digest();
  const got = Buffer.from(m[2], 'hex');
  if (!crypto.timingSafeEqual(want, got)) return 'bad HMAC';
  return null;
}

// The seed's md5: address + agent + amount + amount_btc + confirmations + created + userdata + txhash + token.
function verifyMd5(body) {
  const d = body.signed_data;
  const s = `${d.address}${d.agent}${d.amount}${d.amount_btc}${d.confirmations}${d.created}${d.userdata}${d.txhash}${TOKEN}`;
  const want = crypto.createHash('md5').update(s, 'utf8').digest();
  const got = Buffer.from(String(body.signature), 'hex');
  return got.length === want.length && crypto.timingSafeEqual(want, got) ? null : 'bad md5 signature';
}

function handlePayment(delivery, d, isTest) {
  // Look the order up by d.userdata (or d.address), check d.amount, fulfil at the confirmations you need.
  console.log(JSON.stringify({ accepted: delivery, test: isTest, signed_data: d }));
}

function handleEvent(delivery, e, isTest) {
  console.log(JSON.stringify({ accepted: delivery, test: isTest, event: e }));
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks);
    const reply = (status, text) => {
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end(text);
    };
    if (req.method !== 'POST') return reply(405, 'POST only');
    const bad = verifyHmac(req.headers['x-satdesk-signature'], raw);
    if (bad) {
      console.log(JSON.stringify({ rejected: bad }));
      return reply(401, bad);
    }
    let body;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return reply(400, 'not JSON');
    }
    const delivery = String(req.headers['x-satdesk-delivery'] ?? '');
    if (seen.has(delivery)) {
      console.log(JSON.stringify({ duplicate: delivery }));
      return reply(200, 'already handled');
    }
    const isTest = req.headers['x-satdesk-test'] === '1';
    if (body.signed_data) {
      const badMd5 = verifyMd5(body);
      if (badMd5) {
        console.log(JSON.stringify({ rejected: badMd5 }));
        return reply(401, badMd5);
      }
      handlePayment(delivery, body.signed_data, isTest);
    } else {
      handleEvent(delivery, body, isTest);
    }
    seen.add(delivery);
    reply(200, 'ok');
  });
});

server.listen(PORT, HOST, () => {
  console.log(JSON.stringify({ listening: `http://${HOST}:${server.address().port}/` }));
});
