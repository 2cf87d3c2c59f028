// A small mutation fuzzer (not coverage-guided): starting from a saved corpus, it flips bits, inserts,
// deletes and overwrites bytes, and splices corpus entries, with a seeded generator so that a failure
// can be replayed. Coverage-guided fuzzing with Jazzer.js does not run on this platform: its 4.x
// prebuilt binding needs glibc 2.38 (Debian 12 has 2.36) and older releases download binaries at install.

export type Target = (data: Buffer) => void;

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x1_0000_0000;
  };
}

export function mutate(input: Buffer, corpus: readonly Buffer[], random: () => number): Buffer {
  const bytes = [...input];
  const n = 1 + Math.floor(random() * 4);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(random() * (bytes.length + 1));
    switch (Math.floor(random() * 6)) {
      case 0:
        if (bytes.length > 0) bytes[at % bytes.length]! ^= 1 << Math.floor(random() * 8);
        break;
      case 1:
        bytes.splice(at, 0, Math.floor(random() * 256));
        break;
      case 2:
        if (bytes.length > 0) bytes.splice(at % bytes.length, 1 + Math.floor(random() * 4));
        break;
      case 3:
        if (bytes.length > 0) bytes[at % bytes.length] = [0x68, 0x16, 0xfe, 0x00, 0xff, 0xee][Math.floor(random() * 6)]!;
        break;
      case 4: {
        const other = corpus[Math.floor(random() * corpus.length)]!;
        const from = Math.floor(random() * other.length);
        bytes.splice(at, 0, ...other.subarray(from, from + 1 + Math.floor(random() * 40)));
        break;
      }
      case 5:
        if (bytes.length > 1) bytes.length = Math.max(1, at);
        break;
    }
  }
  return Buffer.from(bytes.slice(0, 8192));
}

/** Runs `iterations` mutated inputs; returns the first input that made the target throw, with the error. */
export function runMutations(target: Target, corpus: readonly Buffer[], iterations: number, seed: number): { input: Buffer; error: unknown } | undefined {
  const random = rng(seed);
  for (let i = 0; i < iterations; i++) {
    const base = corpus[Math.floor(random() * corpus.length)]!;
    const input = mutate(base, corpus, random);
    try {
      target(input);
    } catch (error) {
      return { input, error };
    }
  }
  return undefined;
}
