// A real OpenID provider for Roster's tests: panva's oidc-provider (npm),
// with its development interactions (a plain login form, no password) and
// consent granted by itself. Configured from the environment:
//   OIDC_PORT, OIDC_ISSUER, OIDC_CLIENTS (JSON: [{client_id, client_secret,
//   redirect_uris, token_endpoint_auth_method?}])
// An account is named at the login form: "EMAIL" (subject = EMAIL); an
// e-mail starting with "unverified." is not verified. Its groups are read
// at each sign-in from OIDC_GROUPS_FILE (JSON: {EMAIL: [GROUP, …]}) when
// the file names it, else ["Roster Users"].
// Prints "ready" when it listens.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT);
const issuer = process.env.OIDC_ISSUER;
const clients = JSON.parse(process.env.OIDC_CLIENTS);

function account(id) {
  const [subject, email] = [id, id];
  const local = email.split('@')[0].replace(/^unverified\./, '');
  const [first, last] = local.includes('.') ? local.split('.', 2) : [local, 'Tester'];
  return {
    accountId: subject,
    async claims() {
      let groups = ['Roster Users'];
      try {
        const named = JSON.parse(readFileSync(process.env.OIDC_GROUPS_FILE, 'utf8'));
        if (Array.isArray(named[email])) groups = named[email];
      } catch {
        // No file yet: the default groups.
      }
      return {
        sub: subject,
        email,
        email_verified: !email.startsWith('unverified.'),
        given_name: first.charAt(0).toUpperCase() + first.slice(1),
        family_name: last.charAt(0).toUpperCase() + last.slice(1),
        groups,
      };
    },
  };
}

const provider = new Provider(issuer, {
  clients: clients.map((c) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...c,
  })),
  findAccount: async (ctx, id) => account(id),
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['given_name', 'family_name'],
    groups: ['groups'],
  },
  scopes: ['openid', 'email', 'profile', 'groups'],
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  pkce: { required: () => true },
  // Consent is the provider's business, not the tests': grant what is asked.
  loadExistingGrant: async (ctx) => {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile groups');
    grant.addOIDCClaims(['email', 'email_verified', 'given_name', 'family_name', 'groups']);
    await grant.save();
    return grant;
  },
  // ID tokens carry the claims (as Entra and Okta send them), userinfo too.
  conformIdTokenClaims: false,
  cookies: { keys: ['roster-test-cookie-key'] },
});
provider.listen(port, '127.0.0.1', () => console.log('ready'));
