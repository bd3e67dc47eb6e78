using System.Diagnostics;
using System.Net;
using WsFast.Protocol;

namespace WsFast.Server;

/// <summary>
/// The server's activities, from an <see cref="ActivitySource"/> named <c>WsFast</c>: the handshake (an upgrade
/// request, child of the request's W3C <c>traceparent</c> when it has one), the connection (from the 101 to the
/// end), and each publish. Nothing is made, tagged or allocated while nothing listens
/// (<see cref="ActivitySource.HasListeners"/>).
/// </summary>
/// <remarks>
/// A connection may last days: its activity is the root of a trace of its own, linked to its handshake, rather
/// than a child in the client's trace, which would then last as long. It is <see cref="Activity.Current"/> while
/// the connection's handlers run, so what they start (a publish, an outgoing call) is its child. A client's
/// <c>traceparent</c> thus decides only the handshake's trace (and, with a parent-based sampler, whether that is
/// sampled), not whether a long-lived connection is recorded.
/// </remarks>
internal static class WsFastTracing
{
    public const string SourceName = "WsFast";
    public const string HandshakeName = "WsFast.Handshake";
    public const string ConnectionName = "WsFast.Connection";
    public const string PublishName = "WsFast.Publish";

    // W3C Trace Context: a tracestate longer than 512 characters may be dropped whole (section 3.3.1.5).
    private const int MaxTraceStateLength = 512;

    private static readonly ActivitySource s_source = new(SourceName);

    /// <summary>Whether anything listens to the source now.</summary>
    public static bool HasListeners => s_source.HasListeners();

    /// <summary>Starts the activity of an upgrade request, or returns null while nothing listens.</summary>
    public static Activity? StartHandshake(HandshakeRequest request, IPAddress client)
    {
        if (!s_source.HasListeners())
        {
            return null;
        }

        ActivityContext parent = default;
        if (request.GetHeader("traceparent") is { } traceparent)
        {
            string? traceState = request.GetHeader("tracestate");
            traceState = traceState is { Length: <= MaxTraceStateLength } ? traceState : null;

            // An invalid traceparent (RFC-wise: any other version-00 form) is ignored: the handshake starts a trace.
            if (!ActivityContext.TryParse(traceparent, traceState, isRemote: true, out parent))
            {
                parent = default;
            }
        }

        // Whatever activity was current when the server started (the accept loop inherits it) is no parent.
        Activity.Current = null;
        Activity? activity = s_source.StartActivity(HandshakeName, ActivityKind.Server, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("url.path", request.Path);
            activity.SetTag("client.address", client.ToString());
        }

        return activity;
    }

    /// <summary>The current handshake was answered with <paramref name="status"/> (a refusal).</summary>
    public static void Refused(int status)
    {
        if (CurrentHandshake() is { } handshake)
        {
            handshake.SetTag("http.response.status_code", status);
            handshake.SetStatus(ActivityStatusCode.Error);
        }
    }

    /// <summary>Ends a handshake's activity: upgraded (101) or refused.</summary>
    public static void EndHandshake(Activity? handshake, bool upgraded)
    {
        if (handshake is null)
        {
            return;
        }

        if (upgraded)
        {
            handshake.SetTag("http.response.status_code", 101);
        }
        else
        {
            handshake.SetStatus(ActivityStatusCode.Error);
        }

        handshake.Dispose();
    }

    /// <summary>
    /// Starts the activity of a connection that has just upgraded, linked to its handshake's (the current
    /// activity, in the flow that upgraded it), as a new root; null while nothing listens.
    /// </summary>
    public static Activity? StartConnection(WebSocketConnection connection)
    {
        if (!s_source.HasListeners())
        {
            return null;
        }

        ActivityLink[]? links = CurrentHandshake() is { } handshake ? [new ActivityLink(handshake.Context)] : null;
        Activity.Current = null;
        Activity? activity = s_source.StartActivity(ConnectionName, ActivityKind.Server, parentContext: default, tags: null, links: links);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("wsfast.connection.id", connection.Id);
            activity.SetTag("wsfast.endpoint", connection.Endpoint.Path);
            activity.SetTag("url.path", connection.Path);
            activity.SetTag("client.address", connection.ClientAddress.ToString());
        }

        return activity;
    }

    /// <summary>Ends a connection's activity with the close code it ended with.</summary>
    public static void EndConnection(Activity? activity, CloseCode code)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag("wsfast.close.code", (int)code);
        if (code is CloseCode.AbnormalClosure or CloseCode.InternalServerError)
        {
            activity.SetStatus(ActivityStatusCode.Error);
        }

        activity.Dispose();
    }

    /// <summary>Starts the activity of a publish to <paramref name="topic"/>, a child of the current one; null while nothing listens.</summary>
    public static Activity? StartPublish(string topic, int payloadBytes)
    {
        if (!s_source.HasListeners())
        {
            return null;
        }

        Activity? activity = s_source.StartActivity(PublishName, ActivityKind.Producer);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.system", "wsfast");
            activity.SetTag("messaging.destination.name", topic);
            activity.SetTag("messaging.message.body.size", payloadBytes);
        }

        return activity;
    }

    /// <summary>A publish's outcome: its sequence number and how many subscribers took it.</summary>
    public static void Published(Activity? activity, PublishResult result)
    {
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("wsfast.publish.sequence", result.Sequence);
            activity.SetTag("wsfast.publish.subscribers", result.Subscribers);
        }
    }

    private static Activity? CurrentHandshake() =>
        Activity.Current is { } current && ReferenceEquals(current.Source, s_source) && current.OperationName == HandshakeName ? current : null;
}
