using System.Security.Claims;

namespace WsFast.Server;

/// <summary>
/// What an accepted upgrade was granted, kept by its <see cref="WebSocketConnection"/>: who the client is, until
/// when, whether it may relay, the authorizer to offer its refresh messages to, and the topics it joined beside
/// its path's. One object, made only for a connection that has any of it, so that others carry one null field.
/// </summary>
internal sealed class ConnectionAuthorization
{
    private readonly Topic[] _joined;
    private readonly int[] _slots; // stored plus one: 0 is none, as in Subscriptions
    private long _deadline = long.MaxValue; // Environment.TickCount64 of the expiry
    private long _expiresAtUtcTicks;         // DateTimeOffset.UtcTicks of the expiry; 0: none
    private volatile bool _relayAllowed;

    public ConnectionAuthorization(ClaimsPrincipal? user, RequestAuthorizer? authorizer, Topic[] joined, bool relayAllowed)
    {
        User = user;
        Authorizer = authorizer;
        _joined = joined;
        _slots = joined.Length == 0 ? [] : new int[joined.Length];
        _relayAllowed = relayAllowed;
    }

    public ClaimsPrincipal? User { get; }

    /// <summary>The authorizer that accepted the connection; it gets the connection's messages first while <see cref="ExpiresAt"/> is set.</summary>
    public RequestAuthorizer? Authorizer { get; }

    public bool RelayAllowed
    {
        get => _relayAllowed;
        set => _relayAllowed = value;
    }

    public DateTimeOffset? ExpiresAt
    {
        get
        {
            long ticks = Interlocked.Read(ref _expiresAtUtcTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>Whether the connection's messages go to <see cref="Authorizer"/> first: it can refresh them.</summary>
    public bool Refreshable => Authorizer is not null && Interlocked.Read(ref _expiresAtUtcTicks) != 0;

    /// <summary>Sets the expiry: the server's timer compares <see cref="IsExpired"/> on every tick, no timer of its own.</summary>
    public void SetExpiry(DateTimeOffset expiresAt)
    {
        double remaining = (expiresAt - DateTimeOffset.UtcNow).TotalMilliseconds;
        long deadline = Environment.TickCount64 + (long)Math.Clamp(remaining, -1, long.MaxValue / 4);
        Interlocked.Exchange(ref _expiresAtUtcTicks, Math.Max(1, expiresAt.UtcTicks));
        Interlocked.Exchange(ref _deadline, deadline);
    }

    public bool IsExpired(long now) => now >= Interlocked.Read(ref _deadline);

    /// <summary>Whether <paramref name="name"/> is among the topics joined beside the path's.</summary>
    public bool Joined(string name)
    {
        foreach (Topic topic in _joined)
        {
            if (topic.Name == name)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Joins the topics beside the path's (the connection opens).</summary>
    public void Subscribe(ITopicSubscriber subscriber)
    {
        for (int i = 0; i < _joined.Length; i++)
        {
            _slots[i] = _joined[i].Subscribe(subscriber) + 1;
        }
    }

    /// <summary>Leaves them; a second call does nothing (closing and ending may race to it).</summary>
    public void Unsubscribe()
    {
        for (int i = 0; i < _joined.Length; i++)
        {
            int slot = Interlocked.Exchange(ref _slots[i], 0);
            if (slot > 0)
            {
                _joined[i].Unsubscribe(slot - 1);
            }
        }
    }

    /// <summary>Lets go of the topics held since the upgrade was accepted (the connection ended).</summary>
    public void Release()
    {
        foreach (Topic topic in _joined)
        {
            TopicRegistry.Release(topic);
        }
    }
}
