/**
 * Progress for long CLI runs, on stderr: a redrawn line on a terminal, an
 * occasional plain line otherwise (so logs of CI runs stay readable).
 */
export function progress(label: string, total: number): { update(done: number): void; end(): void } {
  const tty = process.stderr.isTTY === true;
  const started = Date.now();
  let lastPlain = 0;
  const line = (done: number) => {
    const pct = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 100;
    const secs = (Date.now() - started) / 1000;
    const rate = secs > 0 ? Math.round(done / secs) : 0;
    return `${label}: ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} (${pct}%, ${rate.toLocaleString('en-US')}/s)`;
  };
  return {
    update(done) {
      if (tty) process.stderr.write(`\r${line(done)}\x1b[K`);
      else if (Date.now() - lastPlain > 5000) {
        lastPlain = Date.now();
        process.stderr.write(`${line(done)}\n`);
      }
    },
    end() {
      process.stderr.write(`${tty ? '\r' : ''}${line(total)} done in ${((Date.now() - started) / 1000).toFixed(1)} s${tty ? '\x1b[K' : ''}\n`);
    },
  };
}
