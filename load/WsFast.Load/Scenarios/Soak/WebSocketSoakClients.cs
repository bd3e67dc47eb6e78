using System.Diagnostics;
using WsFast.Load.Client;
using WsFast.Load.Engine;
using WsFast.Protocol;

namespace WsFast.Load.Scenarios.Soak;

/// <summary>An echo client: one text message every interval on <c>/echo</c>, each echo checked byte for byte.</summary>
internal sealed class EchoSoakClient : SoakClient
{
    private static readonly TimeSpan MaxLag = TimeSpan.FromMilliseconds(100);

    private readonly WsClientOptions _options;

    public EchoSoakClient(int index, SoakShared shared)
        : base(index, shared) => _options = shared.WebSocket("/echo");

    public override SoakRole Role => SoakRole.Echo;

    protected override async Task<DisconnectKind?> ConnectionAsync(CancellationToken stopping)
    {
        WsClient? client = await ConnectWebSocketAsync(_options, Shared.EchoPayload.Length, stopping).ConfigureAwait(false);
        if (client is null)
        {
            return null;
        }

        using (client)
        {
            MarkConnected();
            byte[] payload = Shared.EchoPayload;
            TimeSpan interval = Shared.Settings.EchoInterval;
            // Client i's slots are offset by a golden-ratio share of the interval: the echoes spread evenly.
            long offset = (long)(Stopwatch.Frequency * interval.TotalSeconds * (Index * 0.6180339887 % 1));
            var pace = new RateController(1 / interval.TotalSeconds, Stopwatch.GetTimestamp() + offset, MaxLag);
            while (true)
            {
                if (ChurnRequested)
                {
                    return await LeaveAsync(client, TakeChurn()).ConfigureAwait(false);
                }

                if (!pace.TryTake(RunClock.Now, out _, out _))
                {
                    await pace.WaitAsync(stopping).ConfigureAwait(false);
                    continue;
                }

                long sent = RunClock.Now;
                await client.SendAsync(Opcode.Text, payload).ConfigureAwait(false);
                bool echoed = false;
                while (!echoed)
                {
                    while (!echoed && client.TryReadMessage(out WsMessage message))
                    {
                        switch (message.Opcode)
                        {
                            case Opcode.Ping:
                                await client.PongAsync(message).ConfigureAwait(false);
                                break;
                            case Opcode.Close:
                                ServerClosed(message);
                                return null;
                            case Opcode.Text or Opcode.Binary:
                                echoed = true;
                                if (!message.Payload.Span.SequenceEqual(payload))
                                {
                                    Tally.Unexpect("Echo: the echo differs from the message", $"{message.Payload.Length} bytes back for {payload.Length}");
                                    break;
                                }

                                Echoes++;
                                Stats.RecordReceived(message.WireBytes, message.Payload.Length, RunClock.ToNanoseconds(RunClock.Now - sent));
                                break;
                        }
                    }

                    if (!echoed)
                    {
                        await client.ReceiveMoreAsync(stopping).ConfigureAwait(false);
                    }
                }
            }
        }
    }
}

/// <summary>
/// A WebSocket subscriber of <c>/broadcast/{topic}</c>: every message's sequence number is checked while it is
/// connected. A plain subscription cannot resume, so each connection starts the check afresh.
/// </summary>
internal sealed class BroadcastSoakClient : SoakClient
{
    private readonly WsClientOptions _options;

    public BroadcastSoakClient(int index, SoakShared shared)
        : base(index, shared) => _options = shared.WebSocket($"/broadcast/{shared.Settings.TopicOf(index)}");

    public override SoakRole Role => SoakRole.Broadcast;

    protected override async Task<DisconnectKind?> ConnectionAsync(CancellationToken stopping)
    {
        WsClient? client = await ConnectWebSocketAsync(_options, Shared.Settings.MessageSize, stopping).ConfigureAwait(false);
        if (client is null)
        {
            return null;
        }

        using (client)
        {
            MarkConnected();
            Feed.Restart();
            while (true)
            {
                while (client.TryReadMessage(out WsMessage message))
                {
                    switch (message.Opcode)
                    {
                        case Opcode.Ping:
                            await client.PongAsync(message).ConfigureAwait(false);
                            break;
                        case Opcode.Close:
                            ServerClosed(message);
                            return null;
                        case Opcode.Text or Opcode.Binary:
                            Deliver(message.Payload.Span);
                            break;
                    }
                }

                if (ChurnRequested)
                {
                    return await LeaveAsync(client, TakeChurn()).ConfigureAwait(false);
                }

                await client.ReceiveMoreAsync(stopping).ConfigureAwait(false);
            }
        }
    }
}

/// <summary>
/// A slow consumer: a WebSocket subscriber with a small socket receive buffer that stops reading, then reads
/// everything that waits for it, in turns. Stalls alternate between shorter than the server's heartbeat (30 s
/// ping interval plus 20 s timeout) and longer: after a short one it catches up (a message published less than a
/// second ago) and stalls again; after a long one the server has ended it, with <c>1011</c> for the unanswered
/// ping, <c>1008</c> at its queue bound under <c>--slow-consumer disconnect</c> (README, "Slow consumers"; on
/// loopback the kernel's send buffer, megabytes for its 64 KiB segments, fills first), or by dropping it after
/// the close timeout. Each is its expected end; it then subscribes again. Its messages are not checked, and it is
/// never churned.
/// </summary>
internal sealed class SlowConsumerSoakClient : SoakClient
{
    private const int SocketBuffer = 4096;

    private static readonly TimeSpan ShortStall = TimeSpan.FromSeconds(40);
    private static readonly TimeSpan LongStall = TimeSpan.FromSeconds(70);

    private readonly WsClientOptions _options;
    private long _stalls;

    public SlowConsumerSoakClient(int index, SoakShared shared)
        : base(index, shared) => _options = shared.WebSocket($"/broadcast/{shared.Settings.TopicOf(index)}", SocketBuffer);

    public override SoakRole Role => SoakRole.SlowConsumer;

    protected override async Task<DisconnectKind?> ConnectionAsync(CancellationToken stopping)
    {
        WsClient? client = await ConnectWebSocketAsync(_options, Shared.Settings.MessageSize, stopping).ConfigureAwait(false);
        if (client is null)
        {
            return null;
        }

        using (client)
        {
            MarkConnected();
            try
            {
                while (true)
                {
                    await Task.Delay(_stalls++ % 2 == 0 ? ShortStall : LongStall, stopping).ConfigureAwait(false);
                    bool caughtUp = false;
                    while (!caughtUp)
                    {
                        while (!caughtUp && client.TryReadMessage(out WsMessage message))
                        {
                            switch (message.Opcode)
                            {
                                case Opcode.Ping:
                                    await client.PongAsync(message).ConfigureAwait(false);
                                    break;
                                case Opcode.Close:
                                    int code = CloseCode(message);
                                    if (code is 1008 or 1011)
                                    {
                                        Tally.SlowConsumerClosed($"WebSocket {code} to a slow consumer");
                                    }
                                    else
                                    {
                                        Tally.Unexpect($"WebSocket {code} to a slow consumer", $"client {Index}");
                                    }

                                    return null;
                                case Opcode.Text or Opcode.Binary:
                                    caughtUp = Scenarios.Feed.FeedPayload.TryParse(message.Payload.Span, out _, out long published)
                                        && RunClock.Now - published < System.Diagnostics.Stopwatch.Frequency;
                                    break;
                            }
                        }

                        if (!caughtUp)
                        {
                            await client.ReceiveMoreAsync(stopping).ConfigureAwait(false);
                        }
                    }

                    Tally.Expected("slow consumer caught up after a stall");
                }
            }
            catch (Exception e) when (!stopping.IsCancellationRequested && e is WsClientException { Kind: ErrorKind.ClosedByServer } or System.Net.Sockets.SocketException)
            {
                // The server gave up on it without a close frame it could read: its close frame stuck behind what
                // filled the buffers, the connection was aborted after the close timeout.
                Tally.SlowConsumerClosed("slow consumer's connection dropped by the server");
                return null;
            }
        }
    }
}
