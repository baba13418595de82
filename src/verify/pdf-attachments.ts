import {
  decodePDFRawStream,
  PDFArray,
  PDFDict,
  PDFDocument,
  PDFHexString,
  PDFName,
  PDFRawStream,
  PDFString,
} from 'pdf-lib';
import type { FileSet } from './files';

/** The most attachments read from one PDF: a report attaches a few per custody entry. */
const MAX_ATTACHMENTS = 10_000;
/** How deep a name tree may nest before the PDF is taken for hostile. */
const MAX_DEPTH = 16;

/**
 * The files a court report PDF carries (PDF/A-3 embedded files, the
 * document's EmbeddedFiles name tree, ISO 32000 §7.11.4): `report.jws`,
 * `receipts/<index>.jws`, `proofs/…`, `disclosures/…`, `jwks.json`,
 * `log.vkey`. Kept out of the verifier's index (pdf-lib is large); the CLI
 * and the browser page import it where they read PDFs. A PDF that cannot be
 * read, or that holds no attachment, gives an empty set.
 */
export async function pdfAttachments(bytes: Uint8Array): Promise<FileSet> {
  const files = new Map<string, Uint8Array>();
  try {
    const pdf = await PDFDocument.load(bytes, { updateMetadata: false, throwOnInvalidObject: false });
    const tree = pdf.catalog
      .lookupMaybe(PDFName.of('Names'), PDFDict)
      ?.lookupMaybe(PDFName.of('EmbeddedFiles'), PDFDict);
    if (tree) collect(tree, files, 0);
  } catch {
    files.clear();
  }
  return {
    paths: [...files.keys()],
    read: async (path) => {
      const file = files.get(path);
      if (!file) throw new Error(`${path} is not attached`);
      return file;
    },
  };
}

function collect(node: PDFDict, files: Map<string, Uint8Array>, depth: number): void {
  if (depth > MAX_DEPTH) return;
  const kids = node.lookupMaybe(PDFName.of('Kids'), PDFArray);
  for (let i = 0; i < (kids?.size() ?? 0); i++) {
    const kid = kids?.lookup(i);
    if (kid instanceof PDFDict) collect(kid, files, depth + 1);
  }
  const names = node.lookupMaybe(PDFName.of('Names'), PDFArray);
  for (let i = 0; i + 1 < (names?.size() ?? 0) && files.size < MAX_ATTACHMENTS; i += 2) {
    const spec = names?.lookup(i + 1);
    if (!(spec instanceof PDFDict)) continue;
    const name = textOf(spec.lookup(PDFName.of('UF'))) ?? textOf(spec.lookup(PDFName.of('F')));
    const stream = spec.lookupMaybe(PDFName.of('EF'), PDFDict)?.lookup(PDFName.of('F'));
    if (name === undefined || !(stream instanceof PDFRawStream) || files.has(name)) continue;
    files.set(name, decodePDFRawStream(stream).decode());
  }
}

function textOf(value: unknown): string | undefined {
  return value instanceof PDFString || value instanceof PDFHexString ? value.decodeText() : undefined;
}
