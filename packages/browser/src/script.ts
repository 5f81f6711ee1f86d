/**
 * The `<script>` build (dist/fp.js, served by the collector at /fp.js):
 *
 *   <script src="https://fp.example.com/fp.js" data-key="WRITE_KEY" defer></script>
 *
 * Options are the tag's data-* attributes: `data-key` is the write key, `data-<option>` any
 * other option (see options.ts). Events go to the folder the script was loaded from unless
 * `data-host` names another collector. The API is `window.footprint`.
 */
import { flush, identify, init, optIn, optOut, page, reset, track } from './index.js';

(window as unknown as { footprint: unknown }).footprint = { init, track, page, identify, reset, optOut, optIn, flush };
const script = document.currentScript as HTMLScriptElement | null;
const data = script?.dataset;
if (data?.key) init({ ...data, writeKey: data.key, host: data.host || new URL('.', script?.src || location.href).href });
