using System.Text;
using WsFast.Protocol.Deflate;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Deflate;

/// <summary>RFC 7692 section 7.2.1 and 7.1: what the server compresses, and that it keeps to what it agreed.</summary>
public class SendTests
{
    private static readonly byte[] Json = Encoding.UTF8.GetBytes(string.Concat(
        Enumerable.Range(0, 30).Select(i => $"{{\"id\":{i},\"symbol\":\"ACME\",\"price\":{100 + i}.25,\"side\":\"buy\"}},")));

    [Fact]
    public async Task A_compressible_message_goes_out_with_RSV1_without_the_tail_and_inflates_to_itself()
    {
        await using TestServer server = await DeflateClient.StartServerAsync();
        (RawClient client, _) = await DeflateClient.OpenAsync(server.Port);
        await using (client)
        {
            await client.SendFramesAsync(ClientFrames.Frame(WsFast.Protocol.Opcode.Text, Json));
            ServerFrame echo = await client.ReadFrameAsync();
            Assert.Equal(4, echo.Rsv); // RSV1
            Assert.True(echo.Payload.Length < Json.Length / 3, $"{echo.Payload.Length} bytes for {Json.Length}");
            Assert.False(echo.Payload.AsSpan().EndsWith(MessageDeflater.Tail));
            Assert.Equal(Json, DeflateClient.Inflate(MessageInflater.Create(12)!, echo.Payload));
            Assert.Equal(1, server.Server.Counters.CompressedMessagesOut);
        }
    }

    [Fact]
    public async Task Short_and_incompressible_messages_go_out_uncompressed()
    {
        byte[] noise = new byte[2000];
        new Random(1).NextBytes(noise);
        await using TestServer server = await DeflateClient.StartServerAsync();
        (RawClient client, _) = await DeflateClient.OpenAsync(server.Port);
        await using (client)
        {
            await client.SendFramesAsync(ClientFrames.Text("short"), ClientFrames.Frame(WsFast.Protocol.Opcode.Binary, noise));
            ServerFrame shortEcho = await client.ReadFrameAsync();
            ServerFrame noiseEcho = await client.ReadFrameAsync();
            Assert.Equal((0, "short"), (shortEcho.Rsv, shortEcho.Text));
            Assert.Equal(0, noiseEcho.Rsv);
            Assert.Equal(noise, noiseEcho.Payload);
        }
    }

    [Fact]
    public async Task With_server_no_context_takeover_every_message_stands_alone()
    {
        await using TestServer server = await DeflateClient.StartServerAsync();
        (RawClient client, _) = await DeflateClient.OpenAsync(server.Port);
        await using (client)
        {
            await client.SendFramesAsync(ClientFrames.Frame(WsFast.Protocol.Opcode.Text, Json), ClientFrames.Frame(WsFast.Protocol.Opcode.Text, Json));
            byte[] first = (await client.ReadFrameAsync()).Payload;
            byte[] second = (await client.ReadFrameAsync()).Payload;
            Assert.Equal(first, second);

            // A fresh decompressor for each: nothing refers to an earlier message.
            Assert.Equal(Json, DeflateClient.Inflate(MessageInflater.Create(12)!, second));
        }
    }

    [Fact]
    public async Task With_context_takeover_agreed_the_second_message_refers_back_to_the_first()
    {
        await using TestServer server = await DeflateClient.StartServerAsync(d => d.ServerContextTakeover = true);
        (RawClient client, string? extensions) = await DeflateClient.OpenAsync(server.Port, offer: "permessage-deflate");
        await using (client)
        {
            Assert.DoesNotContain("server_no_context_takeover", extensions);
            await client.SendFramesAsync(ClientFrames.Frame(WsFast.Protocol.Opcode.Text, Json), ClientFrames.Frame(WsFast.Protocol.Opcode.Text, Json));
            byte[] first = (await client.ReadFrameAsync()).Payload;
            byte[] second = (await client.ReadFrameAsync()).Payload;
            Assert.True(second.Length < first.Length / 4, $"{second.Length} bytes after {first.Length}");
            using MessageInflater inflater = MessageInflater.Create(12)!;
            Assert.Equal(Json, DeflateClient.Inflate(inflater, first));
            Assert.Equal(Json, DeflateClient.Inflate(inflater, second));
        }
    }

    [Theory]
    [InlineData(8)]
    [InlineData(10)]
    public async Task Section_7_1_2_1_an_agreed_server_window_is_never_exceeded(int bits)
    {
        // Repeats further apart than the window: a decompressor of exactly that window must still decode them.
        var random = new Random(bits);
        byte[] block = new byte[(1 << bits) + 100];
        random.NextBytes(block.AsSpan(0, 200));
        block.AsSpan(0, 200).CopyTo(block.AsSpan(block.Length - 200));
        byte[] text = Encoding.ASCII.GetBytes(Convert.ToHexString(block));
        await using TestServer server = await DeflateClient.StartServerAsync(d => d.ServerContextTakeover = true);
        (RawClient client, string? extensions) = await DeflateClient.OpenAsync(server.Port, offer: $"permessage-deflate; server_max_window_bits={bits}");
        await using (client)
        {
            Assert.Contains($"server_max_window_bits={bits}", extensions);
            using MessageInflater inflater = MessageInflater.Create(bits)!;
            for (int i = 0; i < 3; i++)
            {
                await client.SendFramesAsync(ClientFrames.Frame(WsFast.Protocol.Opcode.Text, text));
                ServerFrame echo = await client.ReadFrameAsync();
                Assert.Equal(4, echo.Rsv);
                Assert.Equal(text, DeflateClient.Inflate(inflater, echo.Payload));
            }
        }
    }

    [Fact]
    public async Task A_connections_own_compressor_is_released_when_it_goes_idle()
    {
        await using TestServer server = await DeflateClient.StartServerAsync(d =>
        {
            d.ServerContextTakeover = true;
            d.IdleRelease = TimeSpan.FromMilliseconds(200);
        });
        (RawClient client, _) = await DeflateClient.OpenAsync(server.Port, offer: "permessage-deflate");
        await using (client)
        {
            await client.SendFramesAsync(ClientFrames.Frame(WsFast.Protocol.Opcode.Text, Json));
            using MessageInflater inflater = MessageInflater.Create(12)!;
            Assert.Equal(Json, DeflateClient.Inflate(inflater, (await client.ReadFrameAsync()).Payload));
            WsFast.WebSocketConnection connection = Assert.Single(server.Server.Endpoints["/echo"].Connections);
            Assert.True(connection.Deflate!.HoldsOwnCompressor);
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (connection.Deflate.HoldsOwnCompressor && waited.Elapsed < TimeSpan.FromSeconds(5))
            {
                await Task.Delay(50);
            }

            Assert.False(connection.Deflate.HoldsOwnCompressor, "the idle compressor was not released");

            // And the next message is compressed afresh, which the client's kept window decodes just as well.
            await client.SendFramesAsync(ClientFrames.Frame(WsFast.Protocol.Opcode.Text, Json));
            Assert.Equal(Json, DeflateClient.Inflate(inflater, (await client.ReadFrameAsync()).Payload));
        }
    }
}
