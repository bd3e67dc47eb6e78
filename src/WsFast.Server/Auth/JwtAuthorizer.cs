using System.Buffers;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using WsFast.Protocol;
using WsFast.Server;

namespace WsFast.ServerApp;

/// <summary>
/// The executable's authorization when <c>--jwt-key</c> is given: every WebSocket upgrade, event stream, poll
/// and publish needs a valid JWT (signature, expiry, audience and issuer when configured), read from
/// <c>Authorization: Bearer</c>, else the cookie named by <c>--jwt-cookie</c>, else <c>?token=</c>; its
/// <see cref="TokenGrant"/> says which topics it may subscribe to and publish to. A connection is closed with
/// 1008 when its token expires, unless it sends a newer one first: the text message <c>{"refresh":"JWT"}</c>.
/// </summary>
/// <remarks>
/// Refusals follow RFC 6750 section 3: no token, 401 with <c>WWW-Authenticate: Bearer</c>; a token that is not
/// valid, 401 with <c>error="invalid_token"</c>; a valid token without the topic, 403 with
/// <c>error="insufficient_scope"</c>.
/// </remarks>
internal sealed class JwtAuthorizer : RequestAuthorizer
{
    /// <summary>The longest token read: twice what a request head may hold of it anyway.</summary>
    private const int MaxTokenBytes = 8 * 1024;

    private const long MinRefreshIntervalMilliseconds = 1000;

    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false, MaximumTokenSizeInBytes = MaxTokenBytes };
    private readonly TokenValidationParameters _parameters;
    private readonly TimeSpan _clockSkew;

    public JwtAuthorizer(JwtKey key, string? audience, string? issuer, string cookieName, TimeSpan clockSkew)
    {
        CookieName = cookieName;
        KeyDescription = key.Description;
        _clockSkew = clockSkew;
        _parameters = new TokenValidationParameters
        {
            IssuerSigningKey = key.Key,
            ValidAlgorithms = key.Algorithms,
            ValidateIssuerSigningKey = true,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = clockSkew,
            ValidateAudience = audience is not null,
            ValidAudience = audience,
            ValidateIssuer = issuer is not null,
            ValidIssuer = issuer,
        };
    }

    public string CookieName { get; }

    /// <summary>What the key is (never the secret), for the startup line.</summary>
    public string KeyDescription { get; }

    public override async ValueTask<AuthorizationResult> AuthorizeAsync(AuthorizationContext context)
    {
        string? token = FindToken(context);
        if (token is null)
        {
            return AuthorizationResult.Unauthorized("Bearer", "a token is required");
        }

        TokenValidationResult validation = await _handler.ValidateTokenAsync(token, _parameters).ConfigureAwait(false);
        if (!validation.IsValid)
        {
            return AuthorizationResult.Unauthorized("Bearer error=\"invalid_token\"", "invalid token");
        }

        TokenGrant grant = TokenGrant.From((JsonWebToken)validation.SecurityToken, _clockSkew);
        string? topic = context.Topic;
        bool allowed = topic is null || (context.Kind == AuthorizationRequestKind.Publish ? grant.MayPublish(topic) : grant.MaySubscribe(topic));
        if (!allowed)
        {
            return AuthorizationResult.Reject(403, "the token does not allow this topic",
                KeyValuePair.Create("WWW-Authenticate", "Bearer error=\"insufficient_scope\""));
        }

        if (context.Kind != AuthorizationRequestKind.WebSocket)
        {
            return AuthorizationResult.Accept();
        }

        return AuthorizationResult.Accept(
            user: new ClaimsPrincipal(validation.ClaimsIdentity),
            userState: grant,
            expiresAt: grant.ExpiresAt,
            relayAllowed: topic is not null && grant.MayPublish(topic));
    }

    /// <summary>
    /// <c>{"refresh":"JWT"}</c>: a valid token of the same subject replaces the connection's, its channels and
    /// expiry with it; a bad one, one that no longer allows the connection's topic, or a refresh less than a second
    /// after the previous one, closes it with 1008.
    /// Any other message is not the authorizer's.
    /// </summary>
    public override async ValueTask<bool> OnMessageAsync(WebSocketConnection connection, WebSocketMessage message)
    {
        if (message.Type != MessageType.Text || connection.UserState is not TokenGrant current
            || TryReadRefresh(message.Payload) is not { } token)
        {
            return false;
        }

        // A signature check costs far more than a message: one refresh a second at most, whatever a client sends.
        long now = Environment.TickCount64;
        if (current.RefreshedAt != 0 && now - current.RefreshedAt < MinRefreshIntervalMilliseconds)
        {
            connection.Close(CloseCode.PolicyViolation, "refreshed too often");
            return true;
        }

        TokenValidationResult validation = await _handler.ValidateTokenAsync(token, _parameters).ConfigureAwait(false);
        if (!validation.IsValid)
        {
            connection.Close(CloseCode.PolicyViolation, "invalid token");
            return true;
        }

        TokenGrant grant = TokenGrant.From((JsonWebToken)validation.SecurityToken, _clockSkew);
        if (grant.Subject != current.Subject)
        {
            connection.Close(CloseCode.PolicyViolation, "the token's subject changed");
            return true;
        }

        string? topic = connection.Topic?.Name;
        if (topic is not null && !grant.MaySubscribe(topic))
        {
            connection.Close(CloseCode.PolicyViolation, "the token no longer allows this topic");
            return true;
        }

        connection.UserState = grant.RefreshedOn(now);
        connection.RelayAllowed = topic is not null && grant.MayPublish(topic);
        connection.ExtendAuthorization(grant.ExpiresAt);
        return true;
    }

    private string? FindToken(AuthorizationContext context)
    {
        if (context.GetHeader("Authorization") is { } authorization
            && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }

        if (context.Cookies.TryGetValue(CookieName, out string? cookie) && cookie.Length > 0)
        {
            return cookie;
        }

        return context.Query.TryGetValue("token", out IReadOnlyList<string>? values) && values[0].Length > 0 ? values[0] : null;
    }

    /// <summary>The token of a message that is exactly <c>{"refresh":"..."}</c>; null for anything else.</summary>
    private static string? TryReadRefresh(ReadOnlySequence<byte> payload)
    {
        if (payload.Length > MaxTokenBytes + 32)
        {
            return null;
        }

        try
        {
            var json = new Utf8JsonReader(payload);
            if (!json.Read() || json.TokenType != JsonTokenType.StartObject
                || !json.Read() || json.TokenType != JsonTokenType.PropertyName || !json.ValueTextEquals("refresh"u8)
                || !json.Read() || json.TokenType != JsonTokenType.String)
            {
                return null;
            }

            string? token = json.GetString();
            return json.Read() && json.TokenType == JsonTokenType.EndObject && !json.Read() ? token : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
