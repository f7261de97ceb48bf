/** The file offered for download when the attachments are too big for the e-mail. */
import path from 'node:path';
import archiver from 'archiver';
import { XLSX_CONTENT_TYPE } from './xlsx.js';
import { FileSink } from './streams.js';
import type { ExportFile } from '../types.js';

export const ZIP_CONTENT_TYPE = 'application/zip';

/**
 * The xlsx as is (it is a zip already); for csv a zip `<baseName>.zip` in `dir`
 * holding every file under its `filename`, written by archiver as a stream.
 */
export async function packForDownload(files: ExportFile[], dir: string, baseName: string): Promise<ExportFile> {
  const only = files[0];
  if (files.length === 1 && only && only.contentType === XLSX_CONTENT_TYPE) return only;
  if (files.length === 0) throw new Error('packForDownload: no files');

  const filename = `${baseName}.zip`;
  const sink = new FileSink(path.join(dir, filename));
  const archive = archiver('zip', { zlib: { level: 6 } });
  archive.on('error', (err) => sink.fail(err));
  archive.on('warning', (err) => sink.fail(err));
  try {
    archive.pipe(sink.stream);
    for (const file of files) archive.file(file.path, { name: file.filename });
    await sink.race(archive.finalize());
    const size = await sink.close(false);
    return { path: sink.path, filename, contentType: ZIP_CONTENT_TYPE, size };
  } catch (err) {
    archive.abort();
    await sink.discard();
    throw err;
  }
}
