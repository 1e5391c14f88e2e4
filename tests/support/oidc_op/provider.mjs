// A real OpenID provider for the SSO tests: panva's oidc-provider, certified, on the port
// and with the client and accounts the test gives in OP_CONFIG (JSON). The login page is
// the package's own development interaction: the account id typed there must be one of
// the accounts, whose claims the provider then vouches for.
import Provider from 'oidc-provider';

const config = JSON.parse(process.env.OP_CONFIG);
const issuer = `http://127.0.0.1:${config.port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: config.client_id,
    client_secret: config.client_secret,
    redirect_uris: config.redirect_uris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  claims: { openid: ['sub'], email: ['email'], profile: ['preferred_username', 'name'] },
  cookies: { keys: ['test-only-cookie-key'] },
  pkce: { required: () => true },
  async findAccount(ctx, id) {
    const claims = config.accounts[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
});
provider.proxy = false;
provider.listen(config.port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
