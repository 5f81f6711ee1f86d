/**
 * The test web site: a small multi-page site and a single-page app, each page carrying the
 * SDK's script tag as served by the collector. Pages are plain HTML and inline scripts, as a
 * site would have them.
 */
import { scriptTag } from './footprint.js';
import { html } from './site.js';

/** A long page, so that scrolling and click positions mean something. */
const TALL = 'style="height:3000px;margin:0;padding:20px;font-family:sans-serif"';

export function multiPageSite(collectorUrl: string, attributes: Record<string, string> = {}): Record<string, string> {
  const tag = scriptTag(collectorUrl, attributes);
  return {
    '/': html(
      'Home',
      `<div ${TALL}>
        <h1>Shop</h1>
        <a id="to-about" href="/about">About us</a>
        <button id="buy" class="btn primary large" style="position:absolute;left:640px;top:360px;width:100px;height:40px">
          <span>Add to cart</span>
        </button>
        <input id="email" type="email" value="kim@example.com">
        <a id="outbound" href="${collectorUrl}/healthz">Partner offer</a>
        <a id="download" href="/files/catalog.pdf">Catalog (PDF)</a>
        <div data-fp-event="plan_selected" data-fp-plan="pro" data-fp-billing-period="yearly">
          <button id="choose-pro">Choose <b>Pro</b></button>
        </div>
        <p id="contact">Write to kim.lee@example.com</p>
        <button id="lower" style="position:absolute;left:100px;top:1400px;width:100px;height:40px">Lower</button>
      </div>`,
      tag,
    ),
    '/about': html('About', '<h1>About</h1><a id="to-home" href="/">Home</a>', tag),
    // A landing page of a campaign whose server-side redirect we imitate on the client.
    '/landing': html('Landing', '<h1>Spring sale</h1><script>setTimeout(() => location.replace("/about"), 0)</script>', tag),
  };
}

/**
 * A single-page app under /app/: links navigate with history.pushState and the app sets the
 * title a moment later (as React apps do in an effect); the filter edits the query with
 * replaceState; the landing route drops its utm_* parameters with replaceState, then moves on.
 */
export function singlePageApp(collectorUrl: string, attributes: Record<string, string> = {}): Record<string, string> {
  const app = `
    <nav>
      <a class="nav" href="/app/">Start</a>
      <a class="nav" id="to-products" href="/app/products">Products</a>
      <a class="nav" id="to-cart" href="/app/cart">Cart</a>
      <button id="filter">Cheapest first</button>
    </nav>
    <main id="view" style="height:2400px"></main>
    <script>
      const titles = { '/app/': 'Start', '/app/products': 'Products', '/app/cart': 'Cart', '/app/register': 'Register' };
      function render() {
        document.getElementById('view').textContent = location.pathname;
        setTimeout(() => { document.title = titles[location.pathname] || 'App'; }, 10);
      }
      document.addEventListener('click', (e) => {
        const link = e.target.closest('a.nav');
        if (!link) return;
        e.preventDefault();
        history.pushState({}, '', link.getAttribute('href'));
        render();
      });
      document.getElementById('filter').addEventListener('click', () => history.replaceState({}, '', location.pathname + '?sort=price'));
      addEventListener('popstate', render);
      if (location.pathname === '/app/landing') {
        history.replaceState({}, '', '/app/landing');
        history.pushState({}, '', '/app/register');
      }
      render();
    </script>`;
  return { '/app/*': html('App', app, scriptTag(collectorUrl, attributes)) };
}

/** Pages whose routes are hashes (`#/a`), for the `hash` option. */
export function hashRoutedPage(collectorUrl: string): Record<string, string> {
  return {
    '/hash': html('Hash app', '<a id="to-a" href="#/a">A</a> <a id="to-b" href="#/b">B</a>', scriptTag(collectorUrl, { hash: '' })),
  };
}

/** A page loading the SDK with the given data-* options, with a button and the API at hand. */
export function optionsPage(collectorUrl: string, attributes: Record<string, string>, title = 'Options'): string {
  return html(title, '<button id="go">Go</button>', scriptTag(collectorUrl, attributes));
}
