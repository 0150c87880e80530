// JSON events of about 710 bytes, as an application writes them (issue 14's benchmark data): an order event
// with ids, a customer, a few line items and a client description. Kafka's ProducerPerformance picks one line of
// a payload file at random for each record, so a few thousand distinct lines give a topic that compresses like
// real traffic (zstd: about 4–5 times), not like the random letters of its --record-size.
import { writeFile } from 'node:fs/promises';
import { seededRandom } from '../test/support/seeded-random.js';

const EVENT_TYPES = ['order.created', 'order.paid', 'order.shipped', 'order.cancelled'] as const;
const COUNTRIES = ['DE', 'FR', 'GB', 'NL', 'ES', 'IT', 'PL', 'SE', 'US', 'CA'] as const;
const CURRENCIES = ['EUR', 'GBP', 'USD', 'SEK', 'PLN'] as const;
const PRODUCTS = ['shoe', 'shirt', 'jacket', 'lamp', 'chair', 'kettle', 'book', 'phone-case'] as const;
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
] as const;

/** `events` JSON lines, each about `approximateBytes` long (710 by default). */
export function jsonEvents(events: number, seed = 14, approximateBytes = 710): string[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const hex = (length: number) =>
    Array.from({ length }, () => Math.floor(random() * 16).toString(16)).join('');
  const lines: string[] = [];
  for (let index = 0; index < events; index++) {
    const items = Array.from({ length: 1 + Math.floor(random() * 3) }, () => ({
      sku: `${pick(PRODUCTS)}-${Math.floor(random() * 100_000)}`,
      quantity: 1 + Math.floor(random() * 4),
      unitPrice: Math.round(random() * 20_000) / 100,
    }));
    const event = {
      type: pick(EVENT_TYPES),
      eventId: `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`,
      occurredAt: new Date(1_790_000_000_000 + Math.floor(random() * 86_400_000)).toISOString(),
      orderId: `ord-${Math.floor(random() * 10_000_000)}`,
      customer: {
        id: `cus-${Math.floor(random() * 1_000_000)}`,
        country: pick(COUNTRIES),
        segment: random() < 0.2 ? 'business' : 'consumer',
      },
      currency: pick(CURRENCIES),
      items,
      total: Math.round(items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0) * 100) / 100,
      client: { userAgent: pick(AGENTS), ip: `10.${hex(2)}.${hex(2)}.${hex(2)}`, sessionId: hex(24) },
      padding: '',
    };
    let line = JSON.stringify(event);
    // Filler of realistic text up to the target size: a note as a shop's form would store it.
    const missing = approximateBytes - line.length;
    if (missing > 0) {
      event.padding = 'gift wrap requested, leave at the door '.repeat(8).slice(0, missing);
      line = JSON.stringify(event);
    }
    lines.push(line);
  }
  return lines;
}

/** Writes a payload file for ProducerPerformance (--payload-file): one event a line. */
export async function writeJsonEventsFile(file: string, events = 5_000): Promise<number> {
  const lines = jsonEvents(events);
  await writeFile(file, `${lines.join('\n')}\n`);
  return lines.reduce((sum, line) => sum + line.length, 0) / lines.length;
}
