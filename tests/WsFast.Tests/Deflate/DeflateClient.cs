using System.Buffers;
using WsFast.Protocol;
using WsFast.Protocol.Deflate;
using WsFast.Server;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Deflate;

/// <summary>A raw client that offers permessage-deflate, and what it needs to speak it by hand.</summary>
internal static class DeflateClient
{
    /// <summary>What every browser sends (Chromium's offer).</summary>
    public const string BrowserOffer = "permessage-deflate; client_max_window_bits";

    /// <summary>Opens a raw connection offering <paramref name="offer"/>; returns it with the 101's extensions.</summary>
    public static async Task<(RawClient Client, string? Extensions)> OpenAsync(int port, string path = "/echo", string offer = BrowserOffer)
    {
        RawClient client = await RawClient.ConnectAsync(port);
        string request = RawClient.UpgradeRequest(path).Replace("\r\n\r\n", $"\r\nSec-WebSocket-Extensions: {offer}\r\n\r\n");
        await client.SendAsync(request);
        HttpHead head = await client.ReadHeadAsync();
        Assert.True(head.Status == 101, head.StatusLine);
        return (client, head.Header("Sec-WebSocket-Extensions"));
    }

    /// <summary>Starts a server whose endpoints negotiate deflate with <paramref name="configure"/>'d options.</summary>
    public static Task<TestServer> StartServerAsync(
        Action<PerMessageDeflateOptions>? configure = null, Action<WsFastServerOptions>? options = null, bool broadcastTopics = false)
    {
        return TestServer.StartAsync(o =>
        {
            var deflate = new PerMessageDeflateOptions();
            configure?.Invoke(deflate);
            o.PerMessageDeflate = deflate;
            options?.Invoke(o);
        }, broadcastTopics: broadcastTopics);
    }

    /// <summary>A masked frame whose first byte is given whole (FIN, RSV1, opcode).</summary>
    public static byte[] Frame(int firstByte, ReadOnlySpan<byte> payload) =>
        ClientFrames.Frame(Opcode.Text, payload, firstByte: firstByte);

    /// <summary>A single-frame compressed text message (FIN, RSV1, text).</summary>
    public static byte[] CompressedText(ReadOnlySpan<byte> deflated) => Frame(0xC1, deflated);

    /// <summary>A single-frame compressed binary message.</summary>
    public static byte[] CompressedBinary(ReadOnlySpan<byte> deflated) => Frame(0xC2, deflated);

    /// <summary>Compresses as a client would, without context, with the closing tail removed.</summary>
    public static byte[] Deflate(ReadOnlySpan<byte> payload, int windowBits = 15)
    {
        using MessageDeflater deflater = MessageDeflater.Create(6, windowBits, 8, keepsContext: false)!;
        byte[] output = new byte[payload.Length + 64];
        int length = deflater.Compress(payload, output);
        return output.AsSpan(0, length).ToArray();
    }

    /// <summary>Inflates a server's compressed payload with a decompressor the test keeps (context as agreed).</summary>
    public static byte[] Inflate(MessageInflater inflater, byte[] payload)
    {
        var output = new ArrayBufferWriter<byte>();
        Feed(inflater, payload, output);
        Feed(inflater, MessageDeflater.Tail, output);
        return output.WrittenSpan.ToArray();
    }

    private static void Feed(MessageInflater inflater, ReadOnlySpan<byte> input, ArrayBufferWriter<byte> output)
    {
        while (true)
        {
            Span<byte> space = output.GetSpan(4096);
            InflateStatus status = inflater.Inflate(input, space, out int consumed, out int written);
            Assert.NotEqual(InflateStatus.Invalid, status);
            output.Advance(written);
            input = input[consumed..];
            if (status == InflateStatus.End || (input.IsEmpty && written < space.Length))
            {
                return;
            }
        }
    }
}
