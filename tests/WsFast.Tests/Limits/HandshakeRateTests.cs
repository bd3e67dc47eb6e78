using WsFast.Tests.Server;

namespace WsFast.Tests.Limits;

/// <summary>
/// <c>ClientLimits.HandshakesPerSecond</c> and <c>HandshakeBurst</c>: one address reconnects in a loop (or
/// opens event streams and polls, which subscribe as an upgrade does). Its burst passes, the next gets 429 with
/// a Retry-After that says when the bucket holds a handshake again, and once it has, the address passes again.
/// </summary>
public class HandshakeRateTests
{
    [Fact]
    public async Task The_burst_passes_the_next_upgrade_gets_429_and_after_the_refill_one_passes_again()
    {
        const int Burst = 3;
        await using TestServer server = await TestServer.StartAsync(options =>
        {
            // One every 2 s: long enough that the burst is surely over before a handshake is back, even on a
            // loaded machine, and short enough to wait for.
            options.ClientLimits.HandshakesPerSecond = 0.5;
            options.ClientLimits.HandshakeBurst = Burst;
        });

        for (int i = 0; i < Burst; i++)
        {
            await using RawClient client = await LimitKit.OpenAsync(server.Port, LimitKit.From(6));
        }

        Assert.InRange(await LimitKit.AssertTooManyAsync(server.Port, LimitKit.From(6)), 1, 2);
        Assert.Equal(1, server.Server.Counters.HandshakeRateRefusals);

        // Another address has its own bucket.
        await using (await LimitKit.OpenAsync(server.Port, LimitKit.From(7)))
        {
        }

        await Task.Delay(2100);
        await using (await LimitKit.OpenAsync(server.Port, LimitKit.From(6)))
        {
        }

        await LimitKit.AssertTooManyAsync(server.Port, LimitKit.From(6));
    }

    [Fact]
    public async Task Retry_After_is_the_time_the_bucket_needs_to_refill_one_handshake()
    {
        await using TestServer server = await TestServer.StartAsync(options =>
        {
            options.ClientLimits.HandshakesPerSecond = 0.1; // one every 10 s
            options.ClientLimits.HandshakeBurst = 2;
        });

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using (await LimitKit.OpenAsync(server.Port, LimitKit.From(8)))
        await using (await LimitKit.OpenAsync(server.Port, LimitKit.From(8)))
        {
        }

        // Empty at the second handshake, the bucket has refilled for at most the time since the first.
        int retryAfter = await LimitKit.AssertTooManyAsync(server.Port, LimitKit.From(8));
        Assert.InRange(retryAfter, 10 - (int)Math.Ceiling(clock.Elapsed.TotalSeconds), 10);
        Assert.Equal(1, await LimitKit.MetricAsync(server, "wsfast_limit_refusals_total{reason=\"handshake_rate\"}"));
        Assert.True(await server.Log.WaitForAsync("429 too many handshakes from this address"));
    }

    [Fact]
    public async Task Event_streams_and_polls_are_handshakes_too_while_other_requests_are_not()
    {
        await using TestServer server = await TestServer.StartAsync(
            options =>
            {
                options.ClientLimits.HandshakesPerSecond = 0.25;
                options.ClientLimits.HandshakeBurst = 2;
            },
            broadcastTopics: true);

        (RawClient stream, HttpHead streamHead) = await LimitKit.SendAsync(server.Port, LimitKit.From(9), LimitKit.Get("/sse/news"));
        await using (stream)
        {
            Assert.Equal(200, streamHead.Status);
        }

        (RawClient poll, HttpHead pollHead) = await LimitKit.SendAsync(server.Port, LimitKit.From(9), LimitKit.Get("/poll/news?wait=0"));
        await using (poll)
        {
            Assert.Equal(200, pollHead.Status);
        }

        await LimitKit.AssertRefusedAsync(server.Port, LimitKit.From(9), LimitKit.Get("/poll/news?wait=0"), 429);
        await LimitKit.AssertRefusedAsync(server.Port, LimitKit.From(9), LimitKit.Get("/sse/news"), 429);
        await LimitKit.AssertTooManyAsync(server.Port, LimitKit.From(9), "/broadcast/news");
        Assert.Equal(3, server.Server.Counters.HandshakeRateRefusals);

        // Other requests are no handshakes: served while the address has none left.
        (RawClient health, HttpHead healthHead) = await LimitKit.SendAsync(server.Port, LimitKit.From(9), LimitKit.Get("/healthz"));
        await using (health)
        {
            Assert.Equal(200, healthHead.Status);
        }
    }
}
