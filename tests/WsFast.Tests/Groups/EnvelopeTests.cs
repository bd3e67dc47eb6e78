using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using WsFast.Tests.Broadcast;
using WsFast.Tests.Server;

namespace WsFast.Tests.Groups;

/// <summary>
/// The <c>wsfast.v1</c> subprotocol: topic messages in envelopes that carry the topic, its epoch and the
/// sequence number, and a resume from a cursor that sends the missed history first, then live messages, with
/// no gap and no duplicate. Clients that do not ask get the same bytes as ever.
/// </summary>
public class EnvelopeTests
{
    private const string Envelopes = "wsfast.v1";

    /// <summary>One envelope, parsed.</summary>
    private sealed record Envelope(string Topic, long Epoch, long Seq, string? Data, byte[]? Binary, JsonElement Json);

    private static Action<ClientWebSocketOptions> AskForEnvelopes => options => options.AddSubProtocol(Envelopes);

    private static async Task<Envelope> ReceiveEnvelopeAsync(ClientWebSocket client)
    {
        (WebSocketMessageType type, byte[] payload) = await BroadcastKit.ReceiveAsync(client);
        byte[]? binary = null;
        if (type == WebSocketMessageType.Binary)
        {
            int lineFeed = Array.IndexOf(payload, (byte)'\n');
            binary = payload[(lineFeed + 1)..];
            payload = payload[..lineFeed];
        }

        JsonElement json = JsonDocument.Parse(payload).RootElement.Clone();
        return new Envelope(
            json.GetProperty("topic").GetString()!,
            json.GetProperty("epoch").GetInt64(),
            json.TryGetProperty("seq", out JsonElement seq) ? seq.GetInt64() : 0,
            json.TryGetProperty("data", out JsonElement data) ? data.GetString() : null,
            binary,
            json);
    }

    [Fact]
    public async Task A_client_that_asks_gets_envelopes_and_the_others_get_todays_bytes()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        using ClientWebSocket plain = await server.ConnectAsync("/broadcast/news");
        using ClientWebSocket enveloped = await server.ConnectAsync("/broadcast/news", AskForEnvelopes);
        Assert.Null(plain.SubProtocol);
        Assert.Equal(Envelopes, enveloped.SubProtocol);
        await BroadcastKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount("news") == 2, "both to subscribe");
        Topic news = server.Server.Topics.Find("news")!;

        // What JSON must escape, and what it must not touch.
        string text = "quote \" backslash \\ line\nbreak\r tab\t nul\0 unit\u001f é 日本 🎉 </script>";
        byte[] bytes = [0, (byte)'\n', 255, (byte)'{', 10, 13];
        server.Server.Topics.Publish("news", text);
        server.Server.Topics.Publish("news", MessageType.Binary, bytes);

        Assert.Equal(text, await BroadcastKit.ReceiveTextAsync(plain));
        (WebSocketMessageType type, byte[] plainBytes) = await BroadcastKit.ReceiveAsync(plain);
        Assert.Equal(WebSocketMessageType.Binary, type);
        Assert.Equal(bytes, plainBytes);

        Envelope first = await ReceiveEnvelopeAsync(enveloped);
        Assert.Equal(("news", news.Epoch, 1L, text), (first.Topic, first.Epoch, first.Seq, first.Data));
        Envelope second = await ReceiveEnvelopeAsync(enveloped);
        Assert.Equal(("news", news.Epoch, 2L), (second.Topic, second.Epoch, second.Seq));
        Assert.Equal(bytes, second.Binary);

        // The endpoint's own broadcast has no topic name or cursor: it arrives as sent, to both.
        server.Server.Endpoints["/broadcast"].Broadcast("to the endpoint");
        Assert.Equal("to the endpoint", await BroadcastKit.ReceiveTextAsync(plain));
        Assert.Equal("to the endpoint", await BroadcastKit.ReceiveTextAsync(enveloped));
        await BroadcastKit.CloseAllAsync([plain, enveloped]);
    }

    [Fact]
    public async Task An_envelope_is_built_once_per_message_and_only_when_a_subscriber_asked_for_envelopes()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        ClientWebSocket[] plain = await BroadcastKit.SubscribeAsync(server, "/broadcast/once", "once", 3);
        long epoch = server.Server.Topics.Find("once")!.Epoch;

        // The history counts the bytes each message holds: its frame (2 + 5 bytes) and nothing else.
        server.Server.Topics.Publish("once", "hello");
        Assert.Equal(7, server.Server.Topics.HistoryBytes);

        var enveloped = new List<ClientWebSocket>();
        for (int i = 0; i < 3; i++)
        {
            enveloped.Add(await server.ConnectAsync("/broadcast/once", AskForEnvelopes));
        }

        await BroadcastKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount("once") == 6, "every subscriber");
        server.Server.Topics.Publish("once", "world");
        string json = $$"""{"topic":"once","epoch":{{epoch}},"seq":2,"data":"world"}""";

        // Two frames and one envelope (whose frame header is 2 bytes), however many subscribers share them.
        Assert.Equal(7 + 7 + 2 + json.Length, server.Server.Topics.HistoryBytes);
        foreach (ClientWebSocket client in enveloped)
        {
            Assert.Equal(json, await BroadcastKit.ReceiveTextAsync(client));
        }

        await BroadcastKit.CloseAllAsync([.. plain, .. enveloped]);
    }

    [Fact]
    public async Task A_client_resuming_from_a_cursor_while_messages_are_published_gets_each_message_once_in_order()
    {
        await using TestServer server = await BroadcastKit.StartAsync(options => options.Broadcast.HistorySize = 1000);
        for (int i = 1; i <= 50; i++)
        {
            server.Server.Topics.Publish("live", $"m{i}");
        }

        long epoch = server.Server.Topics.Find("live")!.Epoch;
        const int Last = 400;
        Task publisher = Task.Run(async () =>
        {
            for (int i = 51; i <= Last; i++)
            {
                server.Server.Topics.Publish("live", $"m{i}");
                if (i % 10 == 0)
                {
                    await Task.Delay(1);
                }
            }
        });

        // The subscription is made while the publisher runs: the history up to some point, then live messages.
        using ClientWebSocket client = await server.ConnectAsync($"/broadcast/live?after={epoch}:20", AskForEnvelopes);
        await publisher;
        var sequences = new List<long>();
        while (sequences.Count == 0 || sequences[^1] < Last)
        {
            Envelope envelope = await ReceiveEnvelopeAsync(client);
            Assert.Equal($"m{envelope.Seq}", envelope.Data);
            sequences.Add(envelope.Seq);
        }

        Assert.Equal(Enumerable.Range(21, Last - 20).Select(i => (long)i), sequences);
        await BroadcastKit.CloseAllAsync([client]);
    }

    [Fact]
    public async Task A_cursor_older_than_the_history_gets_a_gap_envelope_before_the_catch_up()
    {
        await using TestServer server = await BroadcastKit.StartAsync(options => options.Broadcast.HistorySize = 3);
        for (int i = 1; i <= 6; i++)
        {
            server.Server.Topics.Publish("gappy", $"m{i}"); // the history holds 4, 5, 6
        }

        long epoch = server.Server.Topics.Find("gappy")!.Epoch;
        using ClientWebSocket client = await server.ConnectAsync($"/broadcast/gappy?after={epoch}:1", AskForEnvelopes);

        Envelope gap = await ReceiveEnvelopeAsync(client);
        Assert.True(gap.Json.GetProperty("gap").GetBoolean());
        Assert.Equal((epoch, 2L, 3L), (gap.Epoch, gap.Json.GetProperty("first").GetInt64(), gap.Json.GetProperty("last").GetInt64()));
        Assert.False(gap.Json.TryGetProperty("reset", out _));
        for (int i = 4; i <= 6; i++)
        {
            Assert.Equal((long)i, (await ReceiveEnvelopeAsync(client)).Seq);
        }

        await BroadcastKit.CloseAllAsync([client]);
    }

    [Fact]
    public async Task A_cursor_of_another_epoch_is_reported_as_a_reset_then_the_whole_history_follows()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        server.Server.Topics.Publish("reborn", "m1");
        server.Server.Topics.Publish("reborn", "m2");
        long epoch = server.Server.Topics.Find("reborn")!.Epoch;

        // A cursor from before a restart: its epoch is not this topic's, whatever its sequence number.
        using ClientWebSocket client = await server.ConnectAsync($"/broadcast/reborn?after={epoch + 1}:1", AskForEnvelopes);
        Envelope gap = await ReceiveEnvelopeAsync(client);
        Assert.True(gap.Json.GetProperty("gap").GetBoolean());
        Assert.True(gap.Json.GetProperty("reset").GetBoolean());
        Assert.Equal(epoch, gap.Epoch);
        Assert.Equal(("m1", "m2"), ((await ReceiveEnvelopeAsync(client)).Data, (await ReceiveEnvelopeAsync(client)).Data));
        await BroadcastKit.CloseAllAsync([client]);
    }

    [Fact]
    public async Task A_topic_made_again_after_losing_its_history_has_a_new_epoch()
    {
        (TestServer server, ChatRooms chat) = await GroupsKit.StartAsync(options => options.Broadcast.HistorySize = 0);
        await using TestServer running = server;
        (ClientWebSocket client, _) = await GroupsKit.ConnectAsync(server, chat, "");
        Assert.Equal("joined:t:true", await GroupsKit.CommandAsync(client, "join:t"));
        long first = server.Server.Topics.Find("t")!.Epoch;

        Assert.Equal("left:t:true", await GroupsKit.CommandAsync(client, "leave:t"));
        Assert.Null(server.Server.Topics.Find("t"));
        Assert.Equal("joined:t:true", await GroupsKit.CommandAsync(client, "join:t"));
        Assert.NotEqual(first, server.Server.Topics.Find("t")!.Epoch);
        await BroadcastKit.CloseAllAsync([client]);
    }

    [Fact]
    public async Task Server_code_can_resume_a_room_from_the_clients_cursor()
    {
        (TestServer server, ChatRooms chat) = await GroupsKit.StartAsync();
        await using TestServer running = server;
        (ClientWebSocket client, _) = await GroupsKit.ConnectAsync(server, chat, "", AskForEnvelopes);
        for (int i = 1; i <= 4; i++)
        {
            server.Server.Topics.Publish("room", $"m{i}");
        }

        long epoch = server.Server.Topics.Find("room")!.Epoch;
        await BroadcastKit.SendTextAsync(client, $"join:room:{epoch}:2");
        Assert.Equal((3L, "m3"), await SeqAndData(client));
        Assert.Equal((4L, "m4"), await SeqAndData(client));
        Assert.Equal("joined:room:true", await BroadcastKit.ReceiveTextAsync(client)); // the handler's own send, as sent
        server.Server.Topics.Publish("room", "m5");
        Assert.Equal((5L, "m5"), await SeqAndData(client));
        await BroadcastKit.CloseAllAsync([client]);

        static async Task<(long, string?)> SeqAndData(ClientWebSocket client)
        {
            Envelope envelope = await ReceiveEnvelopeAsync(client);
            return (envelope.Seq, envelope.Data);
        }
    }

    [Theory]
    [InlineData("x")]
    [InlineData("1:")]
    [InlineData("0:5")]
    [InlineData("-1:5")]
    [InlineData("1:2:3")]
    public async Task A_cursor_that_is_not_one_gets_400_at_the_upgrade(string cursor)
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        (RawConnection connection, RawResponse response) = await RawConnection.UpgradeAsync(server.Port, $"/broadcast/news?after={Uri.EscapeDataString(cursor)}");
        using RawConnection _ = connection;
        Assert.Equal(400, response.Status);
        Assert.Null(server.Server.Topics.Find("news"));
    }

    [Theory]
    [InlineData(SlowConsumerPolicy.Drop)]
    [InlineData(SlowConsumerPolicy.Disconnect)]
    public async Task A_resume_larger_than_the_queue_bound_stops_at_the_bound_and_reports_the_rest_as_a_gap(SlowConsumerPolicy policy)
    {
        await using TestServer server = await BroadcastKit.StartAsync(
            options => options.MaxQueuedOutboundMessages = 4,
            s => s.Endpoints["/broadcast"].SlowConsumerPolicy = policy);
        for (int i = 1; i <= 100; i++)
        {
            server.Server.Topics.Publish("big", $"m{i}");
        }

        long epoch = server.Server.Topics.Find("big")!.Epoch;
        using ClientWebSocket client = await server.ConnectAsync($"/broadcast/big?after={epoch}:0", AskForEnvelopes);

        // The unbroken start of the history, as much as the queue holds; then the gap naming the rest.
        long expected = 1;
        Envelope envelope;
        while (!(envelope = await ReceiveEnvelopeAsync(client)).Json.TryGetProperty("gap", out _))
        {
            Assert.Equal(expected++, envelope.Seq);
        }

        Assert.InRange(expected - 1, 0, 4);
        Assert.Equal((expected, 100L), (envelope.Json.GetProperty("first").GetInt64(), envelope.Json.GetProperty("last").GetInt64()));

        // Then live messages, the connection untouched by either policy.
        await BroadcastKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount("big") == 1, "the subscription");
        server.Server.Topics.Publish("big", "m101");
        Assert.Equal((101L, "m101"), ((envelope = await ReceiveEnvelopeAsync(client)).Seq, envelope.Data));
        Assert.Equal(0, server.Server.Counters.SlowConsumerDisconnects);
        Assert.Equal(0, server.Server.Counters.Dropped);
        await BroadcastKit.CloseAllAsync([client]);
    }
}
