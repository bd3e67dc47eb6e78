using System.Buffers;
using System.IO.Pipelines;
using WsFast.Protocol;
using WsFast.Protocol.Hixie76;
using WsFast.Transport;

namespace WsFast.Server;

/// <summary>
/// Answers a draft-76 opening handshake read by the HTTP connection (draft-hixie-thewebsocketprotocol-76 section
/// 5.2): the same routing, host and origin checks as an RFC 6455 upgrade, then the keys, the 8 bytes of key3 after
/// the head, and the 101 with the MD5 answer; the transport goes to a new <see cref="Hixie76Connection"/>.
/// </summary>
internal static class Hixie76Upgrade
{
    /// <summary>True when the connection was handed over; false when it was refused or the client left.</summary>
    public static async ValueTask<bool> TryAsync(HttpConnection http, WsFastServer server, TransportLease transport, HandshakeRequest request)
    {
        if (server.IsStopping)
        {
            http.Refuse(503, "server shutting down");
            return false;
        }

        WebSocketEndpoint? endpoint = server.FindEndpoint(request.Path, out string? topicName);
        if (endpoint is null)
        {
            http.Refuse(404, "no WebSocket endpoint at this path");
            return false;
        }

        // An authorized connection carries what its authorizer granted (identity, expiry), which a draft-76
        // connection cannot: such an endpoint speaks RFC 6455 only.
        if (!endpoint.LegacyHixie76 || (endpoint.Authorizer ?? server.Options.Authorizer) is not null)
        {
            // What every upgrade without version 13 gets, and what a draft-76 request got before the option.
            http.Refuse(426, HandshakeError.UnsupportedVersion.ToReason(), HttpResponses.Error(HandshakeError.UnsupportedVersion));
            return false;
        }

        if (topicName is not null && !TopicRegistry.IsValidName(topicName))
        {
            HttpRefusal.InvalidTopicName.Send(http);
            return false;
        }

        if (!server.IsOriginAllowed(endpoint, request.Origin))
        {
            http.Refuse(403, "origin not allowed");
            return false;
        }

        if (request.Origin is null)
        {
            // Section 4.1 always sends it, and the client checks that Sec-WebSocket-Origin repeats it exactly.
            http.Refuse(400, "draft-76 handshake without Origin");
            return false;
        }

        Hixie76KeyError keyError = Hixie76Handshake.TryReadKey(request.Hixie76Key1!, out uint quotient1);
        if (keyError != Hixie76KeyError.None)
        {
            http.Refuse(400, keyError.ToReason(1));
            return false;
        }

        keyError = Hixie76Handshake.TryReadKey(request.Hixie76Key2!, out uint quotient2);
        if (keyError != Hixie76KeyError.None)
        {
            http.Refuse(400, keyError.ToReason(2));
            return false;
        }

        // Key3 follows the head; it arrives under the request's deadline like the head itself.
        byte[]? key3 = await ReadKey3Async(transport.Input).ConfigureAwait(false);
        if (key3 is null)
        {
            return false;
        }

        if (server.IsStopping)
        {
            // Shutdown began while key3 was on its way: a connection opened now would miss its closing frame.
            http.Refuse(503, "server shutting down");
            return false;
        }

        string? subProtocol = endpoint.ChooseSubProtocol(request.Subprotocols, envelopes: false);

        var answer = new byte[Hixie76Handshake.AnswerLength];
        Hixie76Handshake.WriteAnswer(quotient1, quotient2, key3, answer);
        string resource = request.Query.Length == 0 ? request.Path : request.Path + "?" + request.Query;
        SharedBuffer response = SharedBufferPool.Shared.Rent(
            256 + request.Origin.Length + request.Host.Length + resource.Length + (subProtocol?.Length ?? 0));
        if (!Hixie76Handshake.TryWriteResponse(request.Origin, request.Host, resource, subProtocol, answer, response.Span, out int written))
        {
            response.Release();
            throw new InvalidOperationException("The draft-76 101 response did not fit its buffer.");
        }

        response.Length = written;

        // Only an accepted upgrade holds a topic: a refused one leaves nothing behind.
        Topic? topic = topicName is null ? null : server.Topics.Acquire(topicName);
        var connection = new Hixie76Connection(server, transport, http.Slot, http.RemoteEndPoint, endpoint, topic)
        {
            Address = http.TakeAddress(),
            ClientForLog = http.ClientForLog,
        };
        transport.Enqueue(response);
        server.HandOver(http.Slot, connection);
        _ = connection.RunAsync();
        return true;
    }

    // The 8 bytes of key3 (section 4.1, step 26), consumed; null if the client left first.
    private static async ValueTask<byte[]?> ReadKey3Async(PipeReader input)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync().ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (buffer.Length >= Hixie76Handshake.Key3Length)
            {
                byte[] key3 = buffer.Slice(0, Hixie76Handshake.Key3Length).ToArray();
                input.AdvanceTo(buffer.GetPosition(Hixie76Handshake.Key3Length));
                return key3;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return null;
            }
        }
    }
}
