-- wrk script for bench-serve. Arguments (after --): MODE [HASHES PREFIX]
--   get: fetch the URL given to wrk over and over.
--   put: PUT a different block every request: body = PREFIX file .. 16-digit counter, its MD5
--        precomputed by the bench in HASHES (one per line), so wrk never hashes.
-- done() prints one JSON line with the figures the bench reads.
local mode, hashes, prefix, n = 'get', {}, '', 0

function init(args)
  mode = args[1] or 'get'
  if mode == 'put' then
    for line in io.lines(args[2]) do hashes[#hashes + 1] = line end
    local f = assert(io.open(args[3], 'rb'))
    prefix = f:read('*a')
    f:close()
  end
end

function request()
  if mode ~= 'put' then return wrk.format(nil) end
  n = n + 1
  local i = ((n - 1) % #hashes) + 1
  return wrk.format('PUT', '/' .. hashes[i], nil, prefix .. string.format('%016d', i))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"durationUs":%d,"bytesRead":%d,"p50Us":%d,"p99Us":%d,"non2xx":%d,"errors":%d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
