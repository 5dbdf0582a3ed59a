import { X509Certificate } from 'node:crypto';
import { Token } from 'aws-cdk-lib';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/**
 * How clients reach the brokers securely: TLS (Kafka's `SSL` security protocol, optionally with
 * client certificates) and SASL authentication. docs/infrastructure.md ("TLS and SASL").
 */

/**
 * TLS on the brokers' Kafka listener: Kafka's `SSL` security protocol, optionally with client
 * certificates (mutual TLS). docs/infrastructure.md says how to make the certificate.
 *
 * With TLS, brokers advertise their EC2 private DNS names (`ip-10-0-1-5.ec2.internal`,
 * `ip-10-0-1-5.<region>.compute.internal`) instead of their addresses, so that one wildcard
 * certificate names every broker the Spot fleet will ever run.
 */
export interface BrokerTlsOptions {
  /**
   * The brokers' certificate and private key. The secret's value is JSON:
   * `{"certificate": "<PEM: the certificate, then its intermediates>", "privateKey": "<PEM>"}`.
   * Each broker reads it once, at its first boot (IAM: `secretsmanager:GetSecretValue` on this
   * secret only); a new value reaches brokers launched after it.
   *
   * The certificate must name every address clients connect to: the brokers' private DNS names
   * (`*.ec2.internal` in us-east-1, `*.<region>.compute.internal` elsewhere) and the bootstrap
   * address (the load balancer's DNS name, or a DNS name of yours that points at it).
   */
  readonly certificateSecret: secretsmanager.ISecret;
  /**
   * PEM certificates of the certificate authorities whose certificates clients must present
   * (mutual TLS; Kafka's `ssl.client.auth=required`). A client without one is refused in the
   * handshake. Each must be a CA certificate; at most 8 KiB in all (it travels in the user data).
   *
   * @default - clients present no certificate
   */
  readonly clientCertificateAuthorities?: string;
}

/** SASL authentication on the brokers' Kafka listener (docs/architecture.md, SASL). */
export interface BrokerSaslOptions {
  /**
   * The users: a Secrets Manager secret whose value is a users file made with
   * `npm run sasl-user` (SCRAM credentials, no passwords). Clients then authenticate with
   * SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN. Each broker reads it once, at its first boot; a new
   * value reaches brokers launched after it. Use it with `tls`, or PLAIN sends passwords in clear.
   */
  readonly usersSecret: secretsmanager.ISecret;
}

/** The Kafka `security.protocol` clients use. */
export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';

/** The security protocol of a listener with these options. */
export function securityProtocolOf(tls: BrokerTlsOptions | undefined, sasl: BrokerSaslOptions | undefined): SecurityProtocol {
  if (sasl === undefined) return tls === undefined ? 'PLAINTEXT' : 'SSL';
  return tls === undefined ? 'SASL_PLAINTEXT' : 'SASL_SSL';
}

/** The most PEM the client CAs may take: they ride in the EC2 user data, 16 KiB in all. */
export const MAX_CLIENT_CA_PEM_BYTES = 8 * 1024;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * Checks `tls.clientCertificateAuthorities` at synth: PEM, parseable, every certificate a CA, and
 * small enough for the user data. Throws a message naming what was given and what is allowed.
 */
export function validateBrokerTls(what: string, tls: BrokerTlsOptions | undefined): void {
  const pem = tls?.clientCertificateAuthorities;
  if (pem === undefined || Token.isUnresolved(pem)) return;
  const field = `${what} tls.clientCertificateAuthorities`;
  const bytes = Buffer.byteLength(pem);
  if (bytes > MAX_CLIENT_CA_PEM_BYTES) {
    throw new Error(`${field} must be at most ${MAX_CLIENT_CA_PEM_BYTES} bytes of PEM (it travels in the EC2 user data); got ${bytes}`);
  }
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    throw new Error(`${field} must be one or more PEM certificates ('-----BEGIN CERTIFICATE-----' blocks); got none in ${bytes} bytes`);
  }
  blocks.forEach((block, index) => {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(block);
    } catch (error) {
      throw new Error(`${field}: certificate ${index + 1} of ${blocks.length} is not a valid X.509 certificate (${(error as Error).message})`);
    }
    if (!certificate.ca) {
      throw new Error(
        `${field}: certificate ${index + 1} of ${blocks.length} (${certificate.subject.replace(/\n/g, ', ')}) is not a CA certificate `
          + '(its basic constraints say CA:FALSE); give the authorities that sign client certificates',
      );
    }
  });
}
