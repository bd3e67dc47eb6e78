using System.Net;
using System.Text.Json;
using WsFast.Tests.Broadcast;
using WsFast.Tests.Server;

namespace WsFast.Tests.Groups;

/// <summary>
/// Event streams and polls carry the topic's epoch in their cursor (<c>epoch:sequence</c>): a cursor from
/// before the topic lost its history (a restart, an expiry) is reported as a gap, never silently applied to
/// the new numbering. Bare sequence numbers keep working within the current epoch.
/// </summary>
public class EpochCursorTests
{
    [Fact]
    public async Task A_poll_answer_gives_the_cursor_to_poll_from_next()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        using HttpClient http = BroadcastKit.HttpClient(server);
        server.Server.Topics.Publish("polled", "m1");
        server.Server.Topics.Publish("polled", "m2");
        long epoch = server.Server.Topics.Find("polled")!.Epoch;

        JsonElement first = await PollAsync(http, "/poll/polled?after=0&wait=0");
        Assert.Equal(epoch, first.GetProperty("epoch").GetInt64());
        Assert.Equal($"{epoch}:2", first.GetProperty("cursor").GetString());
        Assert.False(first.GetProperty("truncated").GetBoolean());
        Assert.False(first.TryGetProperty("reset", out _));

        server.Server.Topics.Publish("polled", "m3");
        JsonElement next = await PollAsync(http, $"/poll/polled?after={first.GetProperty("cursor").GetString()}&wait=0");
        Assert.Equal(["m3"], next.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("data").GetString()));
        Assert.Equal($"{epoch}:3", next.GetProperty("cursor").GetString());
    }

    [Fact]
    public async Task A_poll_with_a_cursor_of_another_epoch_is_answered_at_once_truncated_and_reset_with_the_whole_history()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        using HttpClient http = BroadcastKit.HttpClient(server);
        server.Server.Topics.Publish("reborn", "m1");
        long epoch = server.Server.Topics.Find("reborn")!.Epoch;

        // Its sequence number (5) is beyond this epoch's, but the same holds for one below it (0 here).
        foreach (string cursor in new[] { $"{epoch + 1}:5", $"{epoch + 1}:0" })
        {
            JsonElement answer = await PollAsync(http, $"/poll/reborn?after={cursor}&wait=0");
            Assert.True(answer.GetProperty("truncated").GetBoolean());
            Assert.True(answer.GetProperty("reset").GetBoolean());
            Assert.Equal(["m1"], answer.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("data").GetString()));
        }

        // A long poll does not wait to say so, even on a topic with nothing to catch up on.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        JsonElement empty = await PollAsync(http, "/poll/fresh?after=12345:7&wait=5");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"The reset waited {clock.Elapsed}.");
        Assert.True(empty.GetProperty("reset").GetBoolean());
        Assert.Empty(empty.GetProperty("messages").EnumerateArray());
    }

    [Fact]
    public async Task A_short_poll_with_an_epoch_on_a_topic_that_no_longer_exists_is_reported_truncated()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        using HttpClient http = BroadcastKit.HttpClient(server);

        JsonElement gone = await PollAsync(http, "/poll/gone?after=777:3&wait=0");
        Assert.True(gone.GetProperty("truncated").GetBoolean());
        Assert.True(gone.GetProperty("reset").GetBoolean());

        // A bare number is the old form: no epoch to have lost, answered as before.
        JsonElement bare = await PollAsync(http, "/poll/gone?after=3&wait=0");
        Assert.False(bare.GetProperty("truncated").GetBoolean());
        Assert.False(bare.TryGetProperty("reset", out _));
    }

    [Fact]
    public async Task An_event_stream_resumed_with_an_id_of_another_epoch_gets_a_reset_gap_then_the_whole_history()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        using HttpClient http = BroadcastKit.HttpClient(server);
        server.Server.Topics.Publish("restarted", "m1");
        server.Server.Topics.Publish("restarted", "m2");
        long epoch = server.Server.Topics.Find("restarted")!.Epoch;

        using EventStream stream = await EventStream.OpenAsync(http, "/sse/restarted", lastEventId: $"{epoch + 1}:9");
        ServerSentEvent gap = await stream.ReadAsync();
        Assert.Equal("gap", gap.Type);
        using (JsonDocument data = JsonDocument.Parse(gap.Data))
        {
            Assert.True(data.RootElement.GetProperty("reset").GetBoolean());
            Assert.Equal(epoch, data.RootElement.GetProperty("epoch").GetInt64());
        }

        Assert.Equal(new ServerSentEvent($"{epoch}:1", null, "m1"), await stream.ReadAsync());
        Assert.Equal(new ServerSentEvent($"{epoch}:2", null, "m2"), await stream.ReadAsync());
    }

    [Fact]
    public async Task An_event_stream_resumed_with_its_own_last_id_gets_exactly_what_followed()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        using HttpClient http = BroadcastKit.HttpClient(server);
        server.Server.Topics.Publish("same", "m1");
        server.Server.Topics.Publish("same", "m2");
        string lastSeen;
        using (EventStream first = await EventStream.OpenAsync(http, "/sse/same?after=0"))
        {
            await first.ReadAsync();
            lastSeen = (await first.ReadAsync()).Id!;
        }

        server.Server.Topics.Publish("same", "m3");
        using EventStream again = await EventStream.OpenAsync(http, "/sse/same", lastEventId: lastSeen);
        Assert.Equal(new ServerSentEvent(BroadcastKit.EventId(server, "same", 3), null, "m3"), await again.ReadAsync());
    }

    [Theory]
    [InlineData("1:x")]
    [InlineData("0:1")]
    [InlineData(":1")]
    [InlineData("1:1:1")]
    [InlineData("1: 1")]
    public async Task A_cursor_that_is_neither_form_gets_400(string cursor)
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        using HttpClient http = BroadcastKit.HttpClient(server);
        using HttpResponseMessage poll = await http.GetAsync($"/poll/bad?after={Uri.EscapeDataString(cursor)}&wait=0");
        var request = new HttpRequestMessage(HttpMethod.Get, "/sse/bad");
        request.Headers.TryAddWithoutValidation("Last-Event-ID", cursor);
        using HttpResponseMessage sse = await http.SendAsync(request);
        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (poll.StatusCode, sse.StatusCode));
    }

    private static async Task<JsonElement> PollAsync(HttpClient http, string pathAndQuery)
    {
        using HttpResponseMessage response = await http.GetAsync(pathAndQuery);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }
}
