/**
 * Human-readable sizes, rates and durations for the CLI's output.
 *
 * @module
 */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** `1536` → `"1.5 KiB"`; bytes below 1024 print exactly (`"512 B"`). */
export function formatByteSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0
    ? `${Math.round(value)} B`
    : `${value.toFixed(value < 10 ? 2 : 1)} ${UNITS[unit]}`;
}

/** A rate in bytes per second: `"256.0 KiB/s"`. */
export function formatByteRate(bytesPerSecond: number): string {
  return `${formatByteSize(bytesPerSecond)}/s`;
}

/** Seconds as `m:ss` (or `h:mm:ss`); `"--:--"` when unknown or absurd. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 99 * 3600) return "--:--";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}
