#!/usr/bin/env node
// The `footprint` command. This file is in the repository (the command itself is built into
// dist/), so npm can link it when it installs, before the build has run.
import('../dist/cli/main.js').catch((err) => {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    process.stderr.write('footprint: the collector is not built yet; run `npm run build` (npm install does it)\n');
  } else {
    process.stderr.write(`footprint: ${err?.stack ?? err}\n`);
  }
  process.exit(1);
});
