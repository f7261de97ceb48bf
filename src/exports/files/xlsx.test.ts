import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { expect, it } from 'vitest';
import { sheetBacklog } from './xlsx.js';

// The xlsx writer's back-pressure reads a field inside exceljs; this fails
// loudly if an upgrade of exceljs moves it, instead of memory growing quietly.
it("finds the stream that buffers a sheet's XML in front of the zip", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'kassa-xlsx-'));
  try {
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path.join(dir, 'a.xlsx'), useStyles: true });
    const sheet = workbook.addWorksheet('A');
    const backlog = sheetBacklog(sheet);
    expect(backlog).not.toBeNull();
    const before = backlog!.length;
    for (let i = 0; i < 2000; i++) sheet.addRow([i, 'x'.repeat(100)]).commit();
    expect(sheetBacklog(sheet)!.length).toBeGreaterThan(before);
    sheet.commit();
    await workbook.commit();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
