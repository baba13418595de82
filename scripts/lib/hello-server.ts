/**
 * The machine's ceiling for the read benchmark: an Express application with one
 * route that answers a fixed small JSON document, nothing else (no database, no
 * token, no audit). Driven by the same load generator as the service, it tells
 * how many requests/s this machine's cores leave for any Express service at all,
 * so that audited reads/s can be compared across machines.
 *
 *   node dist/scripts/lib/hello-server.js <port>
 */
import express from 'express';

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.get('/hello/:id', (req, res) => {
  res.json({ id: req.params.id, status: 'ok' });
});
app.listen(Number(process.argv[2]), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
