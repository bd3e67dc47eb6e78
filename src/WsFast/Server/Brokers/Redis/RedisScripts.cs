namespace WsFast.Server;

/// <summary>
/// The Lua scripts the Redis broker runs: each is one atomic step in Redis (a script runs alone), as Centrifugo's
/// Redis engine does it. Keys of one topic share the hash tag <c>{topic}</c>, so that on Redis Cluster they and the
/// topic's sharded channel live on one shard.
/// </summary>
/// <remarks>
/// A topic's keys: <c>prefix:{topic}:seq</c>, a hash of the epoch (<c>e</c>), the last sequence number (<c>s</c>)
/// and the history's payload bytes (<c>b</c>), kept <see cref="BrokerOptions.SequenceTimeToLive"/> after the last
/// publish; <c>prefix:{topic}:history</c>, a stream whose entry ids are <c>sequence-0</c>, so that a range by id is a
/// range by sequence number, kept <see cref="BroadcastOptions.TopicTimeToLive"/>; <c>prefix:{topic}:presence</c>, a
/// hash of each server's subscriber count and when it expires. A missing sequence hash means the topic's epoch is
/// gone (never made, expired, Redis restarted without persistence): a new epoch starts, and a history of the old
/// one, if any is left, is dropped with it.
/// </remarks>
internal static class RedisScripts
{
    /// <summary>
    /// The topic's epoch, made when it has none: the given new one, with its sequence at 0 and whatever history is
    /// left of an older epoch dropped (its ids would not follow on).
    /// </summary>
    private const string EpochOf = """
        local function epoch_of(seq, history, new_epoch, ttl)
          local epoch = redis.call('hget', seq, 'e')
          if not epoch then
            epoch = new_epoch
            redis.call('del', history)
            redis.call('hset', seq, 'e', epoch, 's', 0, 'b', 0)
            redis.call('pexpire', seq, ttl)
          end
          return epoch
        end

        """;

    /// <summary>
    /// Publish: KEYS = seq, history; ARGV = channel, payload, type (t or b), except (node/connection or -), most
    /// messages kept, most bytes kept, history time to live (ms, 0: none), sequence time to live (ms), a new epoch
    /// in case one is needed, publish or spublish. Returns { epoch, sequence }. The message goes into the history
    /// before it goes on the channel, so that a server reading the history after a message arrived finds it there.
    /// </summary>
    public const string Publish = EpochOf + """
        local epoch = epoch_of(KEYS[1], KEYS[2], ARGV[9], ARGV[8])
        local seq = redis.call('hincrby', KEYS[1], 's', 1)
        local maxlen, maxbytes = tonumber(ARGV[5]), tonumber(ARGV[6])
        if maxlen > 0 and maxbytes > 0 then
          if redis.call('exists', KEYS[2]) == 0 then
            redis.call('hset', KEYS[1], 'b', 0)
          end
          redis.call('xadd', KEYS[2], seq .. '-0', 't', ARGV[3], 'x', ARGV[4], 'd', ARGV[2])
          local bytes = redis.call('hincrby', KEYS[1], 'b', string.len(ARGV[2]))
          local count = redis.call('xlen', KEYS[2])
          -- The newest message stays even alone over the byte bound, as in a server's own history.
          while count > 1 and (count > maxlen or bytes > maxbytes) do
            local oldest = redis.call('xrange', KEYS[2], '-', '+', 'COUNT', 1)[1]
            redis.call('xdel', KEYS[2], oldest[1])
            bytes = redis.call('hincrby', KEYS[1], 'b', -string.len(oldest[2][6]))
            count = count - 1
          end
          if tonumber(ARGV[7]) > 0 then
            redis.call('pexpire', KEYS[2], ARGV[7])
          end
        end
        redis.call('pexpire', KEYS[1], ARGV[8])
        redis.call(ARGV[10], ARGV[1], epoch .. ' ' .. seq .. ' ' .. ARGV[3] .. ' ' .. ARGV[4] .. '\n' .. ARGV[2])
        return { tonumber(epoch), seq }
        """;

    /// <summary>
    /// Read: KEYS = seq, history; ARGV = the cursor's epoch (0: none), its sequence number, a new epoch in case one
    /// is needed, sequence time to live (ms). Returns { epoch, last sequence, entries after the cursor (all of them
    /// for another epoch) }.
    /// </summary>
    public const string Read = EpochOf + """
        local epoch = epoch_of(KEYS[1], KEYS[2], ARGV[3], ARGV[4])
        local from = '-'
        if ARGV[1] == epoch then
          from = '(' .. ARGV[2] .. '-0'
        end
        return { tonumber(epoch), tonumber(redis.call('hget', KEYS[1], 's')), redis.call('xrange', KEYS[2], from, '+') }
        """;

    /// <summary>
    /// Presence: KEYS = presence, seq; ARGV = this server, its subscriber count, time to live (ms). Writes this
    /// server's entry (or removes it at 0), drops the entries of servers that stopped reporting, and returns
    /// { subscribers over every server, servers with any, epoch, last sequence } (0 and 0 for a topic with no epoch).
    /// With a count of -1 it only reads.
    /// </summary>
    public const string Presence = """
        local now = redis.call('time')
        local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
        local count = tonumber(ARGV[2])
        if count > 0 then
          redis.call('hset', KEYS[1], ARGV[1], count .. ':' .. (ms + tonumber(ARGV[3])))
          redis.call('pexpire', KEYS[1], ARGV[3])
        elseif count == 0 then
          redis.call('hdel', KEYS[1], ARGV[1])
        end
        local all = redis.call('hgetall', KEYS[1])
        local sum, servers = 0, 0
        for i = 1, #all, 2 do
          local value = all[i + 1]
          local colon = string.find(value, ':', 1, true)
          local expires = tonumber(string.sub(value, colon + 1))
          if expires < ms then
            redis.call('hdel', KEYS[1], all[i])
          else
            sum = sum + tonumber(string.sub(value, 1, colon - 1))
            servers = servers + 1
          end
        end
        local numbering = redis.call('hmget', KEYS[2], 'e', 's')
        return { sum, servers, tonumber(numbering[1]) or 0, tonumber(numbering[2]) or 0 }
        """;
}
