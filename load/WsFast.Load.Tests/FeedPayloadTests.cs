using System.Text;
using System.Text.Json;
using WsFast.Load.Engine;
using WsFast.Load.Scenarios.Feed;

namespace WsFast.Load.Tests;

public class FeedPayloadTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(30)]
    [InlineData(40)] // too little room for a pad field: spaces
    [InlineData(64)]
    [InlineData(4096)]
    public void Payload_round_trips_and_is_json_of_the_asked_size(int size)
    {
        long timestamp = RunClock.Now;
        byte[] payload = FeedPayload.Create(123_456, timestamp, size);
        int bare = $"{{\"seq\":123456,\"t\":{timestamp}}}".Length;
        Assert.Equal(Math.Max(size, bare), payload.Length);
        Assert.True(FeedPayload.TryParse(payload, out long sequence, out long stamp));
        Assert.Equal((123_456L, timestamp), (sequence, stamp));

        using JsonDocument json = JsonDocument.Parse(payload);
        Assert.Equal(123_456, json.RootElement.GetProperty("seq").GetInt64());
    }

    [Theory]
    [InlineData(64)] // too little room for one quote: an empty list
    [InlineData(200)]
    [InlineData(1024)]
    public void Tick_payload_is_json_of_the_asked_size_with_quotes_that_vary_by_message(int size)
    {
        var first = new byte[size];
        var second = new byte[size];
        Assert.Equal(size, FeedPayload.Write(first, 1, 1_000, size, ticks: true));
        Assert.Equal(size, FeedPayload.Write(second, 2, 1_000, size, ticks: true));
        Assert.True(FeedPayload.TryParse(first, out long sequence, out long stamp));
        Assert.Equal((1L, 1_000L), (sequence, stamp));

        using JsonDocument json = JsonDocument.Parse(first);
        JsonElement ticks = json.RootElement.GetProperty("ticks");
        Assert.Equal(size >= 200, ticks.GetArrayLength() > 0);
        if (size >= 200)
        {
            Assert.False(first.AsSpan(20).SequenceEqual(second.AsSpan(20)));
            Assert.True(ticks[0].GetProperty("a").GetDouble() > ticks[0].GetProperty("b").GetDouble());
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello")]
    [InlineData("{\"seq\":x,\"t\":1}")]
    [InlineData("{\"seq\":1}")]
    public void Other_text_is_not_a_feed_payload(string text) =>
        Assert.False(FeedPayload.TryParse(Encoding.UTF8.GetBytes(text), out _, out _));

    [Fact]
    public void Tracker_counts_gaps_as_lost_and_repeats_as_out_of_order()
    {
        var stats = new WorkerStats();
        var tracker = new FeedTracker(stats);
        foreach (long sequence in new long[] { 5, 6, 9, 9, 10 })
        {
            tracker.Receive(FeedPayload.Create(sequence, RunClock.Now, 64));
        }

        Assert.Equal(4, stats.MessagesReceived);
        Assert.Equal(2, stats.MessagesLost); // 7 and 8
        Assert.Equal(1, stats.Errors(ErrorKind.OutOfOrder));
        Assert.Equal(4 * 64, stats.PayloadBytesReceived);
    }
}
