using System.Buffers;
using System.Text;
using WsFast.Protocol;
using WsFast.Tests.Support;

namespace WsFast.Tests.Protocol;

/// <summary>What reading one request gave, and how many bytes it consumed.</summary>
internal sealed record HandshakeOutcome(HandshakeStatus Status, HandshakeError Error, HandshakeRequest? Request, long Consumed)
{
    /// <summary>Everything observable about the outcome, for comparing two ways of reading the same bytes.</summary>
    public string Describe() => $"{Status} {Error} consumed={Consumed} {(Request is null ? "" : HandshakeInput.Describe(Request))}";
}

/// <summary>Builds request bytes and feeds them to a reader the way a connection would.</summary>
internal static class HandshakeInput
{
    public const string RfcSampleRequest =
        "GET /chat HTTP/1.1\r\n" +
        "Host: server.example.com\r\n" +
        "Upgrade: websocket\r\n" +
        "Connection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
        "Origin: http://example.com\r\n" +
        "Sec-WebSocket-Protocol: chat, superchat\r\n" +
        "Sec-WebSocket-Version: 13\r\n" +
        "\r\n";

    public const string BrowserRequest =
        "GET / HTTP/1.1\r\n" +
        "Host: 192.168.11.8:9999\r\n" +
        "Connection: Upgrade\r\n" +
        "Pragma: no-cache\r\n" +
        "Cache-Control: no-cache\r\n" +
        "User-Agent: Mozilla/5.0 (Linux; Android 5.0; SM-G900P Build/LRX21T) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/79.0.3945.117 Mobile Safari/537.36\r\n" +
        "Upgrade: websocket\r\n" +
        "Origin: http://192.168.11.8\r\n" +
        "Sec-WebSocket-Version: 13\r\n" +
        "Accept-Encoding: gzip, deflate\r\n" +
        "Accept-Language: ja,en-US;q=0.9,en;q=0.8\r\n" +
        "Sec-WebSocket-Key: QM9LlNTkaJ2ytQ5w4v4Y0w==\r\n" +
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" +
        "\r\n";

    /// <summary>A minimal valid upgrade, with the given lines put in before the empty line.</summary>
    public static string Upgrade(string extraLines = "", string requestLine = "GET /ws HTTP/1.1") =>
        requestLine + "\r\n" +
        "Host: example.com\r\n" +
        "Upgrade: websocket\r\n" +
        "Connection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
        "Sec-WebSocket-Version: 13\r\n" +
        extraLines +
        "\r\n";

    public static byte[] Bytes(string text) => Encoding.Latin1.GetBytes(text);

    /// <summary>A sequence with one segment per piece.</summary>
    public static ReadOnlySequence<byte> Chain(IReadOnlyList<ReadOnlyMemory<byte>> pieces) =>
        Sequences.Of(pieces.Select(piece => piece.ToArray()).ToArray());

    /// <summary>Reads the bytes in one go, as one segment.</summary>
    public static HandshakeOutcome ReadAll(HandshakeReader reader, byte[] data) => Feed(reader, data, [data.Length]);

    /// <summary>Reads the text in one go with a reader of default limits.</summary>
    public static HandshakeOutcome ReadAll(string text) => ReadAll(new HandshakeReader(), Bytes(text));

    /// <summary>
    /// Feeds <paramref name="data"/> in pieces of the given sizes (the last size repeats until the data runs
    /// out), calling the reader after each with every unconsumed piece as its own segment, and checks the
    /// contract of every call on the way.
    /// </summary>
    public static HandshakeOutcome Feed(HandshakeReader reader, byte[] data, IReadOnlyList<int> sizes)
    {
        var pieces = new List<ReadOnlyMemory<byte>>();
        int offset = 0;
        int call = 0;
        while (offset < data.Length)
        {
            int size = Math.Min(Math.Max(1, sizes[Math.Min(call, sizes.Count - 1)]), data.Length - offset);
            pieces.Add(data.AsMemory(offset, size));
            offset += size;
            call++;

            ReadOnlySequence<byte> buffer = Chain(pieces);
            HandshakeStatus status = reader.TryRead(buffer, out SequencePosition consumed, out SequencePosition examined, out HandshakeRequest? request, out HandshakeError error);
            long consumedBytes = buffer.Slice(buffer.Start, consumed).Length;
            long examinedBytes = buffer.Slice(buffer.Start, examined).Length;
            Assert.InRange(consumedBytes, 0, examinedBytes);
            Assert.InRange(examinedBytes, 0, buffer.Length);
            Assert.True(Enum.IsDefined(status));

            switch (status)
            {
                case HandshakeStatus.Incomplete:
                    Assert.Equal(0, consumedBytes);
                    Assert.Equal(buffer.Length, examinedBytes);
                    Assert.Null(request);
                    Assert.Equal(HandshakeError.None, error);
                    // The reader never holds on to more than the limit without refusing.
                    Assert.InRange(buffer.Length, 0, reader.MaxHeaderBytes);
                    continue;
                case HandshakeStatus.Refused:
                    Assert.Null(request);
                    Assert.NotEqual(HandshakeError.None, error);
                    Assert.Equal(0, consumedBytes);
                    return new HandshakeOutcome(status, error, null, 0);
                default:
                    Assert.NotNull(request);
                    Assert.Equal(HandshakeError.None, error);
                    Assert.Equal(consumedBytes, examinedBytes);
                    Assert.InRange(consumedBytes, 4, reader.MaxHeaderBytes);
                    Assert.Equal(status == HandshakeStatus.Upgrade, request.IsWebSocketUpgrade);
                    return new HandshakeOutcome(status, error, request, consumedBytes);
            }
        }

        return new HandshakeOutcome(HandshakeStatus.Incomplete, HandshakeError.None, null, 0);
    }

    public static string Describe(HandshakeRequest request)
    {
        var text = new StringBuilder();
        text.Append(request.Method).Append(' ').Append(request.Path).Append(" ?").Append(request.Query)
            .Append(" host=").Append(request.Host).Append(" origin=").Append(request.Origin ?? "(none)")
            .Append(" key=").Append(request.Key).Append(" length=").Append(request.ContentLength?.ToString() ?? "(none)")
            .Append(" reason=").Append(request.NonUpgradeReason)
            .Append(" protocols=").Append(string.Join('|', request.Subprotocols))
            .Append(" extensions=").Append(string.Join('|', request.Extensions));
        foreach (KeyValuePair<string, string> header in request.Headers)
        {
            text.Append('\n').Append(header.Key).Append(": ").Append(header.Value);
        }

        return text.ToString();
    }
}
