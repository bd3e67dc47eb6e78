using System.Text;
using WsFast.Protocol;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Deflate;

/// <summary>RFC 7692 sections 6 and 7.2.2: compressed messages from a client, and every way they can be wrong.</summary>
public class ReceiveTests
{
    private static readonly byte[] DeflatedHello = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];

    [Fact]
    public async Task Section_7_2_3_1_a_compressed_Hello_in_one_frame_is_delivered_as_Hello()
    {
        await using TestServer server = await DeflateClient.StartServerAsync();
        (RawClient client, _) = await DeflateClient.OpenAsync(server.Port);
        await using (client)
        {
            await client.SendFramesAsync(DeflateClient.CompressedText(DeflatedHello));
            ServerFrame echo = await client.ReadFrameAsync();
            Assert.Equal("Hello", echo.Text);
            Assert.Equal(0, echo.Rsv); // five bytes: below the minimum size, sent uncompressed
            Assert.Equal(1, server.Server.Counters.CompressedMessagesIn);
        }
    }

    [Fact]
    public async Task Section_7_2_3_1_a_compressed_Hello_in_two_fragments_has_RSV1_on_the_first_only()
    {
        await using TestServer server = await DeflateClient.StartServerAsync();
        (RawClient client, _) = await DeflateClient.OpenAsync(server.Port);
        await using (client)
        {
            await client.SendFramesAsync(
                DeflateClient.Frame(0x41, [0xf2, 0x48, 0xcd]),
                DeflateClient.Frame(0x80, [0xc9, 0xc9, 0x07, 0x00]));
            Assert.Equal("Hello", (await client.ReadFrameAsync()).Text);
        }
    }

    [Fact]
    public async Task A_ping_between_compressed_fragments_is_answered_and_the_message_still_arrives()
    {
        await using TestServer server = await DeflateClient.StartServerAsync();
        (RawClient client, _) = await DeflateClient.OpenAsync(server.Port);
        await using (client)
        {
            await client.SendFramesAsync(
                DeflateClient.Frame(0x41, [0xf2, 0x48, 0xcd]),
                ClientFrames.Frame(Opcode.Ping, "between"u8),
                DeflateClient.Frame(0x80, [0xc9, 0xc9, 0x07, 0x00]));
            ServerFrame pong = await client.ReadFrameAsync();
            Assert.Equal(Opcode.Pong, pong.Opcode);
            Assert.Equal("between", pong.Text);
            Assert.Equal("Hello", (await client.ReadFrameAsync()).Text);
        }
    }

    [Theory]
    [InlineData(0xC0, "RSV1 on a continuation frame")]
    [InlineData(0xC9, "RSV1 on a ping")]
    public async Task Section_6_RSV1_anywhere_but_the_first_frame_of_a_data_message_is_1002(int firstByte, string what)
    {
        await using TestServer server = await DeflateClient.StartServerAsync();
        (RawClient client, _) = await DeflateClient.OpenAsync(server.Port);
        await using (client)
        {
            byte[] frame = firstByte == 0xC0
                ? ClientFrames.Concat(DeflateClient.Frame(0x41, [0xf2, 0x48, 0xcd]), DeflateClient.Frame(0xC0, [0xc9, 0xc9, 0x07, 0x00]))
                : DeflateClient.Frame(firstByte, "ping"u8);
            await client.SendFramesAsync(frame);
            ServerFrame close = await client.ReadFrameAsync();
            Assert.True(close.CloseCode == 1002, $"{what}: {close}");
        }
    }

    [Fact]
    public async Task RSV1_without_deflate_agreed_is_1002()
    {
        await using TestServer server = await DeflateClient.StartServerAsync();
        await using RawClient client = await RawClient.OpenAsync(server.Port); // offers nothing
        await client.SendFramesAsync(DeflateClient.CompressedText(DeflatedHello));
        Assert.Equal((ushort)1002, (await client.ReadFrameAsync()).CloseCode);
    }

    [Fact]
    public async Task Data_that_is_not_DEFLATE_is_1007_and_the_message_before_it_is_not_lost()
    {
        await using TestServer server = await DeflateClient.StartServerAsync();
        (RawClient client, _) = await DeflateClient.OpenAsync(server.Port);
        await using (client)
        {
            // BTYPE 11 is reserved (RFC 1951 section 3.2.3).
            await client.SendFramesAsync(DeflateClient.CompressedText(DeflatedHello), DeflateClient.CompressedText([0xff, 0xff, 0xff]));
            Assert.Equal("Hello", (await client.ReadFrameAsync()).Text);
            ServerFrame close = await client.ReadFrameAsync();
            Assert.Equal((ushort)1007, close.CloseCode);
            Assert.Equal("invalid compressed data", close.CloseReason);
        }
    }

    [Fact]
    public async Task Inflated_text_that_is_not_UTF8_is_1007_while_the_same_bytes_as_binary_are_fine()
    {
        byte[] notUtf8 = [.. "valid until here "u8, 0xC0, 0xAF];
        await using TestServer server = await DeflateClient.StartServerAsync();
        (RawClient client, _) = await DeflateClient.OpenAsync(server.Port);
        await using (client)
        {
            await client.SendFramesAsync(DeflateClient.CompressedBinary(DeflateClient.Deflate(notUtf8)));
            Assert.Equal(notUtf8, (await client.ReadFrameAsync()).Payload);
            await client.SendFramesAsync(DeflateClient.CompressedText(DeflateClient.Deflate(notUtf8)));
            ServerFrame close = await client.ReadFrameAsync();
            Assert.Equal((ushort)1007, close.CloseCode);
        }
    }

    [Fact]
    public async Task A_code_point_split_between_compressed_fragments_is_valid()
    {
        byte[] text = Encoding.UTF8.GetBytes("price in €, " + new string('x', 100));
        byte[] deflated = DeflateClient.Deflate(text);
        await using TestServer server = await DeflateClient.StartServerAsync();
        (RawClient client, _) = await DeflateClient.OpenAsync(server.Port);
        await using (client)
        {
            for (int cut = 1; cut < deflated.Length; cut += 3)
            {
                await client.SendFramesAsync(DeflateClient.Frame(0x41, deflated[..cut]), DeflateClient.Frame(0x80, deflated[cut..]));
            }

            for (int cut = 1; cut < deflated.Length; cut += 3)
            {
                ServerFrame echo = await client.ReadFrameAsync();
                Assert.Equal(text, echo.Rsv == 0 ? echo.Payload : DeflateClient.Inflate(NewInflater(), echo.Payload));
            }
        }
    }

    [Fact]
    public async Task A_deflate_bomb_is_closed_with_1009_before_it_is_inflated_past_the_message_limit()
    {
        // 64 MiB of zeros deflate to ~64 KiB: well within the frame limit, far beyond the message limit once inflated.
        byte[] bomb = DeflateClient.Deflate(new byte[64 * 1024 * 1024]);
        Assert.True(bomb.Length < 128 * 1024);
        await using TestServer server = await DeflateClient.StartServerAsync(options: o => o.MaxMessageSize = 1024 * 1024);
        (RawClient client, _) = await DeflateClient.OpenAsync(server.Port);
        await using (client)
        {
            long before = GC.GetTotalMemory(forceFullCollection: true);
            await client.SendFramesAsync(DeflateClient.CompressedBinary(bomb));
            ServerFrame close = await client.ReadFrameAsync();
            Assert.Equal((ushort)1009, close.CloseCode);
            Assert.Equal("message too big once inflated", close.CloseReason);
            long grown = GC.GetTotalMemory(forceFullCollection: true) - before;
            Assert.True(grown < 8 * 1024 * 1024, $"the heap grew by {grown} bytes");
        }
    }

    [Fact]
    public async Task A_message_inflating_to_exactly_the_limit_is_delivered()
    {
        byte[] payload = Encoding.ASCII.GetBytes(new string('a', 4096));
        await using TestServer server = await DeflateClient.StartServerAsync(options: o => o.MaxMessageSize = 4096);
        (RawClient client, _) = await DeflateClient.OpenAsync(server.Port);
        await using (client)
        {
            await client.SendFramesAsync(DeflateClient.CompressedText(DeflateClient.Deflate(payload)));
            ServerFrame echo = await client.ReadFrameAsync();
            Assert.Equal(payload, DeflateClient.Inflate(NewInflater(), echo.Payload));
            await client.SendFramesAsync(DeflateClient.CompressedText(DeflateClient.Deflate([.. payload, (byte)'a'])));
            Assert.Equal((ushort)1009, (await client.ReadFrameAsync()).CloseCode);
        }
    }

    [Fact]
    public async Task Section_7_2_3_2_a_client_told_to_reset_that_refers_back_anyway_is_1007()
    {
        await using TestServer server = await DeflateClient.StartServerAsync();
        (RawClient client, string? extensions) = await DeflateClient.OpenAsync(server.Port, offer: "permessage-deflate");
        await using (client)
        {
            Assert.Contains("client_no_context_takeover", extensions);
            await client.SendFramesAsync(DeflateClient.CompressedText(DeflatedHello), DeflateClient.CompressedText([0xf2, 0x00, 0x11, 0x00, 0x00]));
            Assert.Equal("Hello", (await client.ReadFrameAsync()).Text);
            Assert.Equal((ushort)1007, (await client.ReadFrameAsync()).CloseCode);
        }
    }

    [Fact]
    public async Task Section_7_2_3_2_a_client_allowed_context_takeover_may_refer_back_to_its_last_message()
    {
        await using TestServer server = await DeflateClient.StartServerAsync(d => d.ClientContextTakeover = true);
        (RawClient client, string? extensions) = await DeflateClient.OpenAsync(server.Port, offer: "permessage-deflate");
        await using (client)
        {
            Assert.DoesNotContain("client_no_context_takeover", extensions);
            await client.SendFramesAsync(DeflateClient.CompressedText(DeflatedHello), DeflateClient.CompressedText([0xf2, 0x00, 0x11, 0x00, 0x00]));
            Assert.Equal("Hello", (await client.ReadFrameAsync()).Text);
            Assert.Equal("Hello", (await client.ReadFrameAsync()).Text);
        }
    }

    [Fact]
    public async Task Section_7_2_3_4_a_message_ended_by_a_BFINAL_block_is_delivered_and_the_next_one_starts_clean()
    {
        await using TestServer server = await DeflateClient.StartServerAsync(d => d.ClientContextTakeover = true);
        (RawClient client, _) = await DeflateClient.OpenAsync(server.Port, offer: "permessage-deflate");
        await using (client)
        {
            await client.SendFramesAsync(
                DeflateClient.CompressedText([0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00]),
                DeflateClient.CompressedText(DeflatedHello));
            Assert.Equal("Hello", (await client.ReadFrameAsync()).Text);
            Assert.Equal("Hello", (await client.ReadFrameAsync()).Text);
        }
    }

    private static WsFast.Protocol.Deflate.MessageInflater NewInflater() => WsFast.Protocol.Deflate.MessageInflater.Create(15)!;
}
