using System.Globalization;
using System.Text;

namespace WsFast.Server;

/// <summary>
/// <c>GET /metrics</c>: the server's counters in the Prometheus text exposition format. Topic names, which
/// clients choose, are listed only when <see cref="WsFastServerOptions.MetricsIncludeTopics"/> asks for them.
/// </summary>
internal static class MetricsRoute
{
    public static byte[] Render(WsFastServer server)
    {
        ServerCounters c = server.Counters;
        var text = new StringBuilder(2048);
        Metric(text, "wsfast_connections_open", "gauge", "Connections held now", server.ConnectionCount);
        Metric(text, "wsfast_connections_accepted_total", "counter", "TCP connections accepted", c.Accepted);
        Metric(text, "wsfast_connections_refused_total", "counter", "Requests refused before the upgrade", c.Refused);
        Metric(text, "wsfast_messages_received_total", "counter", "Messages received", c.MessagesIn);
        Metric(text, "wsfast_messages_sent_total", "counter", "Messages queued to send, one per connection", c.MessagesOut);
        Metric(text, "wsfast_bytes_received_total", "counter", "Payload bytes received", c.BytesIn);
        Metric(text, "wsfast_bytes_sent_total", "counter", "Frame bytes queued to send", c.BytesOut);
        Metric(text, "wsfast_protocol_errors_total", "counter", "Connections failed for breaking RFC 6455", c.ProtocolErrors);
        Metric(text, "wsfast_broadcast_dropped_total", "counter", "Broadcast messages skipped by slow subscribers", c.Dropped);
        Metric(text, "wsfast_broadcast_slow_consumer_disconnects_total", "counter", "Subscribers disconnected for not keeping up", c.SlowConsumerDisconnects);
        Metric(text, "wsfast_tls_handshake_failures_total", "counter", "TLS handshakes the client broke (not TLS, nothing in common, an alert, a close)", c.TlsHandshakeFailures);
        Metric(text, "wsfast_send_stalls_total", "counter", "Connections aborted because their output did not move for the send-stall timeout", c.SendStalls);
        Metric(text, "wsfast_over_budget_closes_total", "counter", "Connections closed because the process was over its memory budget", c.OverBudgetCloses);
        Metric(text, "wsfast_buffered_bytes", "gauge", "Bytes held for peers (queued output, input being assembled), at the last timer tick", server.BufferedBytes);
        Metric(text, "wsfast_deflate_messages_received_total", "counter", "Messages received compressed (permessage-deflate)", c.CompressedMessagesIn);
        Metric(text, "wsfast_deflate_messages_sent_total", "counter", "Messages queued compressed (permessage-deflate), one per connection", c.CompressedMessagesOut);
        Metric(text, "wsfast_deflate_bytes_saved_total", "counter", "Payload bytes permessage-deflate kept off the wire, both directions", c.DeflateBytesSaved);
        Metric(text, "wsfast_deflate_state_bytes", "gauge", "Bytes zlib holds now for compressors and decompressors", WsFast.Protocol.Deflate.ZLib.AllocatedBytes);
        Metric(text, "wsfast_publish_messages_total", "counter", "Messages published to topics", c.Publishes);
        Metric(text, "wsfast_publish_fanout_total", "counter", "Deliveries queued by publishes", c.Fanout);
        Metric(text, "wsfast_topics", "gauge", "Topics that exist now", server.Topics.All.Count);
        Metric(text, "wsfast_topic_history_bytes", "gauge", "Bytes the topics' histories hold together", server.Topics.HistoryBytes);

        Header(text, "wsfast_closes_total", "counter", "Connections ended, by close code");
        foreach (int code in ServerCounters.ReportedCloseCodes)
        {
            text.Append(CultureInfo.InvariantCulture, $"wsfast_closes_total{{code=\"{code}\"}} {c.ClosedWith(code)}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"wsfast_closes_total{{code=\"3000-4999\"}} {c.ClosedWith(3000)}\n");

        Header(text, "wsfast_limit_refusals_total", "counter", "Clients refused (429, 503, 400) or closed (1008) by the per-address and per-connection limits and the proxy rules, by reason");
        for (int kind = 0; kind < LimitRefusals.Count; kind++)
        {
            text.Append(CultureInfo.InvariantCulture, $"wsfast_limit_refusals_total{{reason=\"{LimitRefusals.Name((LimitRefusal)kind)}\"}} {c.LimitRefused((LimitRefusal)kind)}\n");
        }

        Metric(text, "wsfast_limit_tracked_addresses", "gauge", "Client addresses (IPv6: /64 prefixes) the per-address limits keep counts for", server.Addresses?.Count ?? 0);

        if (server.Options.MetricsIncludeTopics)
        {
            Header(text, "wsfast_topic_subscribers", "gauge", "Subscribers of each topic");
            foreach (Topic topic in server.Topics.All)
            {
                text.Append(CultureInfo.InvariantCulture, $"wsfast_topic_subscribers{{topic=\"{topic.Name}\"}} {topic.SubscriberCount}\n");
            }

            Header(text, "wsfast_topic_last_sequence", "gauge", "Sequence number of each topic's last message");
            foreach (Topic topic in server.Topics.All)
            {
                text.Append(CultureInfo.InvariantCulture, $"wsfast_topic_last_sequence{{topic=\"{topic.Name}\"}} {topic.LastSequence}\n");
            }
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static void Metric(StringBuilder text, string name, string type, string help, long value)
    {
        Header(text, name, type, help);
        text.Append(CultureInfo.InvariantCulture, $"{name} {value}\n");
    }

    private static void Header(StringBuilder text, string name, string type, string help) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n");
}
