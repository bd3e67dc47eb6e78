using System.Net.Sockets;
using WsFast.Load.Client;
using WsFast.Load.Client.Http;
using WsFast.Load.Engine;
using WsFast.Load.Scenarios.Feed;

namespace WsFast.Load.Scenarios.Soak;

/// <summary>
/// One client slot of a soak: connects as its role says, works until the churn tells it to leave (or the server
/// ends it), leaves in the way it was told, and connects again, until the soak stops. Whatever the server does
/// that the run did not ask for goes to the <see cref="SoakTally"/> as unexpected.
/// </summary>
/// <remarks>
/// The churn only raises a flag; the client's own flow acts on it at its next wake-up (a message, an echo's
/// slot), so a client is never used from two flows at once. Per-message figures are this client's own fields,
/// read by the sampler from another thread (64-bit reads are atomic; a figure a moment late is fine).
/// </remarks>
internal abstract class SoakClient
{
    // After a connection ended in a way nobody asked for, wait this long before the next try: no hot loop.
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private int _churn; // 0: none; else the DisconnectKind + 1
    private volatile bool _connected;
    private DisconnectKind? _leftBy;

    protected SoakClient(int index, SoakShared shared)
    {
        Index = index;
        Shared = shared;
        Stats = new WorkerStats(shared.Clock);
    }

    /// <summary>The client's index in the soak.</summary>
    public int Index { get; }

    /// <summary>What the client does.</summary>
    public abstract SoakRole Role { get; }

    /// <summary>Deliveries and echoes with their latency (counted from the end of the warm-up).</summary>
    public WorkerStats Stats { get; }

    /// <summary>The feed's loss and order check (subscribers; echo clients leave it empty).</summary>
    public SequenceChecker Feed { get; } = new();

    /// <summary>Echoes received that matched what was sent.</summary>
    public long Echoes { get; protected set; }

    /// <summary>Whether a connection is open and working now.</summary>
    public bool IsConnected => _connected;

    protected SoakShared Shared { get; }

    protected SoakTally Tally => Shared.Tally;

    protected bool ChurnRequested => Volatile.Read(ref _churn) != 0;

    /// <summary>Tells the client to leave by <paramref name="kind"/> and reconnect; ignored while an earlier request waits.</summary>
    public void RequestChurn(DisconnectKind kind) => Interlocked.CompareExchange(ref _churn, (int)kind + 1, 0);

    /// <summary>Runs connection after connection until the soak stops.</summary>
    public async Task RunAsync()
    {
        await Task.Yield();
        CancellationToken stopping = Shared.Stopping;
        while (!stopping.IsCancellationRequested)
        {
            DisconnectKind? left = null;
            try
            {
                left = await ConnectionAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                // The soak is over: whatever the connection was doing is dropped with it.
            }
            catch (WsClientException e)
            {
                Tally.Unexpect(Describe(e.Kind), e.Message);
            }
            catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or TimeoutException)
            {
                Tally.Unexpect($"{Role}: {e.GetType().Name}", e.Message);
            }
            finally
            {
                _connected = false;
            }

            _leftBy = left;
            if (left is null && !stopping.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(RetryDelay, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    /// <summary>
    /// One connection, from connect to leaving: the kind it left by when churned, or null when it ended otherwise
    /// (already tallied) or the soak stopped.
    /// </summary>
    protected abstract Task<DisconnectKind?> ConnectionAsync(CancellationToken stopping);

    /// <summary>Takes the churn request: how to leave.</summary>
    protected DisconnectKind TakeChurn() => (DisconnectKind)(Interlocked.Exchange(ref _churn, 0) - 1);

    /// <summary>Marks the connection working, counting a reconnect when it follows a churned one.</summary>
    protected void MarkConnected()
    {
        _connected = true;
        if (_leftBy is DisconnectKind kind)
        {
            Tally.Reconnected(kind);
            _leftBy = null;
        }
    }

    /// <summary>Checks one feed payload's sequence number and records its fan-out latency.</summary>
    protected void Deliver(ReadOnlySpan<byte> payload)
    {
        long now = RunClock.Now;
        if (!FeedPayload.TryParse(payload, out long sequence, out long published))
        {
            Tally.Unexpect($"{Role}: unreadable feed message", $"{payload.Length} bytes");
            return;
        }

        Feed.Check(sequence);
        Stats.RecordDelivered(payload.Length, RunClock.ToNanoseconds(now - published));
    }

    /// <summary>Opens a WebSocket, or tallies why not and returns null.</summary>
    protected async Task<WsClient?> ConnectWebSocketAsync(WsClientOptions options, int expectedPayload, CancellationToken stopping)
    {
        try
        {
            return await WsClient.ConnectAsync(options, Index, expectedPayload, stopping).ConfigureAwait(false);
        }
        catch (WsClientException e)
        {
            Tally.Unexpect(Describe(e.Kind), e.Message);
            return null;
        }
    }

    /// <summary>Opens an HTTP connection, or tallies why not and returns null.</summary>
    protected async Task<HttpConnection?> ConnectHttpAsync(CancellationToken stopping)
    {
        try
        {
            return await HttpConnection.ConnectAsync(Shared.Settings.Server, Shared.SourceFor(Index), Stats, 4096, stopping).ConfigureAwait(false);
        }
        catch (WsClientException e)
        {
            Tally.Unexpect(Describe(e.Kind), e.Message);
            return null;
        }
    }

    /// <summary>
    /// Leaves a WebSocket as <paramref name="kind"/> says. A close handshake's answer must be 1000 (section 7.4.1:
    /// the server echoes the status code it received).
    /// </summary>
    protected async Task<DisconnectKind> LeaveAsync(WsClient client, DisconnectKind kind)
    {
        switch (kind)
        {
            case DisconnectKind.Abrupt:
                client.Drop(reset: false);
                break;
            case DisconnectKind.Reset:
                client.Drop(reset: true);
                break;
            case DisconnectKind.MidMessage:
                await client.DropMidFrameAsync(Shared.EchoPayload).ConfigureAwait(false);
                break;
            default:
                try
                {
                    await client.CloseAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
                    if (client.ServerCloseCode == 1000)
                    {
                        Tally.Expected("WebSocket 1000 answering the client's close");
                    }
                    else
                    {
                        Tally.Unexpect($"WebSocket {client.ServerCloseCode} answering the client's 1000", $"{Role} client {Index}");
                    }
                }
                catch (TimeoutException)
                {
                    client.Abort();
                    Tally.Unexpect("WebSocket close unanswered within 10 s", $"{Role} client {Index}");
                }

                break;
        }

        return kind;
    }

    /// <summary>Tallies a close frame the server sent of its own accord to a client that keeps up: never expected.</summary>
    protected void ServerClosed(in WsMessage close) =>
        Tally.Unexpect($"WebSocket {CloseCode(close)} from the server", $"{Role} client {Index}");

    /// <summary>The status code of a close frame, or 1005 (none given, section 7.4.1).</summary>
    protected static int CloseCode(in WsMessage close) =>
        close.Payload.Length >= 2 ? (close.Payload.Span[0] << 8) | close.Payload.Span[1] : 1005;

    private string Describe(ErrorKind kind) => $"{Role}: {kind}";
}
