namespace WsFast.Tests.Support;

/// <summary>
/// The tests that need a Redis, but not one of their own to kill or restart, share one:
/// <c>[Collection(SharedRedisCollection.Name)]</c> and a constructor parameter <see cref="SharedRedis"/>.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SharedRedisCollection : ICollectionFixture<SharedRedis>
{
    public const string Name = "Shared Redis";
}

/// <summary>
/// One Redis for a whole test run: the one named by <c>WSFAST_TEST_REDIS</c> (<c>host:port</c>; .ci/run starts
/// it), else a <see cref="RedisServer"/> of the run's own, stopped at its end. Others may use the same Redis
/// at the same time, so nothing is flushed: each test keeps its keys under its own <see cref="NewPrefix"/>.
/// </summary>
public sealed class SharedRedis : IDisposable
{
    public const string Variable = "WSFAST_TEST_REDIS";

    private readonly RedisServer? _own;

    public SharedRedis()
        : this(Environment.GetEnvironmentVariable(Variable))
    {
    }

    /// <summary>The Redis at <paramref name="address"/> (<c>host:port</c>), or one of its own when it is null or empty.</summary>
    internal SharedRedis(string? address)
    {
        if (string.IsNullOrEmpty(address))
        {
            _own = RedisServer.Start();
            Configuration = _own.Configuration;
        }
        else
        {
            Configuration = address;
            Assert.True(Resp.Pings(address), $"The Redis of {Variable}={address} does not answer PING.");
        }
    }

    /// <summary>Its address as a StackExchange.Redis configuration string (<c>host:port</c>).</summary>
    public string Configuration { get; }

    /// <summary>
    /// A key prefix no other test of this run or any other uses (a Redis named by <c>WSFAST_TEST_REDIS</c> may
    /// hold the keys of earlier runs, or serve two runs at once).
    /// </summary>
    public static string NewPrefix() => $"wsfast-test-{Guid.NewGuid():N}";

    /// <summary>Runs one command on it; the reply as <see cref="Resp.Command"/> reads it (<c>:1</c> for EXISTS of a key).</summary>
    public string? Command(params string[] arguments) => Resp.Command(Configuration, arguments);

    public void Dispose() => _own?.Dispose();
}
