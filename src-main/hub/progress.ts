// A terminal progress bar for downloads, drawn on stderr so stdout stays clean for --json output.
// cli-progress draws nothing when stderr is not a terminal (CI logs, pipes).
import cliProgressLib from 'cli-progress';
import type { ProgressCallback } from './download.js';

function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

/** A callback for `downloadSnapshot`'s onProgress that draws `label [bar] 12.3/548.1 MB file`; it stops itself at 100 %. */
export function cliProgress(label: string, stream: NodeJS.WritableStream = process.stderr): ProgressCallback {
  let bar: cliProgressLib.SingleBar | undefined;
  return (done, total, file) => {
    if (!bar) {
      bar = new cliProgressLib.SingleBar(
        { format: `${label} [{bar}] {doneMB}/{totalMB} MB {file}`, stream, etaBuffer: 50 },
        cliProgressLib.Presets.shades_classic,
      );
      bar.start(total, 0, { doneMB: megabytes(0), totalMB: megabytes(total), file });
    }
    bar.update(done, { doneMB: megabytes(done), totalMB: megabytes(total), file });
    if (done >= total) {
      bar.stop();
      bar = undefined;
    }
  };
}
