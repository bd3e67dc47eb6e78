using System.Diagnostics.Metrics;
using WsFast.Tests.Broadcast;
using WsFast.Tests.Server;

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

        await LimitKit.AssertTooManyAsync(server.Port, LimitKit.From(21));

        var measured = new Dictionary<Meter, Dictionary<string, long>>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "WsFast")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string key = instrument.Name;
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                key += $"|{tag.Key}={tag.Value}";
            }

            if (!measured.TryGetValue(instrument.Meter, out Dictionary<string, long>? values))
            {
                measured[instrument.Meter] = values = [];
            }

            values[key] = value;
        }

        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.Start();
        listener.RecordObservableInstruments();

        Dictionary<string, long> ours = Assert.Single(measured.Values,
            values => values.GetValueOrDefault("wsfast.connections.accepted") == server.Server.Counters.Accepted
                && values.GetValueOrDefault("wsfast.limits.refusals|reason=handshake_rate") == 1);
        Assert.Equal(1, ours["wsfast.limits.refusals|reason=connections_per_address"]);
        Assert.Equal(0, ours["wsfast.limits.refusals|reason=message_rate"]);
        Assert.Equal(2, ours["wsfast.limits.tracked_addresses"]);

        // /metrics is asked from 127.0.0.1, a third address.
        Assert.Equal(3, await LimitKit.MetricAsync(server, "wsfast_limit_tracked_addresses"));
    }
}
