// Throw-away certificates for brokers with an SSL listener, made with the system's openssl at test time: a
// CA, a broker certificate it signs (valid for 127.0.0.1 and localhost) and a client certificate it signs
// (for listeners that require one). Keys are unencrypted PKCS#8 PEM, which Kafka reads as a PEM key store
// (ssl.keystore.type=PEM) and Node's tls reads as is. Nothing here is fit for anything but tests.
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const VALID_DAYS = '2';

export interface CertificateAuthority {
  /** PEM certificate of the CA: what clients trust. */
  readonly certFile: string;
  readonly keyFile: string;
}

export interface TestPki {
  readonly ca: CertificateAuthority;
  /** The broker's key followed by its certificate: Kafka's PEM key store. */
  readonly brokerKeyStoreFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
}

async function openssl(args: readonly string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args.slice(0, 2).join(' ')} failed: ${stderr.trim() || String(error)}`);
  }
}

/** A self-signed CA in `dir`, named `name` (its files are `<name>.pem` and `<name>.key`). */
export async function createCertificateAuthority(dir: string, name: string): Promise<CertificateAuthority> {
  await mkdir(dir, { recursive: true });
  const certFile = path.join(dir, `${name}.pem`);
  const keyFile = path.join(dir, `${name}.key`);
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile]);
  await openssl([
    ...['req', '-x509', '-new', '-key', keyFile, '-out', certFile, '-days', VALID_DAYS],
    ...['-subj', `/CN=georep test CA ${name}`],
    ...['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
  ]);
  return { certFile, keyFile };
}

/** A key and a certificate signed by `ca` for `commonName`, with X.509 `extensions` (openssl's extfile lines). */
async function issueCertificate(
  ca: CertificateAuthority,
  dir: string,
  name: string,
  commonName: string,
  extensions: readonly string[],
): Promise<{ certFile: string; keyFile: string }> {
  const keyFile = path.join(dir, `${name}.key`);
  const requestFile = path.join(dir, `${name}.csr`);
  const extensionsFile = path.join(dir, `${name}.ext`);
  const certFile = path.join(dir, `${name}.pem`);
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile]);
  await openssl(['req', '-new', '-key', keyFile, '-out', requestFile, '-subj', `/CN=${commonName}`]);
  await writeFile(extensionsFile, `${extensions.join('\n')}\n`);
  await openssl([
    ...['x509', '-req', '-in', requestFile, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial'],
    ...['-out', certFile, '-days', VALID_DAYS, '-extfile', extensionsFile],
  ]);
  return { certFile, keyFile };
}

/** A CA, a broker certificate for 127.0.0.1 and localhost, and a client certificate (CN=georep), in `dir`. */
export async function createTestPki(dir: string): Promise<TestPki> {
  const ca = await createCertificateAuthority(dir, 'ca');
  const broker = await issueCertificate(ca, dir, 'broker', 'localhost', [
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    'extendedKeyUsage=serverAuth',
  ]);
  const client = await issueCertificate(ca, dir, 'client', 'georep', ['extendedKeyUsage=clientAuth']);
  const brokerKeyStoreFile = path.join(dir, 'broker-keystore.pem');
  const [key, cert] = await Promise.all([
    readFile(broker.keyFile, 'utf8'),
    readFile(broker.certFile, 'utf8'),
  ]);
  await writeFile(brokerKeyStoreFile, `${key}${cert}`);
  return { ca, brokerKeyStoreFile, clientCertFile: client.certFile, clientKeyFile: client.keyFile };
}
