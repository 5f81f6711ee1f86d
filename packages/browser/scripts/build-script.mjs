#!/usr/bin/env node
// Builds the <script> file dist/fp.js: esbuild bundles src/script.ts (everything but the React
// bindings) into one IIFE, terser minifies it (it inlines the many single-use functions of
// the modules, which esbuild keeps), and the gzipped size is printed. The ESM entry points
// (dist/index.js, dist/react.js) come from tsc.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { minify } from 'terser';
import { gzippedSize, SCRIPT_FILE } from './script-size.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The minified script's text. */
export async function buildScript() {
  const bundle = await build({
    entryPoints: [join(root, 'src/script.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    write: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const { code } = await minify(bundle.outputFiles[0].text, {
    ecma: 2020,
    // The bundle is one IIFE whose code is strict-mode safe: as a module, terser drops the
    // "use strict" directive (the script then runs in sloppy mode, which changes nothing here).
    module: true,
    toplevel: true,
    // pure_getters: no code of the SDK reads a property for its side effect, which lets terser
    // inline more; hoist_funs: function declarations first (no change in meaning).
    compress: { passes: 3, hoist_funs: true, pure_getters: true },
    mangle: true,
    format: { comments: false },
  });
  return code;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(join(root, 'dist'), { recursive: true });
  writeFileSync(join(root, SCRIPT_FILE), await buildScript());
  const size = gzippedSize(join(root, SCRIPT_FILE));
  console.log(`@footprint/browser: ${SCRIPT_FILE} ${size.raw} bytes, ${size.gzip} bytes gzipped`);
}
