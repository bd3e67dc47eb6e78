using System.Diagnostics.Metrics;

namespace WsFast.Server;

/// <summary>
/// The server's figures as <see cref="System.Diagnostics.Metrics"/> instruments of a <see cref="Meter"/> named
/// <c>WsFast</c>, readable with <c>dotnet-counters monitor --counters WsFast</c> or any OpenTelemetry
/// exporter. The instruments are observable: they read <see cref="ServerCounters"/> when collected, so
/// publishing metrics costs nothing per message.
/// </summary>
internal sealed class WsFastMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "WsFast";

    private readonly Meter _meter = new(MeterName);

    public WsFastMetrics(WsFastServer server)
    {
        ServerCounters c = server.Counters;
        _meter.CreateObservableUpDownCounter("wsfast.connections.open", () => server.ConnectionCount, "{connection}", "Connections held now");
        _meter.CreateObservableCounter("wsfast.connections.accepted", () => c.Accepted, "{connection}", "TCP connections accepted");
        _meter.CreateObservableCounter("wsfast.connections.refused", () => c.Refused, "{connection}", "Requests refused before the upgrade");
        _meter.CreateObservableCounter("wsfast.messages.received", () => c.MessagesIn, "{message}", "Messages received");
        _meter.CreateObservableCounter("wsfast.messages.sent", () => c.MessagesOut, "{message}", "Messages queued to send, one per connection");
        _meter.CreateObservableCounter("wsfast.deflate.messages.received", () => c.CompressedMessagesIn, "{message}", "Messages received compressed (permessage-deflate)");
        _meter.CreateObservableCounter("wsfast.deflate.messages.sent", () => c.CompressedMessagesOut, "{message}", "Messages queued compressed (permessage-deflate), one per connection");
        _meter.CreateObservableCounter("wsfast.deflate.bytes_saved", () => c.DeflateBytesSaved, "By", "Payload bytes permessage-deflate kept off the wire, both directions");
        _meter.CreateObservableCounter("wsfast.bytes.received", () => c.BytesIn, "By", "Payload bytes received");
        _meter.CreateObservableCounter("wsfast.bytes.sent", () => c.BytesOut, "By", "Frame bytes queued to send");
        _meter.CreateObservableCounter("wsfast.closes", ObserveCloses, "{connection}", "Connections ended, by close code");
        _meter.CreateObservableCounter("wsfast.broadcast.dropped", () => c.Dropped, "{message}", "Broadcast messages skipped by slow subscribers");
        _meter.CreateObservableCounter("wsfast.broadcast.slow_consumer_disconnects", () => c.SlowConsumerDisconnects, "{connection}", "Subscribers disconnected for not keeping up");
        _meter.CreateObservableCounter("wsfast.tls.handshake_failures", () => c.TlsHandshakeFailures, "{connection}", "TLS handshakes the client broke (not TLS, nothing in common, an alert, a close)");
        _meter.CreateObservableCounter("wsfast.send_stalls", () => c.SendStalls, "{connection}", "Connections aborted because their output did not move for the send-stall timeout");
        _meter.CreateObservableCounter("wsfast.over_budget_closes", () => c.OverBudgetCloses, "{connection}", "Connections closed because the process was over its memory budget");
        _meter.CreateObservableUpDownCounter("wsfast.buffered", () => server.BufferedBytes, "By", "Bytes held for peers (queued output, input being assembled), at the last timer tick");
        _meter.CreateObservableCounter("wsfast.publish.messages", () => c.Publishes, "{message}", "Messages published to topics");
        _meter.CreateObservableCounter("wsfast.publish.fanout", () => c.Fanout, "{delivery}", "Deliveries queued by publishes");
        _meter.CreateObservableCounter("wsfast.limits.refusals", ObserveLimitRefusals, "{refusal}", "Clients refused or closed by the per-address and per-connection limits and the proxy rules, by reason");
        _meter.CreateObservableUpDownCounter("wsfast.limits.tracked_addresses", () => server.Addresses?.Count ?? 0, "{address}", "Client addresses (IPv6: /64 prefixes) the per-address limits keep counts for");

        IEnumerable<Measurement<long>> ObserveCloses()
        {
            foreach (int code in ServerCounters.ReportedCloseCodes)
            {
                yield return new Measurement<long>(c.ClosedWith(code), new KeyValuePair<string, object?>("code", code));
            }

            yield return new Measurement<long>(c.ClosedWith(3000), new KeyValuePair<string, object?>("code", "3000-4999"));
        }

        IEnumerable<Measurement<long>> ObserveLimitRefusals()
        {
            for (int kind = 0; kind < LimitRefusals.Count; kind++)
            {
                yield return new Measurement<long>(c.LimitRefused((LimitRefusal)kind), new KeyValuePair<string, object?>("reason", LimitRefusals.Name((LimitRefusal)kind)));
            }
        }
    }

    public void Dispose() => _meter.Dispose();
}
