import { EC2Client, type EC2ClientConfig } from '@aws-sdk/client-ec2';
import { TendError, type TendErrorKind } from '../../../spi/index.js';

/** Where the plugin talks to EC2 and as whom. Every field falls back to the SDK's own chain. */
export interface Ec2ConnectionOptions {
  /** Default: the SDK's chain (`AWS_REGION`, the profile's `region`). */
  region?: string;
  /** Another EC2 API (moto on loopback, a VPC endpoint). Default: the SDK's (`AWS_ENDPOINT_URL_EC2`…). */
  endpoint?: string;
  /** A profile of the shared config/credentials files. Default: `AWS_PROFILE`, else `default`. */
  profile?: string;
  /**
   * Credentials or a provider; default the SDK's standard chain (environment, shared files,
   * SSO, instance metadata). Held by the SDK client only: never logged, stored or passed on.
   */
  credentials?: EC2ClientConfig['credentials'];
  /** Bound on each request (connect + answer). Default 20 s. */
  requestTimeoutMs?: number;
}

/**
 * One SDK client with retries off: a retried RunInstances is a second create on an endpoint that
 * ignores `ClientToken` (moto does), and a retried throttled call hides the throttling from Tend's
 * AIMD limiter. Tend's controller and limiter own every retry.
 */
export function createEc2Client(options: Ec2ConnectionOptions): EC2Client {
  const config: EC2ClientConfig = {
    maxAttempts: 1,
    requestHandler: { requestTimeout: options.requestTimeoutMs ?? 20_000, connectionTimeout: 5_000 },
  };
  if (options.region !== undefined) config.region = options.region;
  if (options.endpoint !== undefined) config.endpoint = options.endpoint;
  if (options.profile !== undefined) config.profile = options.profile;
  if (options.credentials !== undefined) config.credentials = options.credentials;
  return new EC2Client(config);
}

const throttlingCodes = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
]);

const notFoundCodes = new Set([
  'InvalidInstanceID.NotFound',
  'InvalidInstanceID.Malformed',
  'InvalidVolume.NotFound',
  'InvalidVolumeID.Malformed',
]);

const conflictCodes = new Set(['IncorrectState', 'IncorrectInstanceState', 'VolumeInUse']);

/** No capacity now (the zone's, or the account's quota): wait, but it is not a failing spec. */
const exhaustedCodes = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientAddressCapacity',
  'InstanceLimitExceeded',
  'VcpuLimitExceeded',
  'InsufficientFreeAddressesInSubnet',
]);

/** Come back later: EC2's own trouble, or an address a dying member still holds. */
const unavailableCodes = new Set([
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
  'Unavailable',
  'InvalidIPAddress.InUse',
  'InvalidNetworkInterface.InUse',
  'RequestExpired',
]);

const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $fault?: unknown;
}

/** The EC2 error code (`RequestLimitExceeded`), the errno (`ECONNRESET`), or the error's name. */
export function ec2ErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const shape = error as SdkErrorShape;
  if (typeof shape.code === 'string' && shape.code !== '') return shape.code;
  if (typeof shape.name === 'string' && shape.name !== '' && shape.name !== 'Error') return shape.name;
  return undefined;
}

function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as SdkErrorShape).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

function kindOf(code: string | undefined, status: number | undefined): TendErrorKind {
  if (code !== undefined) {
    if (throttlingCodes.has(code)) return 'throttled';
    if (notFoundCodes.has(code)) return 'not_found';
    if (conflictCodes.has(code)) return 'conflict';
    if (exhaustedCodes.has(code)) return 'exhausted';
    if (unavailableCodes.has(code) || networkCodes.has(code)) return 'unavailable';
    if (code === 'TimeoutError' || code === 'RequestTimeout') return 'unavailable';
    // EC2's client errors: a bad AMI, subnet, group, key, parameter, or a missing IAM permission.
    if (/^(Invalid|Missing|Unknown|Unsupported|UnauthorizedOperation|OptInRequired|Blocked)/.test(code)) {
      return 'invalid_spec';
    }
  }
  if (status === 503 || status === 429) return 'throttled';
  if (status !== undefined && status >= 500) return 'unavailable';
  return 'internal';
}

/**
 * True when the request may have been carried out although no answer came back (connection cut,
 * timeout, EC2's 5xx): the caller must look before it tries again.
 */
export function isAmbiguous(error: TendError): boolean {
  return error.kind === 'unavailable' || error.kind === 'internal' || error.kind === 'timeout';
}

/**
 * Turns an SDK failure into a TendError by its structure (EC2 error code, errno, HTTP status),
 * never by message text. `what` names the call (`RunInstances for group web`).
 */
export function ec2Error(error: unknown, what: string, callerSignal?: AbortSignal): TendError {
  if (error instanceof TendError) return error;
  if (callerSignal?.aborted === true) {
    return new TendError('timeout', `ec2 ${what}: aborted by the caller`, { cause: error });
  }
  const code = ec2ErrorCode(error);
  const status = httpStatus(error);
  const kind = kindOf(code, status);
  const raw = error instanceof Error ? error.message : String(error);
  // An HTML 500 page (moto's internal errors) surfaces as an XML parse error: say what it was.
  const message = raw.includes('Deserialization error')
    ? `HTTP ${status ?? '?'} without an EC2 error body`
    : raw;
  const detail = code === undefined ? message : `${code}: ${message}`;
  return new TendError(kind, `ec2 ${what} failed: ${detail}`, {
    cause: error,
    details: { ...(code === undefined ? {} : { code }), ...(status === undefined ? {} : { status }) },
  });
}
