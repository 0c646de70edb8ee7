#!/usr/bin/env node
// A Satdesk callback receiver in plain Node (no dependencies). Run:
//   SATDESK_TOKEN=<agent token> PORT=8080 node docs/receivers/node-receiver.mjs
// It checks the HMAC header over the timestamp, the notification id, the delivery id, the test flag and the raw body
// (constant time; timestamps more than 5 minutes off are rejected), the legacy bitcoinmonitor md5 for
// `bitcoinmonitor` bodies, and handles each NOTIFICATION once: a resend (same notification, new delivery id) or a
// replay is answered 200 and changes nothing. Each accepted callback is printed as one JSON line; plug your order
// handling in at `handlePayment` / `handleEvent`.
import http from 'node:http';
import crypto from 'node:crypto';

const TOKEN = process.env.SATDESK_TOKEN ?? '';
const PORT = Number(process.env.PORT ?? 8080);
const HOST = process.env.HOST ?? '127.0.0.1';
const MAX_AGE_S = 300;
const MAX_BODY = 1024 * 1024;
if (!TOKEN) {
  console.error('Set SATDESK_TOKEN to the agent token.');
  process.exit(2);
}

// Notification ids already handled. Keep these in your database in real life (a unique column, written in the same
// transaction as the order update), so a restart does not forget them.
const handled = new Set();

const ID = /^(ntf|dlv)_[0-9a-f]{24}$/;

// HMAC-SHA256(token, "<t>.<notification id>.<delivery id>.<test 0|1>.<raw body>"), header "t=<t>,v2=<hex>".
function verifyHmac(headers, rawBody) {
  const m = /^t=(\d{1,12}),v2=([0-9a-f]{64})$/.exec(headers['x-satdesk-signature'] ?? '');
  if (!m) return 'missing or malformed X-Satdesk-Signature';
  const notification = headers['x-satdesk-notification'] ?? '';
  const delivery = headers['x-satdesk-delivery'] ?? '';
  const test = headers['x-satdesk-test'];
  if (!ID.test(notification) || !ID.test(delivery) || (test !== '0' && test !== '1')) return 'missing or malformed X-Satdesk-* headers';
  const t = Number(m[1]);
  if (Math.abs(Date.now() / 1000 - t) > MAX_AGE_S) return 'stale timestamp';
  const want = crypto.createHmac('sha256', TOKEN).update(`${m[1]}.${notification}.${delivery}.${test}.`).update(rawBody).digest();
  if (!crypto.timingSafeEqual(want, Buffer.from(m[2], 'hex'))) return 'bad HMAC';
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

function handlePayment(ids, d) {
  // Look the order up by d.userdata (or d.address), check d.amount, fulfil at the confirmations you need.
  console.log(JSON.stringify({ accepted: ids.delivery, notification: ids.notification, test: ids.test, signed_data: d }));
}

function handleEvent(ids, e) {
  console.log(JSON.stringify({ accepted: ids.delivery, notification: ids.notification, test: ids.test, event: e }));
}

const server = http.createServer((req, res) => {
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size > MAX_BODY) req.destroy();
    else chunks.push(c);
  });
  req.on('end', () => {
    const raw = Buffer.concat(chunks);
    const reply = (status, text) => {
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end(text);
    };
    if (req.method !== 'POST') return reply(405, 'POST only');
    const bad = verifyHmac(req.headers, raw);
    if (bad) {
      console.log(JSON.stringify({ rejected: bad }));
      return reply(401, bad);
    }
    const ids = {
      notification: req.headers['x-satdesk-notification'],
      delivery: req.headers['x-satdesk-delivery'],
      test: req.headers['x-satdesk-test'] === '1',
    };
    // The notification, not the delivery: "Resend" sends the same notification under a new delivery id.
    if (handled.has(ids.notification)) {
      console.log(JSON.stringify({ duplicate: ids.notification, delivery: ids.delivery }));
      return reply(200, 'already handled');
    }
    let body;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return reply(400, 'not JSON');
    }
    if (body.signed_data) {
      const badMd5 = verifyMd5(body);
      if (badMd5) {
        console.log(JSON.stringify({ rejected: badMd5 }));
        return reply(401, badMd5);
      }
      // A test callback names an address nobody can own and pays 0: never fulfil an order from it.
      if (!ids.test) handlePayment(ids, body.signed_data);
      else console.log(JSON.stringify({ test_received: ids.delivery, notification: ids.notification }));
    } else if (!ids.test) {
      handleEvent(ids, body);
    } else {
      console.log(JSON.stringify({ test_received: ids.delivery, notification: ids.notification }));
    }
    handled.add(ids.notification);
    reply(200, 'ok');
  });
});

server.listen(PORT, HOST, () => {
  console.log(JSON.stringify({ listening: `http://${HOST}:${server.address().port}/` }));
});
