#!/usr/bin/env node
/**
 * The baseline for the beacon benchmark: a bare node:http server that reads the request
 * body to the end and answers 204, with the same keep-alive setting and CORS headers as the
 * collector. No parsing, no validation, no disk: the ceiling of node:http on this machine.
 *
 * Usage: node bench/bare-server.mjs [port] [host]   (prints "listening <port>" when ready)
 */
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 18182);
const host = process.argv[3] ?? '127.0.0.1';
const HEADERS = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'x-request-id' };

const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 30_000 }, (req, res) => {
  let bytes = 0;
  req.on('data', (chunk) => {
    bytes += chunk.length;
  });
  req.on('end', () => {
    res.writeHead(bytes >= 0 ? 204 : 500, HEADERS);
    res.end();
  });
});

server.listen(port, host, () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
