using System.Text;
using WsFast.Protocol;
using WsFast.Protocol.Deflate;
using WsFast.Server;
using WsFast.Tests.Server;

namespace WsFast.Tests.Deflate;

/// <summary>
/// Compress once for broadcast: a topic compresses each message once and shares that frame with every subscriber
/// that agreed to <c>server_no_context_takeover</c>, and its one uncompressed frame with the others.
/// </summary>
public class BroadcastTests
{
    private static readonly byte[] Json = Encoding.UTF8.GetBytes(string.Concat(
        Enumerable.Range(0, 25).Select(i => $"{{\"seq\":{i},\"symbol\":\"ACME\",\"bid\":{100 + i}.25,\"ask\":{101 + i}.5}},")));

    [Fact]
    public async Task Deflate_subscribers_get_the_same_compressed_frame_and_the_others_the_plain_one()
    {
        await using TestServer server = await DeflateClient.StartServerAsync(broadcastTopics: true);
        var compressed = new List<RawClient>();
        for (int i = 0; i < 3; i++)
        {
            (RawClient client, _) = await DeflateClient.OpenAsync(server.Port, "/broadcast/quotes");
            compressed.Add(client);
        }

        await using RawClient plain = await RawClient.OpenAsync(server.Port, "/broadcast/quotes");
        try
        {
            await WaitForSubscribersAsync(server, "quotes", 4);
            Assert.Equal(4, server.Server.Topics.Publish("quotes", MessageType.Text, Json).Subscribers);

            var payloads = new List<byte[]>();
            foreach (RawClient client in compressed)
            {
                ServerFrame frame = await client.ReadFrameAsync();
                Assert.Equal(4, frame.Rsv);
                payloads.Add(frame.Payload);
            }

            Assert.All(payloads, p => Assert.Equal(payloads[0], p));
            Assert.Equal(Json, DeflateClient.Inflate(MessageInflater.Create(12)!, payloads[0]));
            ServerFrame uncompressed = await plain.ReadFrameAsync();
            Assert.Equal(0, uncompressed.Rsv);
            Assert.Equal(Json, uncompressed.Payload);
            Assert.Equal(3, server.Server.Counters.CompressedMessagesOut);
        }
        finally
        {
            foreach (RawClient client in compressed)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public void A_topic_message_is_compressed_once_whatever_the_number_of_subscribers()
    {
        var options = new PerMessageDeflateOptions();
        var agreement = new DeflateAgreement(true, true, 12, 15, true, false);
        var frame = WsFast.Transport.SharedBufferPool.Shared.Rent(FrameWriter.HeaderSize(Json.Length) + Json.Length);
        int header = FrameWriter.WriteHeader(frame.Span, Opcode.Text, Json.Length);
        Json.CopyTo(frame.Span.Slice(header));
        frame.Length = header + Json.Length;
        var message = new TopicMessage(new Topic("compressed", registry: null, budget: null, new ServerCounters()), 1, MessageType.Text, frame, header, DateTime.UtcNow);
        try
        {
            WsFast.Transport.SharedBuffer? first = message.CompressedFrameFor(new ConnectionDeflate(agreement, options));
            Assert.NotNull(first);
            for (int i = 0; i < 100; i++)
            {
                Assert.Same(first, message.CompressedFrameFor(new ConnectionDeflate(agreement, options)));
            }

            // A subscriber that asked for a smaller window than the shared frame's cannot take it.
            Assert.Null(message.CompressedFrameFor(new ConnectionDeflate(agreement with { ServerMaxWindowBits = 10 }, options)));

            // Nor one that keeps context: its client's window would no longer match its compressor's.
            Assert.Null(message.CompressedFrameFor(new ConnectionDeflate(agreement with { ServerNoContextTakeover = false }, options)));
        }
        finally
        {
            message.Release();
        }
    }

    [Fact]
    public async Task A_subscriber_that_kept_context_gets_broadcasts_uncompressed_unless_asked_otherwise()
    {
        await using TestServer server = await DeflateClient.StartServerAsync(d => d.ServerContextTakeover = true, broadcastTopics: true);
        (RawClient keeps, string? extensions) = await DeflateClient.OpenAsync(server.Port, "/broadcast/t", offer: "permessage-deflate");
        await using (keeps)
        {
            Assert.DoesNotContain("server_no_context_takeover", extensions);
            await WaitForSubscribersAsync(server, "t", 1);
            server.Server.Topics.Publish("t", MessageType.Text, Json);
            ServerFrame frame = await keeps.ReadFrameAsync();
            Assert.Equal(0, frame.Rsv);
            Assert.Equal(Json, frame.Payload);
        }
    }

    [Fact]
    public async Task Per_connection_compression_of_broadcasts_keeps_the_clients_context_in_step()
    {
        await using TestServer server = await DeflateClient.StartServerAsync(
            d => { d.ServerContextTakeover = true; d.CompressBroadcastsPerConnection = true; }, broadcastTopics: true);
        (RawClient keeps, _) = await DeflateClient.OpenAsync(server.Port, "/broadcast/t", offer: "permessage-deflate");
        await using (keeps)
        {
            await WaitForSubscribersAsync(server, "t", 1);
            using MessageInflater inflater = MessageInflater.Create(15)!;
            var sizes = new List<int>();
            for (int i = 0; i < 3; i++)
            {
                server.Server.Topics.Publish("t", MessageType.Text, Json);
                ServerFrame frame = await keeps.ReadFrameAsync();
                Assert.Equal(4, frame.Rsv);
                Assert.Equal(Json, DeflateClient.Inflate(inflater, frame.Payload));
                sizes.Add(frame.Payload.Length);
            }

            Assert.True(sizes[1] < sizes[0] / 4, string.Join(", ", sizes)); // the second refers back to the first
        }
    }

    private static async Task WaitForSubscribersAsync(TestServer server, string topic, int count)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while ((server.Server.Topics.Find(topic)?.SubscriberCount ?? 0) < count)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(5), $"{topic} never had {count} subscribers");
            await Task.Delay(20);
        }
    }
}
