using WsFast.Load.Client;
using WsFast.Load.Engine;
using WsFast.Protocol;

namespace WsFast.Load.Scenarios.Feed;

/// <summary>
/// <c>ws-broadcast</c>: each client subscribes to the topic over a WebSocket (<c>/broadcast/{topic}</c>) and
/// receives the feed the scenario publishes; it sends nothing but pongs. Every frame received counts as wire
/// bytes, every data message as a delivery, with its fan-out latency and any gap in the sequence as lost.
/// With <see cref="FeedSettings.Nodes"/>, the subscribers take the servers in turn (client i on node i mod N).
/// </summary>
public sealed class BroadcastScenario : IPublishingScenario
{
    private readonly FeedSettings _settings;
    private readonly FeedPublisher _publisher;

    /// <summary>Creates the scenario; <see cref="FeedSettings.Client"/>'s URL is the subscription.</summary>
    public BroadcastScenario(FeedSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        _publisher = new FeedPublisher(settings);
    }

    /// <inheritdoc/>
    public string Name => "ws-broadcast";

    /// <inheritdoc/>
    public Task RunClientAsync(ClientContext context) =>
        ClientSession.RunAsync(context, _settings.ClientFor(context.ClientIndex), Math.Max(_settings.MessageSize, FeedPayload.MaxUnpaddedLength), ReceiveAsync);

    /// <inheritdoc/>
    public Task StartFeedAsync(RunClock clock) => _publisher.StartAsync(clock);

    /// <inheritdoc/>
    public Task<WorkerStats> StopFeedAsync() => _publisher.StopAsync();

    private static async Task ReceiveAsync(WsClient client, ClientContext context)
    {
        var feed = new FeedTracker(context.Stats);
        try
        {
            while (true)
            {
                while (client.TryReadMessage(out WsMessage message))
                {
                    context.Stats.RecordBytesReceived(message.WireBytes);
                    switch (message.Opcode)
                    {
                        case Opcode.Ping:
                            context.Stats.RecordBytesSent(await client.PongAsync(message).ConfigureAwait(false));
                            break;
                        case Opcode.Close:
                            throw new WsClientException(ErrorKind.ClosedByServer, "The server closed a subscription.");
                        case Opcode.Text or Opcode.Binary:
                            feed.Receive(message.Payload.Span);
                            if (message.Compressed)
                            {
                                context.Stats.RecordCompressed();
                            }

                            break;
                    }
                }

                await client.ReceiveMoreAsync(context.Stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (context.Stopping.IsCancellationRequested)
        {
            // The run is over: the caller closes the connection.
        }
    }
}
