using WsFast.Tests.Broadcast;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Limits;

/// <summary>
/// The refusals of the client limits through the <c>WsFast</c> meter, by reason, as <c>/metrics</c> has them. A
/// MeterListener hears every meter of the process, hence this runs alone.
/// </summary>
[Collection(SerialBroadcastCollection.Name)]
public class LimitMeterTests
{
    [Fact]
    public async Task The_meter_counts_limit_refusals_by_reason()
    {
        await using TestServer server = await TestServer.StartAsync(options =>
        {
            options.ClientLimits.MaxConnectionsPerAddress = 1;
            options.ClientLimits.HandshakesPerSecond = 0.25;
            options.ClientLimits.HandshakeBurst = 2;
        });
        await using RawClient held = await LimitKit.OpenAsync(server.Port, LimitKit.From(20));
        await LimitKit.AssertTooManyAsync(server.Port, LimitKit.From(20));
        await using (await LimitKit.OpenAsync(server.Port, LimitKit.From(21)))
        {
        }

        await LimitKit.WaitUntilAsync(() => server.Server.ConnectionCount == 1, "the second address's connection to end");
        await using (await LimitKit.OpenAsync(server.Port, LimitKit.From(21)))
        {
        }

        // Gone before the next request, so that what refuses that one is the handshake rate, not the connection bound.
        await LimitKit.WaitUntilAsync(() => server.Server.ConnectionCount == 1, "the second address's second connection to end");
        await LimitKit.AssertTooManyAsync(server.Port, LimitKit.From(21));

        Dictionary<string, long> ours = Assert.Single(WsFastMeterReadings.Read(),
            values => values.GetValueOrDefault("wsfast.connections.accepted") == server.Server.Counters.Accepted
                && values.GetValueOrDefault("wsfast.limit.refusals|reason=handshake_rate") == 1);
        Assert.Equal(1, ours["wsfast.limit.refusals|reason=connections_per_address"]);
        Assert.Equal(0, ours["wsfast.limit.refusals|reason=message_rate"]);
        Assert.Equal(2, ours["wsfast.limit.tracked_addresses"]);

        // /metrics is asked from 127.0.0.1, a third address.
        Assert.Equal(3, await LimitKit.MetricAsync(server, "wsfast_limit_tracked_addresses"));
    }
}
