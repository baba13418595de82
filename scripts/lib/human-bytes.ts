/**
 * A byte count in the SI unit that suits `scale` (B, kB, MB, GB, TB, PB), so
 * progress reads "1.2 GB of 4.0 GB" rather than a raw count: pass the total as
 * `scale` to show a part in the total's unit.
 */
export function humanBytes(bytes: number, scale = bytes): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let exponent = 0;
  while (exponent < units.length - 1 && scale >= 1000 ** (exponent + 1)) exponent++;
  const value = bytes / 1000 ** exponent;
  return `${exponent === 0 ? value.toFixed(0) : value.toFixed(1)} ${units[exponent]}`;
}
