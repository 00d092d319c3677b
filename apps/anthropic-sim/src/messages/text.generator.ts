import { intBetween, type Random } from '../random.ts';

// Plain words, so replies read like prose in logs and UIs and contain no accidental markup.
const WORDS = (
  'the a of to and in that is for it as with was on be by this are from at or an have not which ' +
  'one all their there been has more when will would who what so can no if out up about into ' +
  'than them only other new some could time these two may then first any like now such over ' +
  'after also made many before must through back years where much your way well down should ' +
  'because each just those people how too little state good very make world still own see men ' +
  'work long get here between both life being under never day same another know while last ' +
  'might us great old year off come since against go came right used take three place small ' +
  'found part general high upon school every does got united left number course war until always ' +
  'away something fact though water less public put think almost hand enough far took head yet ' +
  'system set better order during rather second per among level early stream batch token model ' +
  'signal answer request result reply record event partition offset message queue retry window'
).split(' ');

/** Words per sentence, inclusive. */
const SENTENCE_MIN = 6;
const SENTENCE_MAX = 16;

/**
 * `count` output tokens of deterministic prose. Each element is one token as the sim counts them
 * (a word with its leading space and any punctuation), so `tokens.join('')` is the reply text.
 * `limit` stops early (a reply cut by `max_tokens`) without changing the tokens before it.
 */
export function generateTokens(random: Random, count: number, limit = count): string[] {
  const tokens: string[] = [];
  let left = 0;
  for (let i = 0; i < Math.min(count, limit); i++) {
    const startsSentence = left === 0;
    if (startsSentence) left = intBetween(random, SENTENCE_MIN, SENTENCE_MAX);
    let word = WORDS[Math.floor(random() * WORDS.length)] ?? 'sim';
    if (startsSentence) word = word.charAt(0).toUpperCase() + word.slice(1);
    left--;
    if (left === 0 || i === count - 1) word += '.';
    tokens.push(i === 0 ? word : ` ${word}`);
  }
  return tokens;
}

/** A prompt can ask for a reply length: `sim:output_tokens=N` anywhere in the last user turn. */
export function requestedOutputTokens(text: string): number | undefined {
  const match = /sim:output_tokens=(\d{1,7})/.exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
