import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

let lastTime = 0;
let lastRandom: Uint8Array = new Uint8Array(10);

function encode(bytes: Uint8Array, chars: number): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out.slice(0, chars);
}

/** Opaque, prefixed, time-ordered ids (`tnt_01h…`): sorting by id sorts by creation time. */
export function newId(prefix: string): string {
  let now = Date.now();
  let random: Uint8Array;
  if (now <= lastTime) {
    now = lastTime;
    random = Uint8Array.from(lastRandom);
    for (let i = random.length - 1; i >= 0; i--) {
      if (random[i] < 255) {
        random[i]++;
        break;
      }
      random[i] = 0;
    }
  } else {
    random = randomBytes(10);
  }
  lastTime = now;
  lastRandom = random;
  const time = new Uint8Array(6);
  let t = now;
  for (let i = 5; i >= 0; i--) {
    time[i] = t % 256;
    t = Math.floor(t / 256);
  }
  const bytes = new Uint8Array(16);
  bytes.set(time, 0);
  bytes.set(random, 6);
  return `${prefix}_${encode(bytes, 26)}`;
}

/** A random secret, url-safe. */
export function newSecret(prefix: string, bytes = 32): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}
