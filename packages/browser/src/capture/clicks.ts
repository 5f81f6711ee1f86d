/**
 * Clicks (element, text and position as % of page and viewport) and declarative events.
 *
 * - `click` events (autocapture, option `clicks`): the clicked element, or its nearest
 *   interactive ancestor (a span inside a button reports the button): tag, id, classes, a short
 *   selector, its visible text (never what is typed into a field), the link's href with
 *   `outbound` and `download` flags, and the position as % of the page and of the viewport
 *   (mouse clicks only: a keyboard "click" has no position).
 * - `track` events from markup: a click inside an element with `data-fp-event="name"` tracks
 *   `name` with the element's other `data-fp-*` attributes as properties
 *   (`data-fp-plan="pro"` → `plan: "pro"`; dashes become underscores).
 */
import { emit, safe } from '../emit.js';
import { percent } from './engagement.js';

const INTERACTIVE = 'a,button,input,select,textarea,[role=button]';
const DOWNLOAD = /\.(pdf|zip|csv|xlsx?|docx?|pptx?|dmg|exe|apk|mp[34])$/i;

/**
 * A short selector for people and for grouping: up to three levels, stopping at an id, each
 * level its tag and id or first two classes (not escaped, so not always valid CSS).
 */
export function selectorOf(el: Element | null): string {
  let selector = '';
  for (let depth = 0; el && depth++ < 3 && el !== document.body; el = el.id ? null : el.parentElement) {
    const own = el.id
      ? `#${el.id}`
      : [...el.classList]
          .slice(0, 2)
          .map((c) => `.${c}`)
          .join('');
    selector = el.localName + own + (selector && ` > ${selector}`);
  }
  return selector;
}

/** Starts watching clicks: all of them with `autocapture`, else only declared events. */
export function watchClicks(autocapture: boolean): void {
  const onClick = (e: MouseEvent): void => {
    const target = e.target as Element;
    const mark = target.closest('[data-fp-event]');
    const name = mark?.getAttribute('data-fp-event');
    if (name) {
      const properties: Record<string, string> = {};
      for (const { name: attr, value } of (mark as Element).attributes) {
        if (attr.startsWith('data-fp-') && attr !== 'data-fp-event') properties[attr.slice(8).replace(/-/g, '_')] = value;
      }
      emit('track', { event: name, properties });
    }
    if (!autocapture) return;
    const el = target.closest(INTERACTIVE) || target;
    const link = el.closest('a[href]') as HTMLAnchorElement | null;
    const doc = document.documentElement;
    emit('click', {
      properties: {
        tag: el.localName,
        selector: selectorOf(el),
        element_id: el.id,
        classes: [...el.classList],
        // Fields and editable content hold what the visitor typed: their text is never sent.
        text:
          el.matches('input,select,textarea') || (el as HTMLElement).isContentEditable
            ? ''
            : el.textContent?.replace(/\s+/g, ' ').trim().slice(0, 100),
        ...(link && {
          href: link.href,
          outbound: link.host !== location.host,
          download: link.hasAttribute('download') || DOWNLOAD.test(link.pathname),
        }),
        ...(e.detail && {
          x_pct: percent(e.pageX, doc.scrollWidth),
          y_pct: percent(e.pageY, doc.scrollHeight),
          viewport_x_pct: percent(e.clientX, innerWidth),
          viewport_y_pct: percent(e.clientY, innerHeight),
        }),
      },
    });
  };
  addEventListener('click', safe(onClick), true);
}
