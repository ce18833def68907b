// How values read: dates in UTC, words instead of CONSTANT_CASE.

const DATE = new Intl.DateTimeFormat("en-GB", {
  year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
  timeZone: "UTC",
});

/** "3 Oct 2026, 08:00 UTC" for an ISO time; the value itself when it is not one. */
export function when(value: unknown): string {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
    return value === null || value === undefined ? "—" : String(value);
  }
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) return value;
  return value.length <= 10 ? DATE.format(parsed).replace(/, \d\d:\d\d$/, "")
    : `${DATE.format(parsed)} UTC`;
}

/** "ONLINE_ENTICEMENT" → "online enticement". */
export function words(value: unknown): string {
  if (value === null || value === undefined) return "—";
  return String(value).replace(/_/g, " ").toLowerCase();
}

/** "ipCaptureEvents" → "Ip capture events". */
export function title(key: string): string {
  const spaced = key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

export function yesNo(value: unknown): string {
  return value === true ? "yes" : value === false ? "no" : "not said";
}
