// Holds a DuckDB file open (and so its lock) until stdin closes: a real "database
// unavailable" condition for the collector, as when someone inspects the file with a client.
import { DuckDBInstance } from '@duckdb/node-api';

const instance = await DuckDBInstance.create(process.argv[2]);
process.stdout.write('locked\n');
process.stdin.resume();
process.stdin.on('end', () => {
  instance.closeSync();
  process.exit(0);
});
