using System.Net;

namespace WsFast.Load.Scenarios.Soak;

/// <summary>What a soak runs: how many clients of which kind, for how long, how fast they churn, and the feed.</summary>
public sealed record SoakSettings
{
    /// <summary>The server's plain HTTP/WebSocket endpoint.</summary>
    public required IPEndPoint Server { get; init; }

    /// <summary>The <c>Host</c> header value.</summary>
    public required string Authority { get; init; }

    /// <summary>Loopback source addresses the clients spread over (127.0.0.1..N); 1: the system chooses.</summary>
    public int SourceAddresses { get; init; } = 1;

    /// <summary>Clients kept connected at once (each reconnects after every disconnect).</summary>
    public int Clients { get; init; } = 10_000;

    /// <summary>Time over which the clients are first started, evenly.</summary>
    public TimeSpan RampUp { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>The soak after the ramp-up: churn, publishing and sampling throughout.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The first part of <see cref="Duration"/> left out of the trend test (caches, pools and the JIT settle).</summary>
    public TimeSpan WarmUp { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Shares of echo clients, WebSocket subscribers, event streams and long polls, in that order (any scale).</summary>
    public IReadOnlyList<int> Mix { get; init; } = [40, 30, 15, 15];

    /// <summary>WebSocket subscribers that read slowly or stop reading (taken from the subscribers' share; never churned).</summary>
    public int SlowConsumers { get; init; } = 20;

    /// <summary>Share of the churning clients told to disconnect and reconnect every second.</summary>
    public double ChurnPerSecond { get; init; } = 0.05;

    /// <summary>Topics the feed is spread over: client i subscribes to topic i mod N, each published at <see cref="Rate"/>.</summary>
    public int Topics { get; init; } = 4;

    /// <summary>Messages a second published to each topic.</summary>
    public double Rate { get; init; } = 5;

    /// <summary>Bytes of each feed message (a <see cref="Feed.FeedPayload"/>, padded).</summary>
    public int MessageSize { get; init; } = 512;

    /// <summary>Time between one echo client's messages.</summary>
    public TimeSpan EchoInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Bytes of each echo message.</summary>
    public int EchoSize { get; init; } = 64;

    /// <summary>The run's topic names: a fresh prefix per run, so no history of an earlier run is received.</summary>
    public required string TopicPrefix { get; init; }

    /// <summary>The topic client <paramref name="clientIndex"/> subscribes to.</summary>
    public string TopicOf(int clientIndex) => TopicName(clientIndex % Topics);

    /// <summary>The name of topic number <paramref name="topic"/>.</summary>
    public string TopicName(int topic) => $"{TopicPrefix}-{topic}";

    /// <summary>The role of client <paramref name="clientIndex"/>: the mix laid out evenly over the indexes.</summary>
    public SoakRole RoleOf(int clientIndex)
    {
        int total = 0;
        foreach (int share in Mix)
        {
            total += share;
        }

        // Spread each role's share over every block of `total` indexes, so that every topic (i mod Topics) gets each role.
        int position = (int)((long)clientIndex * 7919 % total);
        for (int role = 0; role < Mix.Count; role++)
        {
            if (position < Mix[role])
            {
                return (SoakRole)role;
            }

            position -= Mix[role];
        }

        return SoakRole.Echo;
    }
}
