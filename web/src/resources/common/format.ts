// Shared by the Call Manager and Operations pages: the API's UTC timestamps shown in the
// browser's local time, and the <input type="datetime-local"> round trip.

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

/// "2026-11-22T15:00" typed in local time → "2026-11-22T14:00:00.000Z"; '' → undefined.
export function localInputToIso(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} min ${s % 60} s` : `${s} s`;
}

/// "" → null, for nullable string fields.
export function emptyToNull(value: string): string | null {
  const t = value.trim();
  return t === '' ? null : t;
}
