namespace WsFast.Tests.Support;

/// <summary>
/// The Redis the broker tests run against: a redis-server of their own on loopback that crashes and restarts
/// empty on demand and never outlives them, or the one shared by the run (WSFAST_TEST_REDIS, else its own).
/// </summary>
public sealed class RedisServerTests
{
    [Fact]
    public void Start_runs_a_redis_server_on_a_loopback_port_that_answers_PING()
    {
        using RedisServer redis = RedisServer.Start();

        Assert.Equal("+PONG", redis.Command("PING"));
        Assert.Equal($"127.0.0.1:{redis.Port}", redis.Configuration);
        Assert.Equal("redis-server", File.ReadAllText($"/proc/{redis.Id}/comm").TrimEnd());
    }

    [Fact]
    public void Kill_ends_it_as_a_crash_would_and_PING_then_fails()
    {
        using RedisServer redis = RedisServer.Start();
        int id = redis.Id;

        redis.Kill();

        Assert.False(redis.Pings());
        Assert.False(Directory.Exists($"/proc/{id}"));
    }

    [Fact]
    public void Restart_answers_again_on_the_same_port_with_an_empty_database()
    {
        using RedisServer redis = RedisServer.Start();
        int port = redis.Port;
        Assert.Equal("+OK", redis.Command("SET", "epoch-test", "before the crash"));
        Assert.Equal("before the crash", redis.Command("GET", "epoch-test"));
        Assert.Equal(":1", redis.Command("DBSIZE"));

        redis.Kill();
        redis.Restart();

        Assert.Equal(port, redis.Port);
        Assert.Equal("+PONG", redis.Command("PING"));
        Assert.Equal(":0", redis.Command("DBSIZE"));
        Assert.Null(redis.Command("GET", "epoch-test"));
    }

    [Fact]
    public void FlushAll_deletes_every_key()
    {
        using RedisServer redis = RedisServer.Start();
        redis.Command("SET", "a", "1");
        redis.Command("SET", "b", "2");

        redis.FlushAll();

        Assert.Equal(":0", redis.Command("DBSIZE"));
    }

    [Fact]
    public void Dispose_leaves_no_process_with_its_PID_and_deletes_its_directory()
    {
        RedisServer redis = RedisServer.Start();
        int id = redis.Id;
        string directory = redis.WorkingDirectory;
        Assert.True(Directory.Exists($"/proc/{id}"));

        redis.Dispose();

        // No entry at all: neither running nor a zombie waiting to be reaped.
        Assert.False(Directory.Exists($"/proc/{id}"));
        Assert.False(Directory.Exists(directory));
        Assert.False(redis.Pings());
    }

    [Fact]
    public void SharedRedis_uses_the_Redis_named_by_WSFAST_TEST_REDIS_and_leaves_it_running()
    {
        using RedisServer named = RedisServer.Start();
        string prefix = SharedRedis.NewPrefix();
        Assert.NotEqual(prefix, SharedRedis.NewPrefix());

        using (var shared = new SharedRedis(named.Configuration))
        {
            Assert.Equal(named.Configuration, shared.Configuration);
            Assert.Equal("+OK", shared.Command("SET", $"{prefix}:key", "value"));
        }

        Assert.Equal(":1", named.Command("EXISTS", $"{prefix}:key"));
    }

    [Fact]
    public void SharedRedis_without_WSFAST_TEST_REDIS_runs_its_own_and_stops_it_at_the_end()
    {
        var shared = new SharedRedis(null);
        string configuration = shared.Configuration;
        Assert.True(Resp.Pings(configuration));

        shared.Dispose();

        Assert.False(Resp.Pings(configuration));
    }
}

/// <summary>A test of the shared Redis itself, as the broker tests use it: a key under its own prefix.</summary>
[Collection(SharedRedisCollection.Name)]
public sealed class SharedRedisTests(SharedRedis redis)
{
    [Fact]
    public void The_shared_Redis_answers_and_keeps_a_key_under_the_test_s_prefix()
    {
        string key = $"{SharedRedis.NewPrefix()}:key";

        Assert.Equal("+OK", redis.Command("SET", key, "value", "PX", "10000"));

        Assert.Equal("value", redis.Command("GET", key));
        Assert.Equal(":1", redis.Command("DEL", key));
    }
}
