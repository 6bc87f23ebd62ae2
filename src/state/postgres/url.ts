/**
 * A PostgreSQL connection URL as it may be shown: without its password (in the user part or a
 * `password=` parameter), so that a log line, an error or `state show` never carries it.
 */
export function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = "";
    parsed.searchParams.delete("password");
    return parsed.toString();
  } catch {
    // Not a URL the config would accept; nothing of it is shown, in case the secret is in there.
    return "the PostgreSQL server of state.postgres.url";
  }
}

/** The password the URL carries, if any (decoded), so that it can be struck from any text. */
export function passwordOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    const password = parsed.password
      ? decodeURIComponent(parsed.password)
      : (parsed.searchParams.get("password") ?? undefined);
    return password || undefined;
  } catch {
    return undefined;
  }
}

/** The text without the URL's password, in any of the forms it may appear in. */
export function withoutPassword(text: string, url: string): string {
  const password = passwordOf(url);
  if (password === undefined) return text;
  let out = text;
  for (const form of new Set([password, encodeURIComponent(password), new URL(url).password])) {
    if (form) out = out.split(form).join("[REDACTED]");
  }
  return out;
}
