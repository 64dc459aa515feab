/** Largest block Keep stores: 64 MiB, in bytes. */
export const MAX_BLOCK_SIZE = 64 * 1024 * 1024;

/** MD5 of zero bytes: the empty block, which every server serves without storing it. */
export const EMPTY_BLOCK_HASH = 'd41d8cd98f00b204e9800998ecf8427e';
