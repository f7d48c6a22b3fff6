/**
 * The new text of a reply (plain text): the message without the quoted history under it or between
 * its paragraphs, and without the sender's signature. What a model needs of a long thread is what
 * this message adds; the full text stays on the message.
 *
 * Written here rather than taken from npm because none of the maintained extractors holds up on
 * mail from strangers (measured on Node 22, docs/PERFORMANCE.md "Reply extraction"):
 *   - email-reply-parser 2.3.9 (crisp-oss, the maintained port of EmailReplyParser) and
 *     node-email-reply-parser 0.1.4 run regular expressions like `On\s.+\s.+\n?wrote` over the whole
 *     text: one 32 KB line of "On a a a …" took 0.9 s, four times the line sixteen times the time
 *     (quadratic), and 1 MB of ordinary prose 0.44 s and 0.83 s. Their linear mode needs the native
 *     `re2` addon, whose install downloads a prebuilt binary;
 *   - planer 1.2.0 (talon's quotations) reads only the first 1,000 lines, silently dropping the rest
 *     of a longer message, removes no signature, and needs a DOM (jsdom) for HTML.
 * This one reads each line once; the patterns run only on lines short enough to be a header
 * (HEADER_MAX), and are anchored, so the whole is linear in the text.
 *
 * What counts as history: `>`-quoted lines (dropped wherever they are, so an answer written between
 * quotes stays), the attribution line above them ("On … wrote:", in the common languages, also
 * wrapped over two lines), and, cutting everything below, an Outlook header block ("From:" then
 * "Sent:"/"Date:" and "To:"/"Subject:"), "-----Original Message-----", a forwarded-message
 * separator, or an attribution not followed by quoted lines. A signature starts at the RFC 3676
 * §4.3 separator "-- " (or "--"), or at a mobile client's "Sent from my …", and runs to the next
 * quote or the end.
 */

/** Longer lines are never headers: they are not tested, which keeps every test constant-time. */
const HEADER_MAX = 400;

/**
 * "On <date>, <name> wrote:" and its translations, the name before the verb or (German, Dutch,
 * Danish, Spanish) after it; a two-line wrap is joined before the test. Tested on lines with their
 * trailing blanks trimmed, so no pattern ends in `\s*`.
 */
const ATTRIBUTION =
  /^\s*(?:On|Le|El|Il|Em|Op|Den|Am|W dniu|Dnia|pe|Pada)\s.*(?:(?:wrote|a écrit|escribió|ha scritto|escreveu|schreef|skrev|schrieb|napisał\(a\)|napisał|kirjoitti|menulis)\s?:?|\s(?:schrieb|schreef|skrev|escribió)\s.*:)$/i;
/** An attribution's first line, when the client wrapped it before "wrote:". */
const ATTRIBUTION_START = /^\s*(?:On|Le|El|Il|Em|Op|Den|Am|W dniu|Dnia|pe|Pada)\s/i;
/** Separators after which everything is the earlier message (Outlook, Gmail and Apple Mail forwards). */
const SEPARATOR =
  /^\s*(?:-{2,} ?(?:Original Message|Forwarded message|Ursprüngliche Nachricht|Message d'origine|Mensaje original|Messaggio originale|Oorspronkelijk bericht|Oprindelig meddelelse) ?-{2,}|Begin forwarded message:|_{20,})$/i;
/** The first field of an Outlook header block, optionally bold in text rendered from HTML (`*From:*`). */
const HEADER_FROM = /^\s*\*?(?:From|Von|De|Da|Van|Fra|Från|Od|Lähettäjä) ?:\*? ?\S/i;
const HEADER_DATE = /^\s*\*?(?:Sent|Date|Gesendet|Datum|Envoyé|Enviado|Inviato|Verzonden|Sendt|Skickat|Wysłano|Lähetetty) ?:/i;
const HEADER_OTHER = /^\s*\*?(?:To|Subject|Cc|An|Betreff|À|Objet|Para|Asunto|Oggetto|A|Aan|Onderwerp|Til|Emne|Till|Ämne|Do|Temat) ?:/i;
/** Sign-offs mobile clients add below the text: a signature without a separator. */
const MOBILE_SIGNATURE = /^\s*(?:Sent from my \S|Sent from Mail for Windows|Get Outlook for (?:iOS|Android)|Envoyé de mon \S|Von meinem \S.* gesendet|Enviado desde mi \S|Inviato da \S)/i;

/** How far below "From:" the rest of an Outlook header block may be. */
const HEADER_BLOCK_LINES = 5;

const short = (line: string) => line.length <= HEADER_MAX;

function isQuote(line: string): boolean {
  return line.trimStart().startsWith('>');
}

/** Whether `lines[i]` is an attribution; returns how many lines it takes (1 or 2), or 0. `lines` are trimmed at the end. */
function attributionAt(lines: readonly string[], i: number): number {
  const line = lines[i]!;
  if (!short(line)) return 0;
  if (ATTRIBUTION.test(line)) return 1;
  const next = lines[i + 1];
  if (next !== undefined && ATTRIBUTION_START.test(line) && short(next) && ATTRIBUTION.test(`${line} ${next.trimStart()}`)) return 2;
  return 0;
}

/** Whether one line of text reads as an attribution ("On …, … wrote:"); the HTML cut asks it too. */
export function isAttribution(text: string): boolean {
  const line = text.replace(/\s+/g, ' ').trim();
  return short(line) && ATTRIBUTION.test(line);
}

/** An Outlook header block: From:, then within a few lines both a date field and To:/Subject:. */
function headerBlockAt(lines: readonly string[], i: number): boolean {
  if (!HEADER_FROM.test(lines[i]!)) return false;
  let date = false;
  let other = false;
  for (let j = i + 1; j < lines.length && j <= i + HEADER_BLOCK_LINES; j++) {
    const line = lines[j]!;
    if (!short(line)) return false;
    if (HEADER_DATE.test(line)) date = true;
    else if (HEADER_OTHER.test(line)) other = true;
    if (date && other) return true;
  }
  return false;
}

function isSignatureStart(line: string): boolean {
  return line === '--' || MOBILE_SIGNATURE.test(line);
}

/** The next line at or after `i` that is not blank, or undefined. */
function nextFilled(lines: readonly string[], i: number): string | undefined {
  for (let j = i; j < lines.length; j++) if (lines[j] !== '') return lines[j];
  return undefined;
}

/**
 * The reply's own text. When nothing is left (a forward with no note, a message that is all
 * quote), the whole text is returned: then the history is the message.
 */
export function extractReplyText(text: string): string {
  const lines = text.split(/\r?\n/);
  // Every test reads the line without trailing blanks; what is kept is the line as written.
  const trimmed = lines.map((line) => line.trimEnd());
  const kept: string[] = [];
  let inSignature = false;
  /** A removal happened since the last kept line: blank lines there collapse to one. */
  let gap = false;
  const lastKeptBlank = () => kept.length === 0 || kept[kept.length - 1]!.trim() === '';
  for (let i = 0; i < lines.length; i++) {
    const line = trimmed[i]!;
    if (isQuote(line)) {
      inSignature = false;
      gap = true;
      continue;
    }
    if (short(line) && (SEPARATOR.test(line) || headerBlockAt(trimmed, i))) break;
    const attribution = attributionAt(trimmed, i);
    if (attribution > 0) {
      const after = nextFilled(trimmed, i + attribution);
      // Unquoted history below an attribution (Apple Mail forwards, text rendered from HTML): all of it goes.
      if (after === undefined || !isQuote(after)) break;
      inSignature = false;
      gap = true;
      i += attribution - 1;
      continue;
    }
    if (inSignature) continue;
    if (short(line) && isSignatureStart(line)) {
      inSignature = true;
      gap = true;
      continue;
    }
    if (gap && line === '' && lastKeptBlank()) continue;
    kept.push(lines[i]!);
    gap = false;
  }
  while (kept.length > 0 && kept[kept.length - 1]!.trim() === '') kept.pop();
  const first = kept.findIndex((line) => line.trim() !== '');
  if (first < 0) return text;
  return kept.slice(first).join('\n');
}
