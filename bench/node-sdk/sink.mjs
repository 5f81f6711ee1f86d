/**
 * A stand-in for the collector during the Node SDK benchmark: answers every POST /v1/batch
 * at once with 200, like /dev/null for HTTP, so the numbers measure the application and the
 * SDK, not the collector (which has its own benchmark, bench/run.mjs). Counts requests and
 * bytes and prints them on SIGTERM.
 */
import http from 'node:http';

let requests = 0;
let bytes = 0;
const server = http.createServer((req, res) => {
  req.on('data', (c) => {
    bytes += c.length;
  });
  req.on('end', () => {
    requests++;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': 16 });
    res.end('{"success":true}');
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => {
  process.stdout.write(`${JSON.stringify({ requests, bytes })}\n`);
  process.exit(0);
});
