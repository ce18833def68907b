// The tipgraph workspace: sign in, the queue, a report, the graph. Built from the public
// GraphQL API alone, so it is also the reference client. Routes live in the fragment
// (#/queue, #/report/ID, #/graph/ID) so that nothing about a report is sent in a request line.
import { signIn, signOut, who } from "./api";
import { announce, h, replace } from "./dom";
import { overlappingLabels, showGraph } from "./graph";
import { showQueue } from "./queue";
import { showReport } from "./report";

interface Config { oidc: { authorizationUrl: string; clientId: string; scope: string } | null }

const main = () => document.getElementById("main") as HTMLElement;

async function route(): Promise<void> {
  const hash = location.hash.replace(/^#\/?/, "");
  if (!who()) { await signInScreen(); return; }
  renderNav();
  const [screen, id] = hash.split("/");
  if (screen === "report" && id) await showReport(main(), decodeURIComponent(id));
  else if (screen === "graph") await showGraph(main(), id ? decodeURIComponent(id) : null);
  else await showQueue(main());
  main().focus();
}

function renderNav(): void {
  const claims = who()!;
  replace(document.getElementById("nav")!,
    h("a", { href: "#/queue" }, claims.role === "le" ? "Referrals" : "Queue"),
    h("a", { href: "#/graph" }, "Graph"),
    h("span", { class: "who" }, `${claims.sub} (${claims.role}` +
      (claims.agencyId ? `, ${claims.agencyId}` : "") + ")"),
    h("button", { type: "button", id: "sign-out", onclick: () => {
      signOut(); location.hash = ""; void route(); } }, "Sign out"));
}

async function signInScreen(): Promise<void> {
  replace(document.getElementById("nav")!);
  let config: Config = { oidc: null };
  try {
    config = await (await fetch("/workspace/config.json")).json();
  } catch { /* the token form still works */ }
  const field = h("input", { id: "token", type: "password", autocomplete: "off",
                             spellcheck: "false", required: true });
  const error = h("p", { id: "sign-in-error", role: "alert" });
  const form = h("form", { id: "sign-in", "aria-labelledby": "sign-in-title",
    onsubmit: (event: Event) => {
      event.preventDefault();
      try {
        signIn(field.value);
        field.value = "";
        announce("Signed in.");
        void route();
      } catch (problem) {
        error.textContent = (problem as Error).message;
      }
    } },
    h("h1", { id: "sign-in-title" }, "Sign in to tipgraph"),
    h("p", {}, "Paste your token. It stays in this tab's memory only: closing or reloading the " +
               "tab signs you out."),
    h("label", { for: "token" }, "Token"), field,
    h("button", { type: "submit" }, "Sign in"), error,
    config.oidc ? h("p", {}, h("button", { type: "button", id: "oidc", onclick: () =>
      oidcRedirect(config.oidc!) }, "Sign in with your organisation")) : null);
  replace(main(), form);
  field.focus();
}

/** OpenID Connect (implicit flow): the provider sends the access token back in the fragment,
 *  which is read once and cleared; only the state is kept across the redirect. */
function oidcRedirect(oidc: NonNullable<Config["oidc"]>): void {
  const state = crypto.randomUUID();
  sessionStorage.setItem("tipgraph-oidc-state", state);
  const url = new URL(oidc.authorizationUrl);
  url.search = new URLSearchParams({ response_type: "token", client_id: oidc.clientId,
    redirect_uri: `${location.origin}/workspace`, scope: oidc.scope, state,
    nonce: crypto.randomUUID() }).toString();
  location.assign(url.toString());
}

function oidcReturn(): void {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const token = params.get("access_token");
  if (!token) return;
  const expected = sessionStorage.getItem("tipgraph-oidc-state");
  sessionStorage.removeItem("tipgraph-oidc-state");
  history.replaceState(null, "", `${location.pathname}#/queue`);
  if (expected && params.get("state") === expected) {
    try { signIn(token); } catch { /* shown as signed out */ }
  }
}

Object.assign(window, { workspace: { overlappingLabels } });
oidcReturn();
window.addEventListener("hashchange", () => void route());
void route();
