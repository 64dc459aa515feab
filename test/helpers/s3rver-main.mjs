// s3rver as its own process: `node --openssl-legacy-provider s3rver-main.mjs PORT DIR`.
// Its ListObjectsV2 continuation tokens use DES, which Node 20's OpenSSL 3 only has in the
// legacy provider (without it every truncated listing is a 500). Prints "ready" once listening.
import S3rver from 's3rver';

const [port, directory] = process.argv.slice(2);
const server = new S3rver({ address: '127.0.0.1', port: Number(port), silent: true, directory });
await server.run();
process.stdout.write('ready\n');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
