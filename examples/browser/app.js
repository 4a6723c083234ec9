// The reference sign-in page: plain DOM and the typed client (clients/js), nothing else.
// Sesame's URL and the client come from the query string, with local defaults.
import { createSesameClient } from '../../clients/js/dist/index.js';

const params = new URLSearchParams(location.search);
const sesame = createSesameClient({
  baseUrl: params.get('sesame') ?? 'http://localhost:3000',
  clientId: params.get('client_id') ?? 'web',
});
// For the browser test and the console.
window.sesame = sesame;

const $ = (id) => document.getElementById(id);
const status = (text) => { $('status').textContent = text; };

async function showSignedIn() {
  const me = await sesame.me();
  $('me-email').textContent = me.email ?? me.phone_number ?? me.id;
  $('me').textContent = JSON.stringify(me, null, 2);
  $('signed-out').hidden = true;
  $('signed-in').hidden = false;
  status('Signed in.');
}

function showSignedOut(text = 'Signed out.') {
  $('signed-in').hidden = true;
  $('signed-out').hidden = false;
  $('exchange-form').hidden = true;
  status(text);
}

async function guarded(action) {
  try {
    await action();
  } catch (error) {
    // SesameError carries Sesame's stable code; a refused cross-origin call is a TypeError.
    status(`Failed: ${error.code ?? error.name}: ${error.message}`);
  }
}

$('request-form').addEventListener('submit', (event) => {
  event.preventDefault();
  guarded(async () => {
    await sesame.requestCode({ email: $('email').value });
    $('exchange-form').hidden = false;
    status('Check your email for a code.');
  });
});

$('exchange-form').addEventListener('submit', (event) => {
  event.preventDefault();
  guarded(async () => {
    await sesame.exchange({ email: $('email').value, token: $('code').value.trim() });
    $('code').value = '';
    await showSignedIn();
  });
});

$('sign-out').addEventListener('click', () => guarded(async () => {
  await sesame.logout();
  showSignedOut();
}));

await guarded(async () => {
  const link = params.get('token');
  if (link !== null) {
    // A magic link: take the token out of the address bar before anything else.
    params.delete('token');
    history.replaceState(null, '', `${location.pathname}?${params}`);
    await sesame.exchangeLink(link);
    await showSignedIn();
    return;
  }
  // A reload: the refresh cookie, if any, gives a new access token.
  if (await sesame.getAccessToken()) await showSignedIn();
  else showSignedOut('Not signed in.');
});
