using Microsoft.IdentityModel.JsonWebTokens;

namespace WsFast.ServerApp;

/// <summary>
/// What a valid token grants: its subject, until when, and the topics it may subscribe to (claim
/// <c>channels</c>) and publish to (claim <c>publish</c>). Each claim is an array of strings or one string of
/// space-separated entries; an entry is a topic name (exact) or a prefix ending in <c>*</c> (<c>news:*</c> allows
/// <c>news:sport</c>; <c>*</c> alone allows every topic). A missing claim grants nothing.
/// </summary>
internal sealed class TokenGrant
{
    private readonly string[] _subscribe;
    private readonly string[] _publish;

    private TokenGrant(string? subject, DateTimeOffset expiresAt, string[] subscribe, string[] publish)
    {
        Subject = subject;
        ExpiresAt = expiresAt;
        _subscribe = subscribe;
        _publish = publish;
    }

    public string? Subject { get; }

    /// <summary>When a refresh made this grant (<see cref="Environment.TickCount64"/>); 0 for the handshake's.</summary>
    public long RefreshedAt { get; private init; }

    /// <summary>When the token stops being accepted: its <c>exp</c> plus the clock skew allowed.</summary>
    public DateTimeOffset ExpiresAt { get; }

    public static TokenGrant From(JsonWebToken token, TimeSpan clockSkew) =>
        new(token.Subject is { Length: > 0 } subject ? subject : null,
            new DateTimeOffset(token.ValidTo, TimeSpan.Zero) + clockSkew,
            ReadList(token, "channels"),
            ReadList(token, "publish"));

    /// <summary>The same grant, marked as made by a refresh at <paramref name="now"/>.</summary>
    public TokenGrant RefreshedOn(long now) => new(Subject, ExpiresAt, _subscribe, _publish) { RefreshedAt = now };

    public bool MaySubscribe(string topic) => Matches(_subscribe, topic);

    public bool MayPublish(string topic) => Matches(_publish, topic);

    private static bool Matches(string[] patterns, string topic)
    {
        foreach (string pattern in patterns)
        {
            bool match = pattern.EndsWith('*')
                ? topic.StartsWith(pattern.AsSpan(0, pattern.Length - 1), StringComparison.Ordinal)
                : string.Equals(pattern, topic, StringComparison.Ordinal);
            if (match)
            {
                return true;
            }
        }

        return false;
    }

    // The token's claims list an array's elements as claims of the same type, and a string as one claim; either
    // way each value is split at spaces (topic names have none).
    private static string[] ReadList(JsonWebToken token, string claim)
    {
        var entries = new List<string>();
        foreach (System.Security.Claims.Claim value in token.Claims)
        {
            if (value.Type == claim)
            {
                entries.AddRange(value.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
            }
        }

        return [.. entries];
    }
}
