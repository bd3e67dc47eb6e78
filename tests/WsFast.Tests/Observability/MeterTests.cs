using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using WsFast.Server;
using WsFast.Tests.Server;

namespace WsFast.Tests.Observability;

/// <summary>
/// The <c>WsFast</c> meter: made by the host's <see cref="IMeterFactory"/>, with histograms by endpoint, and
/// <c>GET /metrics</c> rendered from the same instruments, so that a MeterListener and a Prometheus scrape read the
/// same figures.
/// </summary>
public class MeterTests
{
    // Payload sizes that fall in different buckets: 16, 256, 1024 and 16384 bytes are bounds.
    private static readonly int[] Sizes = [10, 100, 1000, 5000];

    [Fact]
    public async Task The_meter_comes_from_the_IMeterFactory_given_and_keeps_its_name()
    {
        await using ObservedServer server = await ObservedServer.StartAsync();
        using var reader = new FactoryMeterReader(server.Meters);

        Assert.NotEmpty(reader.Instruments);
        Assert.All(reader.Instruments, instrument => Assert.Equal("WsFast", instrument.Meter.Name));
        Assert.Contains(reader.Instruments, instrument => instrument.Name == "wsfast.connections.accepted");
    }

    [Fact]
    public async Task AddWsFast_takes_the_meter_from_the_containers_IMeterFactory()
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddLogging();
        services.AddWsFast(options => options.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, 0)));
        await using ServiceProvider provider = services.BuildServiceProvider();

        WsFastServer server = provider.GetRequiredService<WsFastServer>();
        using var reader = new FactoryMeterReader(provider.GetRequiredService<IMeterFactory>());

        Assert.Contains(reader.Instruments, instrument => instrument.Name == "wsfast.connection.duration");
        Assert.NotNull(server);
    }

    [Fact]
    public async Task Histograms_record_sizes_handler_and_queue_times_and_connection_duration_by_endpoint()
    {
        await using ObservedServer server = await ObservedServer.StartAsync();
        using var reader = new FactoryMeterReader(server.Meters);

        await EchoAsync(server, Sizes);

        // The connection's duration is recorded last, once OnDisconnectedAsync has returned.
        await ObservedServer.WaitUntilAsync(() => reader.Histograms().ContainsKey("wsfast.connection.duration|endpoint=/echo"), "the connection's duration");
        Dictionary<string, (long Count, double Sum)> histograms = reader.Histograms();
        Assert.Equal((Sizes.Length, Sizes.Sum()), Rounded(histograms["wsfast.message.received.size|endpoint=/echo"]));

        // Each echo's frame: the payload and a 2-byte header (4 bytes from 126 bytes of payload, RFC 6455 section 5.2).
        Assert.Equal((Sizes.Length, Sizes.Sum(size => size + (size < 126 ? 2 : 4))), Rounded(histograms["wsfast.message.sent.size|endpoint=/echo"]));
        Assert.Equal(Sizes.Length, histograms["wsfast.handler.duration|endpoint=/echo"].Count);

        // Every frame queued after the 101 waited some time: the echoes, then the close frame.
        Assert.Equal(Sizes.Length + 1, histograms["wsfast.send.queue_delay|endpoint=/echo"].Count);
        (long connections, double seconds) = histograms["wsfast.connection.duration|endpoint=/echo"];
        Assert.Equal(1, connections);
        Assert.InRange(seconds, 0, ObservedServer.Timeout.TotalSeconds);
    }

    [Fact]
    public async Task GET_metrics_and_a_MeterListener_report_the_same_figures()
    {
        await using ObservedServer server = await ObservedServer.StartAsync(options => options.MetricsIncludeTopics = true, map: s => s.MapBroadcast("/broadcast"));
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { Timeout = ObservedServer.Timeout };

        // The scrape listens from its first request on: histograms count from then.
        await http.GetStringAsync(server.Http("/metrics"));
        using var reader = new FactoryMeterReader(server.Meters);
        await EchoAsync(server, Sizes);
        server.Server.Topics.Publish("news", "hello");
        await ObservedServer.WaitUntilAsync(() => reader.Histograms().ContainsKey("wsfast.connection.duration|endpoint=/echo"), "the connection's duration");

        Dictionary<string, double> observed = reader.Read();
        Dictionary<string, (long Count, double Sum)> histograms = reader.Histograms();
        Dictionary<string, string> scraped = PrometheusText.Samples(await http.GetStringAsync(server.Http("/metrics")));

        int compared = 0;
        foreach (Instrument instrument in reader.Instruments)
        {
            string name = PrometheusScrape.NameOf(instrument);
            if (instrument is Histogram<long> or Histogram<double>)
            {
                foreach ((string key, (long count, double sum)) in histograms.Where(h => h.Key.Split('|')[0] == instrument.Name))
                {
                    string labels = Labels(key);
                    Assert.Equal(count.ToString(CultureInfo.InvariantCulture), scraped[$"{name}_count{Braces(labels)}"]);
                    Assert.Equal(count.ToString(CultureInfo.InvariantCulture), scraped[$"{name}_bucket{{{labels}{(labels.Length > 0 ? "," : "")}le=\"+Inf\"}}"]);
                    Assert.Equal(sum, double.Parse(scraped[$"{name}_sum{Braces(labels)}"], CultureInfo.InvariantCulture), 9);
                    compared++;
                }
            }
            else if (instrument.Name is not ("wsfast.buffered" or "wsfast.deflate.state"))
            {
                // Not the buffered bytes, which the timer may update between the two reads, nor zlib's, which
                // every server in the process shares.
                foreach ((string key, double value) in observed.Where(o => o.Key.Split('|')[0] == instrument.Name))
                {
                    Assert.Equal(value.ToString(CultureInfo.InvariantCulture), scraped[$"{name}{Braces(Labels(key))}"]);
                    compared++;
                }
            }
        }

        Assert.True(compared > 40, $"only {compared} series compared");
        Assert.Equal("1", scraped["wsfast_publish_messages_total"]);
        Assert.Equal("1", scraped["wsfast_topic_last_sequence{topic=\"news\"}"]);
        Assert.Equal("4", scraped["wsfast_message_received_size_bytes_count{endpoint=\"/echo\"}"]);
    }

    [Fact]
    public async Task GET_metrics_writes_histograms_with_cumulative_buckets_a_sum_and_a_count()
    {
        await using ObservedServer server = await ObservedServer.StartAsync();
        using var http = new HttpClient { Timeout = ObservedServer.Timeout };
        await http.GetStringAsync(server.Http("/metrics"));

        await EchoAsync(server, Sizes);
        string text = "";
        Dictionary<string, string> samples = [];
        DateTime until = DateTime.UtcNow + ObservedServer.Timeout;
        while (!samples.ContainsKey("wsfast_connection_duration_seconds_count{endpoint=\"/echo\"}"))
        {
            Assert.True(DateTime.UtcNow < until, "the connection's duration never reached /metrics");
            text = await http.GetStringAsync(server.Http("/metrics"));
            samples = PrometheusText.Samples(text);
        }


        Assert.Contains("# TYPE wsfast_message_received_size_bytes histogram\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE wsfast_handler_duration_seconds histogram\n", text, StringComparison.Ordinal);
        const string Name = "wsfast_message_received_size_bytes";
        Assert.Equal("1", samples[$"{Name}_bucket{{endpoint=\"/echo\",le=\"16\"}}"]);
        Assert.Equal("1", samples[$"{Name}_bucket{{endpoint=\"/echo\",le=\"64\"}}"]);
        Assert.Equal("2", samples[$"{Name}_bucket{{endpoint=\"/echo\",le=\"256\"}}"]);
        Assert.Equal("3", samples[$"{Name}_bucket{{endpoint=\"/echo\",le=\"1024\"}}"]);
        Assert.Equal("3", samples[$"{Name}_bucket{{endpoint=\"/echo\",le=\"4096\"}}"]);
        Assert.Equal("4", samples[$"{Name}_bucket{{endpoint=\"/echo\",le=\"16384\"}}"]);
        Assert.Equal("4", samples[$"{Name}_bucket{{endpoint=\"/echo\",le=\"+Inf\"}}"]);
        Assert.Equal("6110", samples[$"{Name}_sum{{endpoint=\"/echo\"}}"]);
        Assert.Equal("4", samples[$"{Name}_count{{endpoint=\"/echo\"}}"]);
        Assert.Equal("1", samples["wsfast_connection_duration_seconds_count{endpoint=\"/echo\"}"]);
    }

    [Fact]
    public async Task Histogram_tags_name_the_endpoint_never_the_topic_a_client_chose()
    {
        await using ObservedServer server = await ObservedServer.StartAsync(map: s => s.MapBroadcast("/broadcast", relayClientMessages: true));
        using var http = new HttpClient { Timeout = ObservedServer.Timeout };
        await http.GetStringAsync(server.Http("/metrics"));
        using var timeout = new CancellationTokenSource(ObservedServer.Timeout);

        using (var client = new ClientWebSocket())
        {
            await client.ConnectAsync(server.Ws("/broadcast/chosen-by-a-client"), timeout.Token);
            await client.SendTextAsync("relayed", timeout.Token);
            Assert.Equal("relayed", await client.ReceiveTextAsync(timeout.Token));
            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
        }

        await ObservedServer.WaitUntilAsync(() => server.Server.Counters.Closed == 1, "the connection to end");
        string text = await http.GetStringAsync(server.Http("/metrics"));

        Assert.DoesNotContain("chosen-by-a-client", text, StringComparison.Ordinal);
        Assert.Contains("wsfast_message_received_size_bytes_count{endpoint=\"/broadcast\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("wsfast_publish_duration_seconds_count 1\n", text, StringComparison.Ordinal);
    }

    /// <summary>One connection to /echo: each size sent and echoed in turn, then a normal close, awaited to its end.</summary>
    private static async Task EchoAsync(ObservedServer server, int[] sizes)
    {
        using var timeout = new CancellationTokenSource(ObservedServer.Timeout);
        long closedBefore = server.Server.Counters.Closed;
        using (var client = new ClientWebSocket())
        {
            client.Options.KeepAliveInterval = TimeSpan.Zero;
            await client.ConnectAsync(server.Ws("/echo"), timeout.Token);
            foreach (int size in sizes)
            {
                await client.SendAsync(new byte[size], WebSocketMessageType.Binary, true, timeout.Token);
                (_, byte[] echoed) = await ClientSupport.ReceiveMessageAsync(client, timeout.Token);
                Assert.Equal(size, echoed.Length);
            }

            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
        }

        await ObservedServer.WaitUntilAsync(() => server.Server.Counters.Closed == closedBefore + 1, "the connection to end");
    }

    private static (long, long) Rounded((long Count, double Sum) histogram) => (histogram.Count, (long)histogram.Sum);

    // "name|key=value|..." as Prometheus labels: key="value",...
    private static string Labels(string key) =>
        string.Join(',', key.Split('|').Skip(1).Select(tag => $"{tag[..tag.IndexOf('=')]}=\"{tag[(tag.IndexOf('=') + 1)..]}\""));

    private static string Braces(string labels) => labels.Length > 0 ? $"{{{labels}}}" : "";
}
