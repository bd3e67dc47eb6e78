using WsFast.Load.Client;
using WsFast.Load.Engine;
using WsFast.Protocol;

namespace WsFast.Load.Scenarios;

/// <summary>
/// <c>ws-echo</c>: each client keeps <see cref="EchoSettings.InFlight"/> messages of
/// <see cref="EchoSettings.MessageSize"/> bytes in flight against an echo endpoint, sending a new one as each
/// echo arrives. Latency is from just before a message is sent to the moment its echo is decoded; the
/// server echoes in order, so the oldest send time belongs to each echo.
/// </summary>
/// <remarks>
/// Under an inject rate (<see cref="ClientContext.Pace"/>) a client sends one message per slot instead, still
/// at most <see cref="EchoSettings.InFlight"/> at a time. A slot that came due while the window was full is sent
/// as soon as an echo frees room, and its latency counts from when the slot was due, not from the late send:
/// otherwise a slow server would hide its slowness by slowing the clients down (coordinated omission). A slot
/// sent after the client's own timer woke up counts from the send, so the timer's lateness (about a
/// millisecond) is not blamed on the server.
/// </remarks>
public sealed class EchoScenario : IScenario
{
    private readonly EchoSettings _settings;
    private readonly byte[] _payload;
    private readonly Opcode _opcode;

    /// <summary>Creates the scenario.</summary>
    public EchoScenario(EchoSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.InFlight, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(settings.MessageSize);
        _settings = settings;
        _opcode = settings.Binary ? Opcode.Binary : Opcode.Text;
        _payload = MakePayload(settings.MessageSize, settings.Binary);
    }

    /// <inheritdoc/>
    public string Name => "ws-echo";

    /// <inheritdoc/>
    public Task RunClientAsync(ClientContext context) =>
        ClientSession.RunAsync(context, _settings.Client, _payload.Length, EchoAsync);

    /// <summary>The payload every client sends: printable ASCII (valid text) or bytes of every value.</summary>
    internal static byte[] MakePayload(int size, bool binary)
    {
        var payload = new byte[size];
        for (int i = 0; i < size; i++)
        {
            payload[i] = binary ? (byte)(i * 31 + 7) : (byte)('a' + i % 26);
        }

        return payload;
    }

    private Task EchoAsync(WsClient client, ClientContext context) =>
        context.Pace is { } pace ? PacedEchoAsync(client, context, pace) : ClosedLoopEchoAsync(client, context);

    private async Task ClosedLoopEchoAsync(WsClient client, ClientContext context)
    {
        WorkerStats stats = context.Stats;
        int window = _settings.InFlight;
        var sentAt = new long[window]; // a ring of send times, oldest at `oldest`
        int oldest = 0;
        int inFlight = 0;

        for (; inFlight < window; inFlight++)
        {
            sentAt[inFlight] = RunClock.Now;
            stats.RecordSent(await client.SendAsync(_opcode, _payload).ConfigureAwait(false));
        }

        while (inFlight > 0)
        {
            while (client.TryReadMessage(out WsMessage message))
            {
                if (message.IsControl)
                {
                    await HandleControlAsync(client, message).ConfigureAwait(false);
                    continue;
                }

                long latency = RunClock.Now - sentAt[oldest];
                oldest = (oldest + 1) % window;
                inFlight--;
                if (message.Opcode != _opcode || !message.Payload.Span.SequenceEqual(_payload))
                {
                    stats.RecordError(ErrorKind.PayloadMismatch);
                }

                stats.RecordReceived(message.WireBytes, message.Payload.Length, RunClock.ToNanoseconds(latency));
                if (message.Compressed)
                {
                    stats.RecordCompressed();
                }

                if (!context.Stopping.IsCancellationRequested)
                {
                    sentAt[(oldest + inFlight) % window] = RunClock.Now;
                    inFlight++;
                    stats.RecordSent(await client.SendAsync(_opcode, _payload).ConfigureAwait(false));
                }
            }

            if (inFlight > 0)
            {
                await client.ReceiveMoreAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task PacedEchoAsync(WsClient client, ClientContext context, RateController pace)
    {
        WorkerStats stats = context.Stats;
        int window = _settings.InFlight;
        var dueAt = new long[window]; // a ring of latency start times, oldest at `oldest`
        int oldest = 0;
        int inFlight = 0;
        long lastEcho = 0;

        while (!context.Stopping.IsCancellationRequested || inFlight > 0)
        {
            // Send every due slot the window has room for.
            while (inFlight < window && !context.Stopping.IsCancellationRequested && pace.TryTake(RunClock.Now, out long due, out long missed))
            {
                stats.RecordMissed(missed);
                // Due before the last echo arrived: it waited for the window, and that wait is the server's.
                long now = RunClock.Now;
                dueAt[(oldest + inFlight) % window] = due < lastEcho ? due : now;
                inFlight++;
                stats.RecordSent(await client.SendAsync(_opcode, _payload).ConfigureAwait(false));
            }

            if (inFlight == 0)
            {
                try
                {
                    await pace.WaitAsync(context.Stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // The run is over and nothing is in flight.
                }

                continue;
            }

            // Something is in flight: take one echo, from what is buffered or else from the socket, then look
            // at the schedule again (a slot may have come due meanwhile; it counts from its due time).
            bool echoed = false;
            while (!echoed && client.TryReadMessage(out WsMessage message))
            {
                if (message.IsControl)
                {
                    await HandleControlAsync(client, message).ConfigureAwait(false);
                    continue;
                }

                lastEcho = RunClock.Now;
                long latency = lastEcho - dueAt[oldest];
                oldest = (oldest + 1) % window;
                inFlight--;
                echoed = true;
                if (message.Opcode != _opcode || !message.Payload.Span.SequenceEqual(_payload))
                {
                    stats.RecordError(ErrorKind.PayloadMismatch);
                }

                stats.RecordReceived(message.WireBytes, message.Payload.Length, RunClock.ToNanoseconds(latency));
                if (message.Compressed)
                {
                    stats.RecordCompressed();
                }
            }

            if (!echoed)
            {
                await client.ReceiveMoreAsync().ConfigureAwait(false);
            }
        }
    }

    private static async ValueTask HandleControlAsync(WsClient client, WsMessage message)
    {
        switch (message.Opcode)
        {
            case Opcode.Ping:
                await client.PongAsync(message).ConfigureAwait(false);
                break;
            case Opcode.Close:
                throw new WsClientException(ErrorKind.ClosedByServer, $"The server closed the WebSocket ({message.Payload.Length} byte close payload).");
        }
    }
}
