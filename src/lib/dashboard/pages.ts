import type { DashboardAssets } from './assets.js';

/** Server-rendered HTML: the login form and the shell the client bundle draws into. No inline scripts. */
const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** The page may only load what the server serves; no framing, forms post only here. */
export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";

function layout(title: string, assets: DashboardAssets | undefined, head: string, body: string): string {
  const style = assets ? `<link rel="stylesheet" href="${assets.styleUrl}">` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><link rel="icon" href="data:,">${style}${head}</head>
<body>${body}</body></html>
`;
}

export function loginPage(options: { assets: DashboardAssets | undefined; formToken: string; email?: string; error?: string; next?: string }): string {
  const error = options.error ? `<div class="error" role="alert" data-testid="login-error">${escapeHtml(options.error)}</div>` : '';
  return layout(
    'Log in · analytics',
    options.assets,
    '',
    `<main id="app"><form class="card login" method="post" action="/login" data-testid="login-form">
<h1>Log in</h1>${error}
<input type="hidden" name="_csrf" value="${escapeHtml(options.formToken)}">
<input type="hidden" name="next" value="${escapeHtml(options.next ?? '')}">
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required value="${escapeHtml(options.email ?? '')}" data-testid="login-email">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required data-testid="login-password">
<button type="submit" data-testid="login-submit">Log in</button>
</form></main>`,
  );
}

export function appShell(options: { assets: DashboardAssets | undefined; csrfToken: string; title: string }): string {
  if (!options.assets) {
    return layout(options.title, undefined, '', '<main id="app"><p>The dashboard client is not built. Run <code>npm run build</code>.</p></main>');
  }
  return layout(
    options.title,
    options.assets,
    `<meta name="csrf-token" content="${escapeHtml(options.csrfToken)}"><script type="module" src="${options.assets.scriptUrl}"></script>`,
    '<main id="app"></main>',
  );
}
