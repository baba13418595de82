import { readFileSync } from 'node:fs';
import bidiFactory from 'bidi-js';

/**
 * Unicode text in a court PDF: fonts under the SIL OFL, from their npm
 * packages, embedded in every document, and a line of text cut into runs that
 * each get the font of their script, so names, places and exhibit numbers
 * render as entered in any script. Latin (Azerbaijani ə ğ ı İ), Cyrillic and
 * Greek use Noto Sans; Chinese, Japanese and Korean Noto Sans SC; digests and
 * ids Noto Sans Mono. Arabic uses IBM Plex Sans Arabic: it draws each letter
 * form as one glyph, so the PDF maps every glyph back to its letter and text
 * extraction returns the words as written (Noto Sans Arabic draws the dots as
 * marks on a base shared by several letters, which extraction cannot tell apart).
 */
export type FontStyle = 'regular' | 'bold' | 'mono';
type Script = 'latin' | 'cjk' | 'arabic';

const FONT_FILES: Record<Script | 'mono', Record<'regular' | 'bold', string>> = {
  latin: {
    regular: '@expo-google-fonts/noto-sans/400Regular/NotoSans_400Regular.ttf',
    bold: '@expo-google-fonts/noto-sans/700Bold/NotoSans_700Bold.ttf',
  },
  cjk: {
    regular: '@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf',
    bold: '@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf',
  },
  arabic: {
    regular: '@expo-google-fonts/ibm-plex-sans-arabic/400Regular/IBMPlexSansArabic_400Regular.ttf',
    bold: '@expo-google-fonts/ibm-plex-sans-arabic/700Bold/IBMPlexSansArabic_700Bold.ttf',
  },
  mono: {
    regular: '@expo-google-fonts/noto-sans-mono/400Regular/NotoSansMono_400Regular.ttf',
    bold: '@expo-google-fonts/noto-sans-mono/700Bold/NotoSansMono_700Bold.ttf',
  },
};

/** Read once per process: the CJK font alone is megabytes, and every report embeds a subset of it. */
let fontBuffers: ReadonlyMap<string, Buffer> | undefined;

function fonts(): ReadonlyMap<string, Buffer> {
  fontBuffers ??= new Map(
    Object.entries(FONT_FILES).flatMap(([script, weights]) =>
      Object.entries(weights).map(([weight, file]) => [
        fontName(script as Script, weight as 'regular' | 'bold'),
        readFileSync(require.resolve(file)),
      ]),
    ),
  );
  return fontBuffers;
}

function fontName(script: Script | 'mono', weight: 'regular' | 'bold'): string {
  return `${script}-${weight}`;
}

/** The subset of PDFKit.PDFDocument the text functions use. */
type Doc = PDFKit.PDFDocument;

/** Registers the embedded fonts with one document (each document embeds the glyphs it uses). */
export function registerFonts(doc: Doc): void {
  for (const [name, buffer] of fonts()) doc.registerFont(name, buffer);
}

const CJK = /[\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]|[\u{20000}-\u{3ffff}]/u;

const bidi = bidiFactory();

interface Run {
  readonly text: string;
  readonly script: Script;
  /** Right to left: an Arabic (or Hebrew) run, with the neutrals between its words (UAX #9 levels). */
  readonly rtl: boolean;
}

/** `text` cut where its script or direction changes. */
export function scriptRuns(text: string): Run[] {
  const { levels } = bidi.getEmbeddingLevels(text, 'ltr');
  const runs: { text: string; script: Script; rtl: boolean }[] = [];
  let offset = 0;
  for (const char of text) {
    const rtl = (levels[offset] ?? 0) % 2 === 1;
    offset += char.length;
    const script: Script = rtl ? 'arabic' : CJK.test(char) ? 'cjk' : 'latin';
    const last = runs.at(-1);
    // Spaces and punctuation stay in the run they sit in, so a run changes only with the script.
    const neutral = !rtl && /[\s\p{P}\p{S}\p{N}]/u.test(char);
    if (last && (last.script === script || (neutral && !last.rtl))) last.text += char;
    else runs.push({ text: char, script, rtl });
  }
  return runs;
}

export interface WriteOptions extends PDFKit.Mixins.TextOptions {
  readonly style?: FontStyle;
}

/**
 * Writes `text` at the cursor, run by run, each in its script's font. PDFKit
 * shapes a word right to left but places the words of a line left to right,
 * so a right-to-left run is given word by word in reverse: it reads right to
 * left on the page, and text extraction (pdftotext) returns its words in
 * logical order.
 */
export function write(doc: Doc, text: string, options: WriteOptions = {}): Doc {
  const { style = 'regular', continued = false, ...rest } = options;
  const weight = style === 'bold' ? 'bold' : 'regular';
  const pieces: { text: string; font: string }[] = [];
  for (const run of scriptRuns(text)) {
    if (!run.rtl) {
      // Noto Sans Mono covers Latin, Cyrillic and Greek: digests, ids and checkpoints.
      const script = style === 'mono' && run.script === 'latin' ? 'mono' : run.script;
      pieces.push({ text: run.text, font: fontName(script, weight) });
      continue;
    }
    const words = run.text.split(' ').reverse();
    words.forEach((word, i) => {
      if (i > 0) pieces.push({ text: ' ', font: fontName('latin', weight) });
      if (word !== '') pieces.push({ text: word, font: fontName(run.script, weight) });
    });
  }
  if (pieces.length === 0) pieces.push({ text: '', font: fontName('latin', weight) });
  pieces.forEach((piece, i) => {
    doc.font(piece.font).text(piece.text, { ...rest, continued: i < pieces.length - 1 || continued });
  });
  return doc;
}
