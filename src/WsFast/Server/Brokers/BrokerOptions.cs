using WsFast.Server;

namespace WsFast;

/// <summary>Where topics live: in this process only, or shared by every server on one Redis.</summary>
public enum BrokerKind
{
    /// <summary>This server's topics are its own: nothing else to run (the default).</summary>
    Memory,

    /// <summary>
    /// Topics are shared through Redis: a publish on any server reaches the subscribers of every server, with one
    /// sequence number and epoch per topic, and the history kept in Redis.
    /// </summary>
    Redis,
}

/// <summary>
/// The broker that carries topics between servers (<see cref="WsFastServerOptions.Broker"/>). With
/// <see cref="BrokerKind.Redis"/>, each publish runs one script in Redis that gives the message the topic's next
/// sequence number, appends it to the topic's history and publishes it on the topic's channel; each server
/// subscribes to a topic's channel while it has a subscriber of that topic, and frames what arrives once for all
/// of them. History is bounded by <see cref="BroadcastOptions.HistorySize"/> and
/// <see cref="BroadcastOptions.HistoryBytes"/> and expires <see cref="BroadcastOptions.TopicTimeToLive"/> after
/// the topic's last publish, in Redis as here.
/// </summary>
public sealed class BrokerOptions
{
    /// <summary>Memory (the default) or Redis.</summary>
    public BrokerKind Kind { get; set; } = BrokerKind.Memory;

    /// <summary>
    /// The StackExchange.Redis configuration string of the Redis to use, such as <c>127.0.0.1:6379</c> or
    /// <c>redis1:6379,redis2:6379,password=...,ssl=true</c>. Required with <see cref="BrokerKind.Redis"/>.
    /// </summary>
    public string? Redis { get; set; }

    /// <summary>
    /// What every Redis key and channel of this server's topics starts with, so that several deployments share one
    /// Redis without meeting. Servers that share topics use the same. Default <c>wsfast</c>.
    /// </summary>
    public string KeyPrefix { get; set; } = "wsfast";

    /// <summary>
    /// How long Redis keeps a topic's epoch and last sequence number after its last publish (its history goes
    /// sooner, at <see cref="BroadcastOptions.TopicTimeToLive"/>). While they last, a subscriber that kept up is
    /// never told of a gap; once they are gone, the next publish starts a new epoch. Default 7 days.
    /// </summary>
    public TimeSpan SequenceTimeToLive { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// How long a request that needs a topic's history (a poll, an event stream, a WebSocket resuming with
    /// <c>?after=</c>) waits for this server to read it from the broker before it is answered 503 with
    /// <c>Retry-After</c>. Default 5 s.
    /// </summary>
    public TimeSpan SyncTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often this server reports its subscriber count of each topic to the broker, for the counts summed over
    /// every server (<c>GET /topics/{topic}</c>); a server that stops reporting drops out after three intervals.
    /// Default 5 s.
    /// </summary>
    public TimeSpan PresenceInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long this server stays subscribed to a topic's channel (and keeps its copy of the history) after its last
    /// subscriber of it here left, so that clients polling every few seconds or reconnecting do not make it subscribe
    /// and leave each time. Default 30 s.
    /// </summary>
    public TimeSpan UnsubscribeDelay { get; set; } = TimeSpan.FromSeconds(30);

    internal void Check(OptionsCheck check)
    {
        if (Kind == BrokerKind.Redis && string.IsNullOrWhiteSpace(Redis))
        {
            check.Fail(nameof(Redis), $"is required when {check.Name(nameof(Kind))} is {nameof(BrokerKind.Redis)} (a StackExchange.Redis configuration string such as 127.0.0.1:6379)");
        }

        if (string.IsNullOrEmpty(KeyPrefix) || KeyPrefix.AsSpan().ContainsAny('{', '}'))
        {
            check.Fail(nameof(KeyPrefix), $"must be non-empty, without '{{' or '}}' (was '{KeyPrefix}')");
        }

        check.Positive(SequenceTimeToLive, nameof(SequenceTimeToLive));
        check.Positive(SyncTimeout, nameof(SyncTimeout));
        check.Positive(PresenceInterval, nameof(PresenceInterval));
        check.NotNegative(UnsubscribeDelay, nameof(UnsubscribeDelay));
    }
}
