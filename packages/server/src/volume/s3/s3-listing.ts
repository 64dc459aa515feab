import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/** One listed object. */
export interface ListedObject {
  key: string;
  size: number;
  lastModified: Date;
}

/** S3 times (LastModified) truncated to whole seconds, as nanoseconds: what HEAD can report too. */
export function s3TimeNs(t: Date): bigint {
  return BigInt(Math.floor(t.getTime() / 1000)) * 1_000_000_000n;
}

/**
 * Every object whose key starts with `prefix`, in key order, one page (`pageSize` keys) at a
 * time: memory is one page whatever the bucket holds. Stops early, without fetching the next
 * page, once a key reaches `stopAt`.
 */
export async function* listObjects(
  client: S3Client,
  bucket: string,
  prefix: string,
  pageSize: number,
  stopAt?: string,
): AsyncGenerator<ListedObject> {
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: pageSize, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) {
      if (o.Key === undefined || !o.Key.startsWith(prefix)) continue; // a server ignoring Prefix
      if (stopAt !== undefined && o.Key >= stopAt) return;
      yield { key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) };
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
}

/**
 * Pairs each object of `data` with the object of `markers` whose key is `markerPrefix + key`
 * (or null), walking both sorted listings once, side by side (a merge join): an index of any
 * size costs two listings, not a HEAD per block.
 */
export async function* joinMarkers(
  data: AsyncIterable<ListedObject>,
  markers: AsyncIterable<ListedObject>,
  markerPrefix: string,
): AsyncGenerator<{ object: ListedObject; marker: ListedObject | null }> {
  const it = markers[Symbol.asyncIterator]();
  let marker = await it.next();
  try {
    for await (const object of data) {
      while (!marker.done && marker.value.key.slice(markerPrefix.length) < object.key) marker = await it.next();
      const match = !marker.done && marker.value.key.slice(markerPrefix.length) === object.key ? marker.value : null;
      yield { object, marker: match };
    }
  } finally {
    await it.return?.();
  }
}
