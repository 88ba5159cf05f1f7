// Progress bars for long runs and sweeps: on stderr, and only when stderr is a terminal and the
// output is not `--json`, so pipes, CI logs and scripts see nothing but the report.
import cliProgress from 'cli-progress';

export interface Progress {
  /** Report how far the work is: `done` of the total given at creation. */
  update(done: number): void;
  stop(): void;
}

const SILENT: Progress = { update: () => undefined, stop: () => undefined };

/** A bar over `total` units (`unit` names them, e.g. "seeds"; null shows the percentage only). */
export function progressBar(label: string, total: number, unit: string | null, o: { json: boolean }): Progress {
  if (o.json || !process.stderr.isTTY) return SILENT;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}%${unit ? ` | {value}/{total} ${unit}` : ''} | {duration}s`,
      clearOnComplete: true,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return {
    update: (done) => bar.update(Math.min(total, done)),
    stop: () => bar.stop(),
  };
}
