import { ListMultipartUploadsCommand, AbortMultipartUploadCommand } from '@aws-sdk/client-s3';
import { InvalidLocatorError, NotFoundError, WriteFailedError } from '../../errors.js';
import type { VolumeIdentity } from '../volume-base-config.js';
import { readWholeViaStream } from '../read-whole.js';
import { verifyByReading } from '../verify-by-reading.js';
import type {
  BlockReader,
  BlockStat,
  IndexEntry,
  PendingWrite,
  StoredCopyState,
  TrashEntry,
  TrashGuard,
  Volume,
  WholeBlock,
} from '../volume.js';
import { S3Bucket } from './s3-bucket.js';
import { createS3Client, type S3ClientOptions } from './s3-client.js';
import { describeS3Error, mapS3Error } from './s3-errors.js';
import { RECENT_PREFIX, S3Keys } from './s3-keys.js';
import { joinMarkers, s3TimeNs } from './s3-listing.js';
import { S3Trash, type S3TrashPolicy } from './s3-trash.js';
import { S3Upload } from './s3-upload.js';

const HASH_RE = /^[0-9a-f]{32}$/;
const PREFIX_RE = /^[0-9a-f]{0,32}$/;

/** Unfinished multipart uploads younger than this are never aborted: a PUT may still own one. */
const ABANDONED_UPLOAD_MIN_AGE_MS = 60 * 60 * 1000; // 1 h

/** What an S3Volume is built from: its config entry (durations in ms) and the trash timings. */
export interface S3VolumeSpec extends VolumeIdentity, S3ClientOptions, S3TrashPolicy {
  bucket: string;
  prefixLength: number;
  indexPageSize: number;
}

/**
 * A Keep volume in an S3 bucket, in the layout of Arvados keepstore's S3 driver (s3-keys.ts),
 * so a bucket it filled is served as is and the two can share one. Block data streams both
 * ways; a PUT becomes visible only after its MD5 is checked (s3-upload.ts); the mtime of a
 * block is its recent/ marker's LastModified in whole seconds. The trash and its race rules
 * are in s3-trash.ts. Failures of S3 are 503 for the request at hand (s3-errors.ts).
 */
export class S3Volume implements Volume {
  readonly driver = 's3';
  readonly uuid: string;
  readonly readOnly: boolean;
  readonly replication: number;
  readonly storageClasses: readonly string[];
  readonly priority: number;
  readonly deviceId: string;
  readonly #bucket: S3Bucket;
  readonly #keys: S3Keys;
  readonly #trash: S3Trash;

  constructor(spec: S3VolumeSpec) {
    this.uuid = spec.uuid;
    this.readOnly = spec.readOnly;
    this.replication = spec.replication;
    this.storageClasses = [...spec.storageClasses];
    this.priority = spec.priority;
    this.deviceId = `s3://${spec.endpoint}/${spec.bucket}`;
    this.#keys = new S3Keys(spec.prefixLength);
    this.#bucket = new S3Bucket(createS3Client(spec), spec.bucket, spec.uuid, spec.indexPageSize);
    this.#trash = new S3Trash(this.#bucket, this.#keys, spec);
  }

  /**
   * Proves the bucket exists and our credentials may use it: a refusal by S3 (a 4xx: no such
   * bucket, unknown key, bad signature, access denied) throws, naming the volume. An S3 that
   * cannot be reached at all does not: a worker respawned during an outage must start and
   * answer 503 for this volume while the others serve.
   */
  async init(): Promise<void> {
    try {
      await this.#bucket.check();
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === undefined || status >= 500) return;
      throw new Error(`volume ${this.uuid}: bucket ${this.#bucket.name} at ${this.deviceId} is not usable: ${describeS3Error(err)}`);
    }
  }

  /** HEADs the block and its marker together: one round trip. Mtime falls back to the block's. */
  async stat(hash: string): Promise<BlockStat | null> {
    assertHash(hash);
    const [block, marker] = await Promise.all([this.#bucket.head(this.#keys.block(hash)), this.#bucket.head(this.#keys.recent(hash))]);
    if (block) return { size: block.size, mtimeNs: s3TimeNs((marker ?? block).lastModified) };
    // Missing but marked as recently used: maybe trashed in a race (see S3Trash.fixRace).
    if (marker && !this.readOnly && (await this.#trash.fixRace(hash))) return this.stat(hash);
    return null;
  }

  async openRead(hash: string): Promise<BlockReader> {
    assertHash(hash);
    const [object, marker] = await Promise.all([
      this.#bucket.get(this.#keys.block(hash)),
      this.#bucket.head(this.#keys.recent(hash)).catch(() => null),
    ]);
    // A failure mid-body (S3 gone, read timeout) fails the stream: the reader's hash check never
    // completes, so no client gets a short block as a whole one.
    return { stream: object.stream, size: object.size, mtimeNs: s3TimeNs((marker ?? object).lastModified) };
  }

  /** stat, then the object's GET collected (as openRead): the marker rules of stat() apply. */
  readWhole(hash: string, size: number): Promise<WholeBlock | 'absent' | 'other-size'> {
    return readWholeViaStream(this, hash, size);
  }

  /**
   * Nothing goes to S3 before the first part is full, so a write cannot notice an outage by
   * itself before it reads the body: after a failed request, S3 is checked first, and an
   * unreachable S3 refuses the write (the caller tries its next volume with the body unread).
   */
  async beginWrite(hash: string): Promise<PendingWrite> {
    assertHash(hash);
    this.#assertWritable();
    if (!this.#bucket.reachable) {
      await this.#bucket.check().catch((err: unknown) => {
        throw new WriteFailedError(`volume ${this.uuid}: S3 unavailable: ${describeS3Error(err)}`);
      });
    }
    const upload = new S3Upload(this.#bucket.client, this.#bucket.name, this.#keys.block(hash), hash, (err) => this.#writeError(hash, err));
    return {
      stream: upload.stream,
      commit: async () => {
        try {
          await upload.commit();
          await this.#bucket.putEmpty(this.#keys.recent(hash));
        } catch (err) {
          throw this.#writeError(hash, err);
        }
        // The size is what was just written; the mtime is the new marker's (one HEAD).
        const marker = await this.#bucket.head(this.#keys.recent(hash));
        if (!marker) throw new WriteFailedError(`volume ${this.uuid}: block ${hash} not visible after write`);
        return { size: upload.size, mtimeNs: s3TimeNs(marker.lastModified) };
      },
      discard: () => upload.discard(),
    };
  }

  verifyStored(hash: string): Promise<StoredCopyState> {
    assertHash(hash);
    return verifyByReading(this, hash);
  }

  /** Rewrites the recent/ marker (restoring a block trashed in a race first). */
  async touch(hash: string): Promise<BlockStat> {
    assertHash(hash);
    this.#assertWritable();
    const block = await this.#bucket.head(this.#keys.block(hash));
    if (!block && !(await this.#trash.fixRace(hash))) throw new NotFoundError();
    try {
      await this.#bucket.putEmpty(this.#keys.recent(hash));
    } catch (err) {
      throw this.#writeError(hash, err);
    }
    const stat = await this.stat(hash);
    if (!stat) throw new NotFoundError();
    return stat;
  }

  /** Unknown: an object store reports no free space. Never a guess. */
  async availableBytes(): Promise<number | null> {
    return null;
  }

  /**
   * Lists `KEY` and `recent/KEY` side by side (two listings, no HEAD per block); each block's
   * mtime is its marker's time, or its own when the marker is missing. Any prefix length works,
   * also longer than prefixLength.
   */
  async *index(prefix: string): AsyncGenerator<IndexEntry> {
    if (!PREFIX_RE.test(prefix)) throw new InvalidLocatorError('invalid prefix');
    const listPrefix = this.#keys.listPrefix(prefix);
    // Hex keys sort before recent/ and trash/: the block listing stops at 'g'.
    const data = this.#bucket.list(listPrefix, 'g');
    const markers = this.#bucket.list(RECENT_PREFIX + listPrefix);
    for await (const { object, marker } of joinMarkers(data, markers, RECENT_PREFIX)) {
      const hash = this.#keys.hashOf(object.key);
      if (hash === null || !hash.startsWith(prefix)) continue;
      yield { hash, size: object.size, mtimeNs: s3TimeNs((marker ?? object).lastModified) };
    }
  }

  async trashIf(hash: string, guard: TrashGuard, lifetimeSeconds: number, nowSeconds: number): Promise<string | null> {
    assertHash(hash);
    this.#assertWritable();
    return this.#trash.trashIf(hash, guard, lifetimeSeconds, nowSeconds);
  }

  async untrash(hash: string): Promise<void> {
    assertHash(hash);
    this.#assertWritable();
    await this.#trash.untrash(hash);
  }

  async *emptyTrash(nowSeconds: number): AsyncGenerator<TrashEntry> {
    if (this.readOnly) return;
    yield* this.#trash.emptyTrash(nowSeconds);
  }

  /**
   * Aborts unfinished multipart uploads of block keys older than `olderThanMs`, but never one
   * younger than an hour: other keepstores may be writing to the same bucket right now.
   */
  async removeAbandonedWrites(olderThanMs: number): Promise<number> {
    if (this.readOnly) return 0;
    const cutoff = Date.now() - Math.max(olderThanMs, ABANDONED_UPLOAD_MIN_AGE_MS);
    const { client, name } = this.#bucket;
    let removed = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    try {
      do {
        const page = await client.send(
          new ListMultipartUploadsCommand({ Bucket: name, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
        );
        for (const u of page.Uploads ?? []) {
          if (!u.Key || !u.UploadId || this.#keys.hashOf(u.Key) === null) continue;
          if ((u.Initiated?.getTime() ?? Date.now()) >= cutoff) continue;
          await client.send(new AbortMultipartUploadCommand({ Bucket: name, Key: u.Key, UploadId: u.UploadId }));
          removed++;
        }
        const more = page.IsTruncated === true;
        keyMarker = more ? page.NextKeyMarker : undefined;
        uploadIdMarker = more ? page.NextUploadIdMarker : undefined;
      } while (keyMarker !== undefined);
    } catch (err) {
      // Refused (no ListBucketMultipartUploads permission, or not implemented, as in s3rver):
      // nothing we may clean; a bucket lifecycle rule has to. Unreachable: the caller logs it.
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status !== undefined && status >= 400 && status < 500) return removed;
      if ((err as { name?: string }).name === 'NotImplemented') return removed;
      throw mapS3Error(this.uuid, 'LIST UPLOADS', err);
    }
    return removed;
  }

  #assertWritable(): void {
    if (this.readOnly) throw new WriteFailedError('volume is read-only');
  }

  /** Write failures are 503 WriteFailedError naming the volume and block (never the key). */
  #writeError(hash: string, err: unknown): Error {
    const mapped = this.#bucket.mapError('PUT', err);
    if (mapped instanceof NotFoundError) return new WriteFailedError(`volume ${this.uuid}: write of ${hash} failed`);
    return mapped;
  }
}

function assertHash(hash: string): void {
  if (!HASH_RE.test(hash)) throw new InvalidLocatorError();
}
