/** The part of bidi-js (Unicode Bidirectional Algorithm, UAX #9) the report renderer uses. */
declare module 'bidi-js' {
  interface BidiResolver {
    getEmbeddingLevels(
      text: string,
      direction?: 'ltr' | 'rtl' | 'auto',
    ): {
      readonly levels: Uint8Array;
      readonly paragraphs: readonly { start: number; end: number; level: number }[];
    };
  }
  export default function bidiFactory(): BidiResolver;
}
