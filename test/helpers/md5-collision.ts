/**
 * Two different 128-byte messages with the same MD5 (79054025255fb1a26e4bc422aef54eb4): the
 * collision published by Xiaoyun Wang and Hongbo Yu ("How to Break MD5 and Other Hash
 * Functions", EUROCRYPT 2005), in the form widely reproduced since. A real collision, for the
 * tests that must tell one apart from a corrupt stored copy.
 */
const A =
  'd131dd02c5e6eec4693d9a0698aff95c2fcab58712467eab4004583eb8fb7f89' +
  '55ad340609f4b30283e488832571415a085125e8f7cdc99fd91dbdf280373c5b' +
  'd8823e3156348f5bae6dacd436c919c6dd53e2b487da03fd02396306d248cda0' +
  'e99f33420f577ee8ce54b67080a80d1ec69821bcb6a8839396f9652b6ff72a70';
const B =
  'd131dd02c5e6eec4693d9a0698aff95c2fcab50712467eab4004583eb8fb7f89' +
  '55ad340609f4b30283e4888325f1415a085125e8f7cdc99fd91dbd7280373c5b' +
  'd8823e3156348f5bae6dacd436c919c6dd53e23487da03fd02396306d248cda0' +
  'e99f33420f577ee8ce54b67080280d1ec69821bcb6a8839396f965ab6ff72a70';

export const MD5_COLLISION = {
  hash: '79054025255fb1a26e4bc422aef54eb4',
  a: Buffer.from(A, 'hex'),
  b: Buffer.from(B, 'hex'),
} as const;
