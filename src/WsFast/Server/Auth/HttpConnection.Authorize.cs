using WsFast.Protocol;

namespace WsFast.Server;

/// <summary>Asking a <see cref="RequestAuthorizer"/> about a request, under the request's deadline.</summary>
internal sealed partial class HttpConnection
{
    private CancellationTokenSource? _authorizing; // while an authorizer runs: cancelled when the server stops waiting

    /// <summary>
    /// Asks <paramref name="authorizer"/> about <paramref name="request"/>: its acceptance, or null when the
    /// request was refused here (the rejection it chose, 500 when it failed, 503 when it did not answer before the
    /// request's deadline) or the connection ended meanwhile. Nothing is read from the client while it runs.
    /// </summary>
    public async ValueTask<AuthorizationResult?> AuthorizeAsync(
        RequestAuthorizer authorizer, AuthorizationRequestKind kind, HandshakeRequest request, WebSocketEndpoint? endpoint, string? topic)
    {
        var stop = new CancellationTokenSource();
        Volatile.Write(ref _authorizing, stop);
        Task<AuthorizationResult>? running = null;
        AuthorizationResult? result;
        try
        {
            var context = new AuthorizationContext(kind, request, ClientAddress, IsSecure, endpoint, topic, stop.Token);
            ValueTask<AuthorizationResult> pending = authorizer.AuthorizeAsync(context);
            if (pending.IsCompleted)
            {
                result = pending.Result;
            }
            else
            {
                running = pending.AsTask();
                result = await running.WaitAsync(stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The deadline passed (or the connection is being ended): the authorizer is no longer waited for.
            if (running is not null)
            {
                _ = running.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            if (_transport.CanSend && !_stopping)
            {
                _deadline = DeadlineAfter(_server.Options.CloseTimeout); // the 503's time to go out

                _server.BadInput.RequestTimedOut(ClientForLog);
                _server.Counters.OnRefused();
                Respond(HttpResponses.Status(503, "authorization did not finish in time"), keepAlive: false);
            }

            return null;
        }
        catch (Exception e)
        {
            return AuthorizerFailed(e, request);
        }
        finally
        {
            Volatile.Write(ref _authorizing, null);
        }

        if (result is null)
        {
            return AuthorizerFailed(new InvalidOperationException("The authorizer returned null."), request);
        }

        if (!result.IsAccepted)
        {
            KeyValuePair<string, string>[] headers = [.. result.Headers];
            Refuse(result.StatusCode, result.Body ?? "refused", HttpResponses.Status(result.StatusCode, result.Body ?? "refused", headers));
            return null;
        }

        return result;
    }

    /// <summary>
    /// Whether the server-wide <see cref="WsFastServerOptions.Authorizer"/>, if there is one, lets this event
    /// stream, poll or publish to <paramref name="topic"/> go on; a refusal has been answered when false.
    /// </summary>
    public async ValueTask<bool> IsAllowedAsync(AuthorizationRequestKind kind, HandshakeRequest request, string topic) =>
        _server.Options.Authorizer is not { } authorizer
        || await AuthorizeAsync(authorizer, kind, request, null, topic).ConfigureAwait(false) is not null;

    /// <summary>The authorizer threw, or returned what cannot be: 500, one log line (rate-limited), counted as refused.</summary>
    public AuthorizationResult? AuthorizerFailed(Exception e, HandshakeRequest request)
    {
        _server.BadInput.AuthorizerFailed(e, request.Path);
        _server.Counters.OnRefused();
        Respond(HttpResponses.Status(500, "internal error"), keepAlive: false);
        return null;
    }

    /// <summary>What an accepted upgrade keeps: null when it was granted nothing beyond the acceptance.</summary>
    private ConnectionAuthorization? Grant(AuthorizationResult granted, RequestAuthorizer? authorizer, string? pathTopic)
    {
        if (granted.User is null && granted.JoinTopics.Count == 0 && granted.ExpiresAt is null && granted.RelayAllowed)
        {
            return null;
        }

        var joined = new List<Topic>(granted.JoinTopics.Count);
        foreach (string name in granted.JoinTopics)
        {
            if (name != pathTopic && !joined.Exists(t => t.Name == name))
            {
                joined.Add(_server.Topics.Acquire(name));
            }
        }

        var authorization = new ConnectionAuthorization(granted.User, authorizer, [.. joined], granted.RelayAllowed);
        if (granted.ExpiresAt is { } expiresAt)
        {
            authorization.SetExpiry(expiresAt);
        }

        return authorization;
    }

    /// <summary>The server stops waiting for a running authorizer (its deadline, shutdown, an abort).</summary>
    private void StopAuthorizing()
    {
        if (Volatile.Read(ref _authorizing) is { } stop)
        {
            // Off the timer's thread: the request's continuation answers the client.
            _ = stop.CancelAsync();
        }
    }
}
