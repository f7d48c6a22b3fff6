/**
 * The search bench's mail and queries (bench/search.ts): deterministic from a seed, so every run
 * and engine searches the same words. Bodies are English-like: function words, a few dozen common
 * business words, and a long tail of invented words drawn with a Zipf distribution (a word's share
 * falls as 1/rank), as real vocabularies do; subjects and senders likewise.
 */

/** mulberry32: a small seeded PRNG; Math.random cannot be seeded. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FUNCTION_WORDS = 'the and of to a in is for on that with as we it be this are at by from our you will have not please can an or your if all more has was but so they about'.split(' ');
export const COMMON_WORDS = (
  'meeting invoice report project team customer order payment schedule contract update review budget delivery account proposal release deadline client ' +
  'quarterly shipment price quote ticket support issue design launch data server migration backup security audit travel hotel flight agenda minutes ' +
  'feedback survey training workshop hiring interview offer onboarding renewal license subscription refund warranty inventory supplier forecast revenue'
).split(' ');
const SYLLABLES = 'ka lo mir ten vos ra di qu zel bar nim tor sa pe lun dra fi gor hal ix jen kes mo nur ob pra sil tuv ur vek wal yor zin'.split(' ');
const FIRST = 'anna ben carla dev emma farid gina hugo ines jon kai lena marco nora omar petra quinn rosa sam tara'.split(' ');
const LAST = 'ahmed berg costa dubois evans fischer garcia horvat ito jansen kim lopez moreau novak olsen park quist rossi silva tanaka'.split(' ');

/** The long tail: TAIL_WORDS invented words, each two to four syllables, all distinct. */
export const TAIL_WORDS = 20_000;

export interface Corpus {
  tail: string[];
  /** Cumulative Zipf weights over the tail, for sampling. */
  tailCdf: Float64Array;
  commonCdf: Float64Array;
}

function zipfCdf(n: number, s: number): Float64Array {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let r = 1; r <= n; r++) cdf[r - 1] = sum += 1 / r ** s;
  for (let i = 0; i < n; i++) cdf[i]! /= sum;
  return cdf;
}

function pick(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid]! < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function makeCorpus(seed = 42): Corpus {
  const rand = prng(seed);
  const seen = new Set<string>([...FUNCTION_WORDS, ...COMMON_WORDS]);
  const tail: string[] = [];
  while (tail.length < TAIL_WORDS) {
    const n = 2 + Math.floor(rand() * 3);
    let w = '';
    for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(rand() * SYLLABLES.length)];
    if (!seen.has(w)) {
      seen.add(w);
      tail.push(w);
    }
  }
  return { tail, tailCdf: zipfCdf(TAIL_WORDS, 1.05), commonCdf: zipfCdf(COMMON_WORDS.length, 0.8) };
}

export interface BenchMail {
  subject: string;
  fromAddress: string;
  fromName: string;
  body: string;
}

/**
 * Message `i` of the corpus: 4 to 20 sentences of 6 to 16 words (about 130 words, 900 bytes, on
 * average). Half the words are function words, 2% common business words (with the subjects, the
 * most common in about 40% of the messages, the twentieth in about 5%), the rest the long tail (rank
 * 20 in about a quarter of the messages, rank 500 in 1%, ranks past 5,000 in a few dozen).
 */
export function mailAt(corpus: Corpus, i: number): BenchMail {
  const rand = prng(1_000_003 * (i + 1));
  const word = () => {
    const u = rand();
    if (u < 0.5) return FUNCTION_WORDS[Math.floor(rand() * FUNCTION_WORDS.length)]!;
    if (u < 0.52) return COMMON_WORDS[pick(corpus.commonCdf, rand())]!;
    return corpus.tail[pick(corpus.tailCdf, rand())]!;
  };
  const sentences: string[] = [];
  const count = 4 + Math.floor(rand() * 17);
  for (let s = 0; s < count; s++) {
    const words = Array.from({ length: 6 + Math.floor(rand() * 11) }, word);
    words[0] = words[0]!.charAt(0).toUpperCase() + words[0]!.slice(1);
    sentences.push(`${words.join(' ')}.`);
  }
  const subjectWords = Array.from({ length: 3 + Math.floor(rand() * 5) }, () => (rand() < 0.3 ? COMMON_WORDS[pick(corpus.commonCdf, rand())]! : corpus.tail[pick(corpus.tailCdf, rand())]!));
  const first = FIRST[Math.floor(rand() * FIRST.length)]!;
  const last = LAST[Math.floor(rand() * LAST.length)]!;
  const company = corpus.tail[Math.floor(rand() * 300)]!;
  return {
    subject: subjectWords.join(' '),
    fromAddress: `${first}.${last}@${company}.example`,
    fromName: `${first[0]!.toUpperCase()}${first.slice(1)} ${last[0]!.toUpperCase()}${last.slice(1)}`,
    body: `Hello,\n\n${sentences.join(' ')}\n\nBest regards,\n${first}`,
  };
}

export type QueryKind = 'common' | 'mid' | 'rare' | 'mixed';

export interface BenchQuery {
  q: string;
  kind: QueryKind;
  words: number;
}

/**
 * `count` queries of one to three words: common words (in a large share of the mail), mid-frequency
 * tail words (ranks 20–500), rare ones (ranks 5,000–20,000: a handful of messages or none), and
 * mixtures of them. A query of several words asks for all of them (websearch_to_tsquery's AND).
 */
export function makeQueries(corpus: Corpus, count: number, seed = 7): BenchQuery[] {
  const rand = prng(seed);
  const common = () => COMMON_WORDS[Math.floor(rand() * 20)]!;
  const mid = () => corpus.tail[20 + Math.floor(rand() * 480)]!;
  const rare = () => corpus.tail[5_000 + Math.floor(rand() * 15_000)]!;
  const kinds: Array<[QueryKind, () => string]> = [
    ['common', common],
    ['mid', mid],
    ['rare', rare],
  ];
  const queries: BenchQuery[] = [];
  for (let i = 0; i < count; i++) {
    const words = 1 + (Math.floor(i / 4) % 3);
    if (i % 4 === 3) {
      const parts = Array.from({ length: Math.max(2, words) }, (_, j) => kinds[(i + j) % 3]![1]());
      queries.push({ q: parts.join(' '), kind: 'mixed', words: parts.length });
    } else {
      const [kind, draw] = kinds[i % 3]!;
      queries.push({ q: Array.from({ length: words }, draw).join(' '), kind, words });
    }
  }
  return queries;
}
