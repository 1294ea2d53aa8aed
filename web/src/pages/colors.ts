/** A stable, readable colour per user for cursors and presence. */
const PALETTE = ['#d9480f', '#2b8a3e', '#1971c2', '#ae3ec9', '#e67700', '#0c8599', '#c2255c', '#5f3dc4'];

export function colorFor(userId: number): string {
  return PALETTE[Math.abs(userId) % PALETTE.length];
}
