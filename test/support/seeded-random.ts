// Random timings that a failing run can repeat: tests print their seed, GEOREP_TEST_SEED sets it again.

/** The seed from GEOREP_TEST_SEED, else a fresh one. */
export function testSeed(): number {
  return Number(process.env.GEOREP_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));
}

/** mulberry32: a small seeded generator of numbers in [0, 1). */
export function seededRandom(initial: number): () => number {
  let state = initial >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
