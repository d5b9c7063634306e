// The demo store: a static computers-and-accessories shop whose pages call the
// clickstream SDK the way a real store would. Loaded with `defer` after the SDK.
'use strict';

// The catalogue lives in catalog.json, shared with the simulated shoppers; the local
// stack's /config.js hands it to the page.
const CATALOG = window.STORE_CATALOG;
const CATEGORIES = [...new Set(CATALOG.map((p) => p.category))];
const TOKEN_KEY = 'demo_id_token';
const CART_KEY = 'demo_cart';

const cs = window.clickstream;
const $ = (selector) => document.querySelector(selector);
const params = new URLSearchParams(location.search);
const money = (n) => '$' + n.toFixed(2);
const find = (id) => CATALOG.find((p) => p.id === id);
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

cs.init({
  endpoint: window.STORE_CONFIG.endpoint,
  apiKey: window.STORE_CONFIG.apiKey,
  // The ID token is kept for this tab only; the SDK sends it as Bearer and derives user_id from it.
  getToken: () => sessionStorage.getItem(TOKEN_KEY),
  // Browser tests and bench/sdk_batching.py set other init options (batchSize, flushMs,
  // a counting endpoint) in an init script that runs before the page's scripts.
  ...window.STORE_SDK_OPTIONS,
});

function cart() {
  try {
    return JSON.parse(localStorage.getItem(CART_KEY) || '[]');
  } catch {
    return [];
  }
}
function saveCart(lines) {
  localStorage.setItem(CART_KEY, JSON.stringify(lines));
  renderHeader();
}
function cartLines() {
  return cart().map((l) => ({ ...find(l.id), qty: l.qty }));
}
function addToCart(product, qty = 1) {
  const lines = cart();
  const line = lines.find((l) => l.id === product.id);
  if (line) line.qty += qty;
  else lines.push({ id: product.id, qty });
  saveCart(lines);
  cs.addToCart(product, qty);
}

function renderHeader() {
  const count = cart().reduce((n, l) => n + l.qty, 0);
  $('#cart-count').textContent = String(count);
  const signedIn = !!sessionStorage.getItem(TOKEN_KEY);
  $('#account').replaceChildren(
    signedIn
      ? el('button', { id: 'sign-out', type: 'button', textContent: 'Sign out', onclick: signOut })
      : el('a', { id: 'sign-in-link', href: '/signin.html', textContent: 'Sign in' }),
  );
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  cs.reset();
  renderHeader();
}

/** A product grid that reports impressions and clicks for list `listId`. */
function productList(listId, products) {
  cs.viewList(listId, products);
  return el(
    'ul',
    { className: 'grid', id: 'products' },
    ...products.map((p, i) =>
      el(
        'li',
        { className: 'card' },
        el('a', {
          href: '/product.html?id=' + encodeURIComponent(p.id),
          className: 'product-link',
          textContent: p.name,
          onclick: () => cs.clickProduct(listId, p, i + 1),
        }),
        el('div', { className: 'price', textContent: money(p.price) }),
        el('button', {
          type: 'button',
          className: 'quick-add',
          textContent: 'Add to cart',
          onclick: () => addToCart(p),
        }),
      ),
    ),
  );
}

const pages = {
  home() {
    $('#main').append(
      el('h1', { textContent: 'Computers and accessories' }),
      el(
        'nav',
        { className: 'categories' },
        ...CATEGORIES.map((c) =>
          el('a', { href: '/category.html?c=' + encodeURIComponent(c), textContent: c, className: 'category-link' }),
        ),
      ),
      el('h2', { textContent: 'Featured' }),
      productList('home:featured', [CATALOG[0], CATALOG[3], CATALOG[9], CATALOG[7]]),
    );
  },
  category() {
    const category = params.get('c') || CATEGORIES[0];
    const products = CATALOG.filter((p) => p.category === category);
    document.title = category + ' | Demo Store';
    $('#main').append(el('h1', { textContent: category }), productList('category:' + category.toLowerCase(), products));
  },
  product() {
    const product = find(params.get('id'));
    if (!product) {
      $('#main').append(el('h1', { textContent: 'Product not found' }));
      return;
    }
    document.title = product.name + ' | Demo Store';
    cs.viewProduct(product);
    $('#main').append(
      el('h1', { textContent: product.name }),
      el('p', { textContent: product.category + ' · ' + money(product.price) }),
      el('button', {
        id: 'add-to-cart',
        type: 'button',
        textContent: 'Add to cart',
        onclick: () => addToCart(product),
      }),
    );
  },
  search() {
    const query = (params.get('q') || '').trim();
    const results = CATALOG.filter((p) => (p.name + ' ' + p.category).toLowerCase().includes(query.toLowerCase()));
    $('#q').value = query;
    cs.search(query, results.length);
    $('#main').append(
      el('h1', { textContent: `${results.length} result(s) for “${query}”` }),
      productList('search', results),
    );
  },
  cart() {
    const lines = cartLines();
    const total = lines.reduce((sum, l) => sum + l.price * l.qty, 0);
    $('#main').append(
      el('h1', { textContent: 'Your cart' }),
      el(
        'ul',
        { id: 'cart-lines' },
        ...lines.map((l) => el('li', { textContent: `${l.qty} × ${l.name} ${money(l.price)}` })),
      ),
      el('p', { id: 'cart-total', textContent: 'Total ' + money(total) }),
      lines.length ? el('a', { id: 'checkout', href: '/checkout.html', textContent: 'Checkout' }) : '',
    );
  },
  checkout() {
    const lines = cartLines();
    cs.checkout(lines);
    $('#main').append(
      el('h1', { textContent: 'Checkout' }),
      el('p', {
        textContent: `${lines.length} line(s), total ${money(lines.reduce((s, l) => s + l.price * l.qty, 0))}`,
      }),
      el('button', {
        id: 'place-order',
        type: 'button',
        textContent: 'Place order',
        onclick: () => {
          const orderId = 'ord-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2, 6);
          cs.purchase(orderId, lines);
          saveCart([]);
          location.href = '/confirmation.html?order=' + orderId;
        },
      }),
    );
  },
  confirmation() {
    $('#main').append(
      el('h1', { textContent: 'Thank you!' }),
      el('p', { id: 'order-id', textContent: 'Order ' + (params.get('order') || '') }),
      el('a', { href: '/', textContent: 'Continue shopping' }),
    );
  },
  signin() {
    const form = $('#sign-in-form');
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const response = await fetch('/auth/sign-in', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: $('#username').value, password: $('#password').value }),
      });
      const body = await response.json();
      if (!response.ok) {
        $('#sign-in-error').textContent = body.message || 'Sign-in failed';
        return;
      }
      sessionStorage.setItem(TOKEN_KEY, body.id_token);
      cs.identify(body.id_token);
      location.href = '/';
    });
  },
};

renderHeader();
pages[document.body.dataset.page]();
